"""/v1/auth: registration, sign-in and tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse

from pictor.accounts.errors import RateLimited
from pictor.accounts.ratelimit import RateLimiter
from pictor.accounts.schemas import LoginIn, RefreshIn, RegisteredOut, RegisterIn, TokenPair
from pictor.api.deps import AccountsDep, client_ip
from pictor.api.routers.me import user_out

router = APIRouter(prefix="/v1/auth", tags=["auth"])

UserAgent = Annotated[str | None, Header(include_in_schema=False)]
_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many attempts; see `Retry-After`."}
}


async def _limit(
    limiter: RateLimiter, request: Request, email: str, what: str
) -> JSONResponse | None:
    """Count the attempt per client IP and per email; the 429 to send if over a limit."""
    account = email.strip().lower()
    try:
        await limiter.hit([f"ip:{client_ip(request)}", f"email:{account}"], what)
    except RateLimited as exc:
        return JSONResponse(
            {"error": exc.to_dict()},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after_s)},
        )
    return None


def _json(model: TokenPair, status_code: int = 200) -> Response:
    # Tokens must not land in a shared cache (RFC 6749 §5.1).
    return Response(
        model.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


@router.post(
    "/register",
    response_model=RegisteredOut,
    status_code=201,
    summary="Create an account (signed in at once)",
    responses={
        409: {"description": "`email_taken`."},
        422: {"description": "`invalid_email`, `invalid_password`, or unknown fields."},
        **_LIMITED,
    },
)
async def register(
    body: RegisterIn, request: Request, accounts: AccountsDep, user_agent: UserAgent = None
) -> Response:
    """Email and password (8 to 128 characters). The new account gets the signup
    grant of credits and a first pair of tokens. 409 `email_taken` if the email exists."""
    if denied := await _limit(accounts.register_limiter, request, body.email, "registrations"):
        return denied
    user, pair = await accounts.signin.register(body.email, body.password, user_agent=user_agent)
    out = RegisteredOut(user=user_out(user), **pair.model_dump())
    return _json(out, 201)


@router.post(
    "/login",
    response_model=TokenPair,
    summary="Sign in",
    responses={
        401: {"description": "`invalid_credentials`: wrong email or password (never which)."},
        403: {"description": "`account_disabled`."},
        **_LIMITED,
    },
)
async def login(
    body: LoginIn, request: Request, accounts: AccountsDep, user_agent: UserAgent = None
) -> Response:
    """An access token (a JWT, `expires_in` seconds) and a refresh token. A wrong
    email and a wrong password get the same 401 `invalid_credentials`."""
    if denied := await _limit(accounts.login_limiter, request, body.email, "login attempts"):
        return denied
    pair = await accounts.signin.login(body.email, body.password, user_agent=user_agent)
    return _json(pair)


@router.post(
    "/refresh",
    response_model=TokenPair,
    summary="Trade a refresh token for a new pair",
    responses={
        401: {"description": "`invalid_token`: unknown, expired, revoked or reused."},
        403: {"description": "`account_disabled`."},
    },
)
async def refresh(body: RefreshIn, accounts: AccountsDep, user_agent: UserAgent = None) -> Response:
    """The refresh token is single use: the answer carries its successor. Presenting a
    used one again revokes every token of that sign-in (401 `invalid_token`)."""
    pair = await accounts.signin.refresh(body.refresh_token, user_agent=user_agent)
    return _json(pair)


@router.post("/logout", status_code=204, summary="Sign out (revoke the refresh token)")
async def logout(body: RefreshIn, accounts: AccountsDep) -> Response:
    """Revokes the refresh token and every token rotated from the same sign-in. Access
    tokens already issued stay valid until they expire (`PICTOR_AUTH_ACCESS_TTL_S`)."""
    await accounts.signin.logout(body.refresh_token)
    return Response(status_code=204)
