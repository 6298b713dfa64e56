"""watermark templates, seeded with the built-in ones

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from pictor.watermarks.builtins import builtin_rows

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "watermark_templates",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("alpha_png", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("logo_color", sa.String(length=7), nullable=False),
        sa.Column("corner", sa.String(length=16), nullable=False),
        sa.Column(
            "placements",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_watermark_templates_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watermark_templates")),
        sa.UniqueConstraint("owner_id", "name", name=op.f("uq_watermark_templates_owner_id_name")),
    )
    with op.batch_alter_table("watermark_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_watermark_templates_owner_id"), ["owner_id"], unique=False
        )
    rows = builtin_rows()
    for row in rows:
        # SQLite stores timestamps naive, in UTC (see db.base.UTCDateTime).
        if op.get_bind().dialect.name == "sqlite":
            row["created_at"] = row["created_at"].replace(tzinfo=None)
    op.bulk_insert(table, rows)


def downgrade() -> None:
    with op.batch_alter_table("watermark_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_watermark_templates_owner_id"))
    op.drop_table("watermark_templates")
