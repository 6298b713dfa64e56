"""Table: artifacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pictor.db.base import Base, JSONType, UTCDateTime, utcnow
from pictor.ids import new_id


class Artifact(Base):
    __tablename__ = "artifacts"
    __table_args__ = (
        # The gallery and the trash: one owner's rows, live or deleted, newest first.
        Index("ix_artifacts_gallery", "owner_id", "deleted_at", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("art"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[str | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), index=True, default=None
    )
    # "upload" for what a client sent, "output" for what a job made.
    role: Mapped[str] = mapped_column(String(16))
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    sha256: Mapped[str] = mapped_column(String(64))
    engine: Mapped[str | None] = mapped_column(String(200), default=None)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # In the trash since then (gallery soft delete): its URLs no longer work.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    # Gallery fields, set when a job's output is stored (see pictor.gallery.describe).
    # ``kind`` is the job kind of a gallery item; NULL for files that are not gallery
    # items (uploads, and previews a job made alongside its outputs).
    kind: Mapped[str | None] = mapped_column(String(40), default=None)
    prompt: Mapped[str | None] = mapped_column(Text, default=None)
    #: The prompt case-folded, searched with LIKE (SQLite's lower() is ASCII-only).
    search_text: Mapped[str | None] = mapped_column(Text, default=None)
    #: The WebP thumbnail's blob key, recorded once it has been made.
    thumbnail_key: Mapped[str | None] = mapped_column(String(512), default=None)
