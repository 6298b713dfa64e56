"""Every query of the accounts domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pictor.accounts.models import ApiKey, RefreshToken, User


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))

    async def user(self, user_id: str) -> User | None:
        return await self.session.get(User, user_id)

    async def users(self) -> list[User]:
        return list(await self.session.scalars(select(User).order_by(User.created_at)))

    async def users_page(
        self, *, email_contains: str | None, cursor: str | None, limit: int
    ) -> list[User]:
        """Oldest first by id (ids sort by creation time); ``cursor`` is the last id seen."""
        query = select(User)
        if email_contains:
            query = query.where(User.email.contains(email_contains, autoescape=True))
        if cursor is not None:
            query = query.where(User.id > cursor)
        return list(await self.session.scalars(query.order_by(User.id).limit(limit)))

    async def any_admin(self) -> User | None:
        return await self.session.scalar(select(User).where(User.role == "admin").limit(1))

    async def key_with_user(self, key_hash: str) -> tuple[ApiKey, User] | None:
        row = (
            await self.session.execute(
                select(ApiKey, User)
                .join(User, User.id == ApiKey.user_id)
                .where(ApiKey.key_hash == key_hash)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def keys_of(self, user_id: str) -> list[ApiKey]:
        return list(
            await self.session.scalars(
                select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at)
            )
        )

    async def key(self, key_id: str) -> ApiKey | None:
        return await self.session.get(ApiKey, key_id)

    async def refresh_token(self, token_hash: str) -> RefreshToken | None:
        return await self.session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        )

    async def mark_rotated(self, token_id: str, now: datetime) -> bool:
        """Use a refresh token once: only one of two concurrent refreshes wins."""
        result = await self.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.id == token_id,
                RefreshToken.rotated_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(rotated_at=now)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )

    async def revoke_tokens_of(self, user_id: str, now: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )

    def add(self, obj: User | ApiKey | RefreshToken) -> None:
        self.session.add(obj)
