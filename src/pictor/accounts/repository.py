"""Every query of the accounts domain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pictor.accounts.models import ApiKey, User


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))

    async def user(self, user_id: str) -> User | None:
        return await self.session.get(User, user_id)

    async def users(self) -> list[User]:
        return list(await self.session.scalars(select(User).order_by(User.created_at)))

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

    def add(self, obj: User | ApiKey) -> None:
        self.session.add(obj)
