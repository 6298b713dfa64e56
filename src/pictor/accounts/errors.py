"""Errors of the accounts domain."""

from pictor.errors import Conflict, Forbidden, InvalidInput, PictorError, Unauthorized


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"


class InvalidToken(Unauthorized):
    """An access or refresh token that is malformed, forged, expired, revoked or reused."""

    code = "invalid_token"


class InvalidCredentials(Unauthorized):
    """Wrong email or password; deliberately never says which."""

    code = "invalid_credentials"


class AccountDisabled(Forbidden):
    code = "account_disabled"


class InvalidPassword(InvalidInput):
    code = "invalid_password"


class EmailTaken(Conflict):
    code = "email_taken"


class RateLimited(PictorError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message, details={"retry_after_s": retry_after_s})
        self.retry_after_s = retry_after_s


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
