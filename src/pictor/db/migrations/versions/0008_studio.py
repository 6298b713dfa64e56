"""studio tables: studio_sessions and studio_messages

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "studio_sessions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("last_image_id", sa.String(length=40), nullable=True),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["last_image_id"],
            ["artifacts.id"],
            name=op.f("fk_studio_sessions_last_image_id_artifacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_studio_sessions_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studio_sessions")),
    )
    with op.batch_alter_table("studio_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_studio_sessions_owner", ["owner_id", "id"], unique=False)

    op.create_table(
        "studio_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("image_ids", _json(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=32), nullable=True),
        sa.Column("params", _json(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("engine", sa.String(length=100), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("job_id", sa.String(length=40), nullable=True),
        sa.Column("outputs", _json(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reply_to", sa.String(length=40), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_studio_messages_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_studio_messages_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["studio_sessions.id"],
            name=op.f("fk_studio_messages_session_id_studio_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studio_messages")),
        sa.UniqueConstraint(
            "owner_id",
            "idempotency_key",
            name=op.f("uq_studio_messages_owner_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("studio_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_studio_messages_job_id"), ["job_id"], unique=False)
        batch_op.create_index("ix_studio_messages_session_seq", ["session_id", "seq"], unique=False)
        batch_op.create_index("ix_studio_messages_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("studio_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_studio_messages_status")
        batch_op.drop_index("ix_studio_messages_session_seq")
        batch_op.drop_index(batch_op.f("ix_studio_messages_job_id"))
    op.drop_table("studio_messages")
    with op.batch_alter_table("studio_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_studio_sessions_owner")
    op.drop_table("studio_sessions")
