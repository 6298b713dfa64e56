"""Every way a user comes to exist opens their credit account with the signup grant:
the API (see test_register_login), the CLI, and the first admin at start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Connection, select
from tests.cli.test_cli import run_pictor

from pictor.accounts.models import User
from pictor.credits.models import CreditEntry
from pictor.runtime import Runtime


def test_a_user_made_by_the_cli_gets_the_signup_grant(tmp_path: Path) -> None:
    made = run_pictor(
        tmp_path, "users", "create", "cli@example.com", env={"PICTOR_CREDITS_SIGNUP_GRANT": "7"}
    )
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(tmp_path / "data" / "pictor.db") as db:
        rows = db.execute(
            "SELECT b.available, b.reserved, u.password_hash FROM credit_balances b "
            "JOIN users u ON u.id = b.user_id WHERE u.email = 'cli@example.com'"
        ).fetchall()
        entries = db.execute(
            "SELECT e.entry, e.amount, e.cause_type FROM credit_entries e "
            "JOIN users u ON u.id = e.user_id WHERE u.email = 'cli@example.com'"
        ).fetchall()
    assert rows == [(7, 0, None)]
    assert entries == [("grant", 7, "signup")]


async def test_the_first_admin_got_the_signup_grant_at_start(runtime: Runtime) -> None:
    email = runtime.settings.admin.email
    query = (
        select(CreditEntry.entry, CreditEntry.amount, CreditEntry.cause_type)
        .join(User, User.id == CreditEntry.user_id)
        .where(User.email == email, CreditEntry.entry == "grant")
    )

    def grants(conn: Connection) -> list[tuple[str, int, str]]:
        return [(r[0], r[1], r[2]) for r in conn.execute(query)]

    grant = runtime.settings.credits.signup_grant
    assert await runtime.db.read(grants) == [("grant", grant, "signup")]
