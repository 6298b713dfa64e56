"""Users and API keys: creation, lookup by key, revocation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from pictor.accounts.errors import EmailTaken, InvalidApiKey
from pictor.accounts.models import ApiKey, User
from pictor.accounts.repository import AccountRepository
from pictor.credits import ledger
from pictor.db.base import utcnow
from pictor.errors import InvalidInput, NotFound

KEY_PREFIX = "psk_"
ROLES = ("user", "admin")
#: ``last_used_at`` of a key is written at most this often, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user behind an API key or an access token.

    ``key_id`` is the API key's id, None when the caller came with an access token.
    """

    user_id: str
    role: str
    key_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def via(self) -> Literal["api_key", "access_token"]:
        return "api_key" if self.key_id is not None else "access_token"


@dataclass(frozen=True)
class KeyCheck:
    principal: Principal
    #: The key's ``last_used_at`` is older than :data:`LAST_USED_RESOLUTION`.
    stale_last_used: bool


_KEY_LOOKUP = (
    select(ApiKey.id, ApiKey.revoked_at, ApiKey.last_used_at, User.id, User.role, User.is_active)
    .join(User, User.id == ApiKey.user_id)
    .where(ApiKey.key_hash == bindparam("key_hash"))
)


def check_key(conn: Connection, secret: str, now: datetime) -> KeyCheck:
    """The caller behind an API key: one indexed point read, as Core (sync, over the
    caller's connection) because it runs on every request the key cache misses."""
    row = conn.execute(_KEY_LOOKUP, {"key_hash": hash_key(secret)}).first()
    if row is None:
        raise InvalidApiKey("invalid API key")
    key_id, revoked_at, last_used_at, user_id, role, is_active = row
    if revoked_at is not None or not is_active:
        raise InvalidApiKey("this API key was revoked")
    return KeyCheck(
        Principal(user_id=user_id, role=role, key_id=key_id),
        stale_last_used=last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION,
    )


def hash_key(key: str) -> str:
    # Keys carry 240 bits of randomness, so a fast hash is safe here and keeps
    # authentication cheap on every request.
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(30)


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or not domain or " " in email or len(email) > 320:
        raise InvalidInput(f"not an email address: {email!r}", code="invalid_email", field="email")
    return email


class AccountService:
    """``signup_grant``: the credits every user this service creates starts with
    (``settings.credits.signup_grant`` for the API, the CLI and the first admin)."""

    def __init__(self, session: AsyncSession, *, signup_grant: int = 0) -> None:
        self.repo = AccountRepository(session)
        self.session = session
        self.signup_grant = signup_grant

    async def create_user(
        self, email: str, *, role: str = "user", password_hash: str | None = None
    ) -> User:
        """A user with their credit account (and the signup grant), in the caller's
        transaction."""
        email = normalize_email(email)
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}; use user or admin", field="role")
        if await self.repo.user_by_email(email) is not None:
            raise EmailTaken(f"a user with email {email} exists", field="email")
        user = User(email=email, role=role, password_hash=password_hash)
        self.repo.add(user)
        try:
            await self.session.flush()
        except IntegrityError:
            # A concurrent registration of the same email won the unique index.
            raise EmailTaken(f"a user with email {email} exists", field="email") from None
        grant = self.signup_grant

        def open_account(sync_session: Session) -> None:
            ledger.open_account(sync_session.connection(), user.id, grant)

        await self.session.run_sync(open_account)
        return user

    async def set_active(self, user_id: str, active: bool) -> User:
        user = await self.repo.user(user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        user.is_active = active
        if not active:
            await self.repo.revoke_tokens_of(user_id, utcnow())
        await self.session.flush()
        return user

    async def create_key(
        self, user_id: str, name: str = "", *, key: str | None = None
    ) -> tuple[ApiKey, str]:
        """Create a key and return it with its secret, which is never shown again."""
        if await self.repo.user(user_id) is None:
            raise NotFound(f"no user {user_id}")
        secret = key or generate_key()
        if len(secret) < 20:
            raise InvalidInput("API keys must be at least 20 characters", field="key")
        api_key = ApiKey(user_id=user_id, name=name, prefix=secret[:10], key_hash=hash_key(secret))
        self.repo.add(api_key)
        await self.session.flush()
        return api_key, secret

    async def revoke_key(self, key_id: str, *, user_id: str | None = None) -> ApiKey:
        """Revoke a key; with ``user_id`` only that user's key may be revoked."""
        api_key = await self.repo.key(key_id)
        if api_key is None or (user_id is not None and api_key.user_id != user_id):
            raise NotFound(f"no API key {key_id}")
        if api_key.revoked_at is None:
            api_key.revoked_at = utcnow()
        await self.session.flush()
        return api_key

    async def ensure_admin(self, email: str, key: str | None) -> str | None:
        """On first start: create the admin and return its new key (None if one exists)."""
        admin = await self.repo.any_admin()
        if admin is not None:
            if key is not None and await self.repo.key_with_user(hash_key(key)) is None:
                await self.create_key(admin.id, "from PICTOR_ADMIN_API_KEY", key=key)
            return None
        admin = await self.create_user(email, role="admin")
        _, secret = await self.create_key(admin.id, "first admin key", key=key)
        return secret
