"""gallery: kind, prompt, search text and thumbnail of outputs; trash indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("prompt", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("thumbnail_key", sa.String(length=512), nullable=True))
        batch_op.create_index(
            "ix_artifacts_gallery", ["owner_id", "deleted_at", "created_at", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_artifacts_deleted_at"), ["deleted_at"], unique=False)
    _backfill_outputs()


def _backfill_outputs() -> None:
    """Outputs made before this revision join the gallery with their job's kind and prompt."""
    from pictor.gallery.describe import gallery_fields

    conn = op.get_bind()
    artifacts = sa.table(
        "artifacts",
        sa.column("id", sa.String()),
        sa.column("job_id", sa.String()),
        sa.column("role", sa.String()),
        sa.column("meta", _JSON),
        sa.column("kind", sa.String()),
        sa.column("prompt", sa.Text()),
        sa.column("search_text", sa.Text()),
    )
    jobs = sa.table(
        "jobs",
        sa.column("id", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("params", _JSON),
    )
    rows = conn.execute(
        sa.select(artifacts.c.id, artifacts.c.meta, jobs.c.kind, jobs.c.params)
        .select_from(artifacts.join(jobs, jobs.c.id == artifacts.c.job_id))
        .where(artifacts.c.role == "output")
    ).all()
    updates: list[dict[str, Any]] = []
    for artifact_id, meta, kind, params in rows:
        fields = gallery_fields(kind, params or {}, meta or {})
        if fields.kind is not None:
            updates.append(
                {
                    "b_id": artifact_id,
                    "kind": fields.kind,
                    "prompt": fields.prompt,
                    "search_text": fields.search_text,
                }
            )
    if updates:
        conn.execute(
            artifacts.update()
            .where(artifacts.c.id == sa.bindparam("b_id"))
            .values(
                kind=sa.bindparam("kind"),
                prompt=sa.bindparam("prompt"),
                search_text=sa.bindparam("search_text"),
            ),
            updates,
        )


def downgrade() -> None:
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_artifacts_deleted_at"))
        batch_op.drop_index("ix_artifacts_gallery")
        batch_op.drop_column("thumbnail_key")
        batch_op.drop_column("search_text")
        batch_op.drop_column("prompt")
        batch_op.drop_column("kind")
