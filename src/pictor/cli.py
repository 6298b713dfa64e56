"""The ``pictor`` command: serve, migrate, users, keys, and pipelines run locally."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from pictor import cli_logo
from pictor.cli_erase import erase, remove_watermark
from pictor.cli_generate import generate
from pictor.config import Settings

app = typer.Typer(no_args_is_help=True, help="pictor: a self-hostable backend for AI image work.")
users_app = typer.Typer(no_args_is_help=True, help="Manage users.")
keys_app = typer.Typer(no_args_is_help=True, help="Manage API keys.")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.command("erase")(erase)
app.command("remove-watermark")(remove_watermark)
app.command("generate")(generate)

T = TypeVar("T")


def _settings() -> Settings:
    return Settings()


def _with_db(work: Callable[[Any], Awaitable[T]]) -> T:
    """Migrate, open a transaction, run ``work(session)``, commit."""
    from pictor.db.engine import Database
    from pictor.db.migrate import upgrade

    settings = _settings()

    async def main() -> T:
        await upgrade(settings.database_url)
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(main())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None, typer.Option(help="Jobs run at once (default: PICTOR_WORKER_CONCURRENCY).")
    ] = None,
    no_worker: Annotated[
        bool,
        typer.Option(
            "--no-worker",
            help="API only, no job workers (implied when PICTOR_BROKER_URL is set).",
        ),
    ] = False,
) -> None:
    """Start the API and the job workers together (embedded mode), or an API node of
    distributed mode when PICTOR_BROKER_URL is set (jobs run in `pictor worker`)."""
    import uvicorn

    from pictor.api.app import create_app
    from pictor.observability.logging import configure_logging
    from pictor.runtime import build_runtime

    settings = _settings()
    if workers is not None:
        settings.worker.concurrency = workers
    configure_logging(
        settings.log.level,
        json=settings.log.json_format,
        secrets=[settings.security.secret_key.get_secret_value()],
    )
    runtime = build_runtime(settings, run_workers=not no_worker)
    typer.echo(f"pictor: data in {settings.data_dir}; listening on http://{host}:{port}")
    uvicorn.run(
        create_app(runtime=runtime), host=host, port=port, log_config=None, ws="websockets-sansio"
    )


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(help="Jobs run at once (default: PICTOR_WORKER_CONCURRENCY)."),
    ] = None,
    queues: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated queues to consume (default: the interactive and batch"
            " queues; give only the interactive one to keep a worker free of batches)."
        ),
    ] = None,
    pool: Annotated[
        str | None,
        typer.Option(help="prefork, threads or solo (default: PICTOR_BROKER_POOL)."),
    ] = None,
    loglevel: Annotated[
        str | None, typer.Option(help="Log level (default: PICTOR_LOG_LEVEL).")
    ] = None,
    hostname: Annotated[
        str | None, typer.Option(help="Celery node name (default: pictor@<host>).")
    ] = None,
) -> None:
    """Start a Celery worker of distributed mode (needs PICTOR_BROKER_URL)."""
    from pictor.worker.main import run_worker

    settings = _settings()
    if not settings.broker.url:
        typer.echo(
            "error: PICTOR_BROKER_URL is not set; `pictor worker` runs jobs of distributed"
            " mode (redis:// or amqp:// broker). Embedded mode needs no worker: `pictor serve`.",
            err=True,
        )
        raise typer.Exit(code=2)
    if pool is not None and pool not in ("prefork", "threads", "solo"):
        typer.echo(f"error: unknown pool {pool!r}; use prefork, threads or solo", err=True)
        raise typer.Exit(code=2)
    run_worker(
        settings,
        concurrency=concurrency,
        queues=[q.strip() for q in queues.split(",") if q.strip()] if queues else None,
        pool=pool,
        loglevel=loglevel,
        hostname=hostname,
    )


@app.command()
def migrate() -> None:
    """Apply database migrations (also done at every start)."""
    from pictor.db.migrate import upgrade_sync

    settings = _settings()
    upgrade_sync(settings.database_url)
    typer.echo("database is up to date")


@users_app.command("create")
def users_create(
    email: str,
    admin: Annotated[bool, typer.Option("--admin", help="Give the admin role.")] = False,
) -> None:
    """Create a user and print a first API key for them."""
    from pictor.accounts.service import AccountService

    grant = _settings().credits.signup_grant

    async def work(session: Any) -> tuple[str, str]:
        service = AccountService(session, signup_grant=grant)
        user = await service.create_user(email, role="admin" if admin else "user")
        _, secret = await service.create_key(user.id, "first key")
        return user.id, secret

    user_id, secret = _with_db(work)
    typer.echo(f"user {user_id}\napi key (shown once): {secret}")


@keys_app.command("create")
def keys_create(
    email: str, name: Annotated[str, typer.Option(help="A label for the key.")] = ""
) -> None:
    """Create an API key for a user (shown once)."""
    from pictor.accounts.service import AccountService, normalize_email
    from pictor.errors import NotFound

    async def work(session: Any) -> str:
        service = AccountService(session)
        user = await service.repo.user_by_email(normalize_email(email))
        if user is None:
            raise NotFound(f"no user {email}")
        _, secret = await service.create_key(user.id, name)
        return secret

    typer.echo(_with_db(work))


@keys_app.command("list")
def keys_list(email: str) -> None:
    """List a user's keys (prefixes only; secrets are never stored)."""
    from pictor.accounts.service import AccountService, normalize_email
    from pictor.errors import NotFound

    async def work(session: Any) -> list[str]:
        service = AccountService(session)
        user = await service.repo.user_by_email(normalize_email(email))
        if user is None:
            # Silence here would read as "this user has no keys".
            raise NotFound(f"no user {email}")
        return [
            f"{k.id}  {k.prefix}…  {k.name or '-'}  "
            f"{'revoked' if k.revoked_at else 'active'}  created {k.created_at:%Y-%m-%d}"
            for k in await service.repo.keys_of(user.id)
        ]

    for line in _with_db(work):
        typer.echo(line)


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by its id (key_...)."""
    from pictor.accounts.service import AccountService

    async def work(session: Any) -> None:
        await AccountService(session).revoke_key(key_id)

    _with_db(work)
    typer.echo(f"revoked {key_id}")


@app.command("remove-bg")
def remove_bg(
    inputs: Annotated[list[Path], typer.Argument(help="Image files or folders.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file or folder.")],
    engine: Annotated[str, typer.Option(help="classical or onnx.")] = "classical",
    only_mask: Annotated[bool, typer.Option(help="Write the mask instead.")] = False,
    background_color: Annotated[str | None, typer.Option(help="Fill colour.")] = None,
    refine_edges: Annotated[bool, typer.Option(help="Refine edges.")] = True,
    trim: Annotated[bool, typer.Option(help="Crop to the subject.")] = False,
    padding: Annotated[int, typer.Option(help="Padding kept by --trim.")] = 5,
    output_format: Annotated[
        str | None, typer.Option(help="png or webp (default: the -o file's suffix, else png).")
    ] = None,
) -> None:
    """Remove backgrounds locally, without a server (same pipeline as the API)."""
    from pictor.cli_local import remove_backgrounds

    params: dict[str, Any] = {
        "engine": engine,
        "only_mask": only_mask,
        "background_color": background_color,
        "refine_edges": refine_edges,
        "trim": trim,
        "padding": padding,
        "output_format": output_format or _format_from_suffix(output),
    }
    failures = remove_backgrounds(_settings(), inputs, output, params)
    raise typer.Exit(code=1 if failures else 0)


app.command("logo")(cli_logo.logo)


def _format_from_suffix(output: Path) -> str:
    suffix = output.suffix.lower().lstrip(".")
    return suffix if suffix in ("png", "webp") else "png"


def main() -> None:
    from pictor.errors import PictorError

    try:
        app()
    except PictorError as exc:
        typer.echo(f"error: {exc.message} ({exc.code})", err=True)
        raise SystemExit(2) from None
