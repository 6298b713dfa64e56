"""Access tokens (JWT, HS256 only) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from pictor.accounts.errors import InvalidToken
from pictor.ids import new_id

ALGORITHM = "HS256"
ISSUER = "pictor"
AUDIENCE = "pictor-api"
ACCESS_TYPE = "access"
REFRESH_PREFIX = "prt_"
_REQUIRED = ["sub", "role", "iat", "exp", "jti", "typ", "iss", "aud"]


def signing_key(secret_key: str) -> bytes:
    """A key for access tokens only, derived from the server secret, so a token can never
    be confused with anything else signed with that secret (signed URLs, webhooks)."""
    return hmac.new(secret_key.encode(), b"pictor/access-token/v1", hashlib.sha256).digest()


def looks_like_jwt(secret: str) -> bool:
    return secret.count(".") == 2 and secret.startswith("eyJ")


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    role: str
    jti: str
    expires_at: float


class AccessTokens:
    def __init__(
        self, secret_key: str, ttl_s: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._key = signing_key(secret_key)
        self.ttl_s = ttl_s
        # Only issuing reads the clock; PyJWT checks ``exp`` against the wall clock.
        self._clock = clock

    def issue(self, user_id: str, role: str) -> str:
        now = int(self._clock())
        claims: dict[str, Any] = {
            "sub": user_id,
            "role": role,
            "iat": now,
            "exp": now + self.ttl_s,
            "jti": new_id("jti"),
            "typ": ACCESS_TYPE,
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"typ": "JWT"})

    def decode(self, token: str) -> AccessClaims:
        """The claims of a valid token; anything else is :class:`InvalidToken`.

        ``algorithms`` is pinned: ``alg: none`` and any other algorithm are refused
        whatever the token's header says.
        """
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": _REQUIRED},
                leeway=0,
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the access token expired; refresh it") from None
        except jwt.PyJWTError:
            raise InvalidToken("invalid access token") from None
        if claims.get("typ") != ACCESS_TYPE:
            raise InvalidToken("not an access token")
        if not isinstance(claims["sub"], str) or not isinstance(claims["role"], str):
            raise InvalidToken("invalid access token")
        return AccessClaims(
            user_id=claims["sub"],
            role=claims["role"],
            jti=str(claims["jti"]),
            expires_at=float(claims["exp"]),
        )


def new_refresh_token() -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
