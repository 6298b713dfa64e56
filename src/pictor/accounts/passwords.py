"""Passwords: argon2id hashes, the length rule, and a dummy hash for unknown emails."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pictor.accounts.errors import InvalidPassword

MIN_LENGTH = 8
MAX_LENGTH = 128


def check_password_rules(password: str) -> None:
    """8 to 128 characters, not only spaces; no composition rules (NIST SP 800-63B)."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidPassword(
            f"passwords are {MIN_LENGTH} to {MAX_LENGTH} characters long", field="password"
        )
    if not password.strip():
        raise InvalidPassword("a password cannot be only spaces", field="password")


class Passwords:
    """Hash and verify off the event loop (one argon2 call takes ~50-100 ms of CPU)."""

    def __init__(
        self,
        *,
        time_cost: int = 3,
        memory_kib: int = 65536,
        parallelism: int = 4,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._hasher = hasher or PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        # Made up front, so even the first unknown email costs one verification, no more.
        self._dummy = self._hasher.hash("pictor-dummy-password")

    async def hash(self, password: str) -> str:
        check_password_rules(password)
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """True if ``password`` matches ``stored``. With no stored hash (unknown email,
        user without a password) a dummy hash is verified instead, so the answer takes
        as long as for a real account and timing does not tell which emails exist."""
        if stored is None:
            await asyncio.to_thread(self._check, self._dummy, password)
            return False
        return await asyncio.to_thread(self._check, stored, password)

    def _check(self, stored: str, password: str) -> bool:
        if len(password) > MAX_LENGTH:
            return False
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

    async def rehash(self, password: str) -> str:
        """A hash with the current parameters of a password that just verified."""
        return await asyncio.to_thread(self._hasher.hash, password)
