"""Registration, login, refresh-token rotation with reuse detection, logout.

These flows own their transactions: argon2 (~100 ms of CPU) runs between them, never
inside one, so no lock is held while a password is hashed; and a refresh that detects
reuse commits the revocation of the token family before it refuses.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from pictor.accounts.errors import AccountDisabled, InvalidCredentials, InvalidToken
from pictor.accounts.models import RefreshToken, User
from pictor.accounts.passwords import Passwords
from pictor.accounts.repository import AccountRepository
from pictor.accounts.schemas import TokenPair
from pictor.accounts.service import AccountService, normalize_email
from pictor.accounts.settings import AuthSettings
from pictor.accounts.tokens import AccessTokens, hash_refresh_token, new_refresh_token
from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.errors import PictorError
from pictor.ids import new_id

_REUSED = "refresh token reused; every token of this sign-in is revoked, sign in again"


class SignIn:
    def __init__(
        self,
        db: Database,
        settings: AuthSettings,
        secret_key: str,
        *,
        signup_grant: int = 0,
        passwords: Passwords | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.signup_grant = signup_grant
        self.passwords = passwords or Passwords(
            time_cost=settings.password_time_cost,
            memory_kib=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        )
        self.access = AccessTokens(secret_key, settings.access_ttl_s)

    async def register(
        self, email: str, password: str, *, user_agent: str | None
    ) -> tuple[User, TokenPair]:
        email = normalize_email(email)
        password_hash = await self.passwords.hash(password)
        async with self.db.session() as session:
            service = AccountService(session, signup_grant=self.signup_grant)
            user = await service.create_user(email, role="user", password_hash=password_hash)
            pair = await self._issue(session, user, new_id("rtf"), user_agent, utcnow())
        return user, pair

    async def login(self, email: str, password: str, *, user_agent: str | None) -> TokenPair:
        """A new sign-in. The same error, after the same work (one argon2 verification),
        whether the email exists or not."""
        async with self.db.read_session() as session:
            user = await AccountRepository(session).user_by_email(email.strip().lower())
        stored = user.password_hash if user is not None else None
        if not await self.passwords.verify(stored, password) or user is None:
            raise InvalidCredentials("wrong email or password")
        if not user.is_active:
            raise AccountDisabled("this account is deactivated")
        new_hash = None
        if stored is not None and self.passwords.needs_rehash(stored):
            new_hash = await self.passwords.rehash(password)
        async with self.db.session() as session:
            if new_hash is not None:
                current = await AccountRepository(session).user(user.id)
                if current is not None:
                    current.password_hash = new_hash
            return await self._issue(session, user, new_id("rtf"), user_agent, utcnow())

    async def refresh(self, token: str, *, user_agent: str | None) -> TokenPair:
        """A new pair for a valid refresh token, which is used up.

        Presenting a token that was already rotated means two parties hold it (a thief
        and the owner): the whole family is revoked, so both must sign in again.
        """
        async with self.db.session() as session:
            outcome = await self._rotate(session, token, user_agent)
        # Raised after the commit: a refusal may have revoked a family.
        if isinstance(outcome, PictorError):
            raise outcome
        return outcome

    async def logout(self, token: str) -> None:
        """Revoke the sign-in (the token's family); unknown tokens are ignored."""
        async with self.db.session() as session:
            repo = AccountRepository(session)
            row = await repo.refresh_token(hash_refresh_token(token))
            if row is not None:
                await repo.revoke_family(row.family_id, utcnow())

    async def _rotate(
        self, session: AsyncSession, token: str, user_agent: str | None
    ) -> TokenPair | PictorError:
        repo = AccountRepository(session)
        now = utcnow()
        row = await repo.refresh_token(hash_refresh_token(token))
        if row is None or row.revoked_at is not None:
            return InvalidToken("invalid refresh token; sign in again")
        if row.rotated_at is not None:
            await repo.revoke_family(row.family_id, now)
            return InvalidToken(_REUSED)
        if row.expires_at <= now:
            return InvalidToken("the refresh token expired; sign in again")
        user = await repo.user(row.user_id)
        if user is None or not user.is_active:
            await repo.revoke_family(row.family_id, now)
            return AccountDisabled("this account is deactivated")
        if not await repo.mark_rotated(row.id, now):
            # A concurrent refresh used it first: the same reuse, seen a moment later.
            await repo.revoke_family(row.family_id, now)
            return InvalidToken(_REUSED)
        return await self._issue(session, user, row.family_id, user_agent, now)

    async def _issue(
        self,
        session: AsyncSession,
        user: User,
        family_id: str,
        user_agent: str | None,
        now: datetime,
    ) -> TokenPair:
        token = new_refresh_token()
        ttl = self.settings.refresh_ttl_s
        AccountRepository(session).add(
            RefreshToken(
                user_id=user.id,
                family_id=family_id,
                token_hash=hash_refresh_token(token),
                created_at=now,
                expires_at=now + timedelta(seconds=ttl),
                user_agent=(user_agent or "")[:200] or None,
            )
        )
        await session.flush()
        return TokenPair(
            access_token=self.access.issue(user.id, user.role),
            expires_in=self.access.ttl_s,
            refresh_token=token,
            refresh_expires_in=ttl,
        )
