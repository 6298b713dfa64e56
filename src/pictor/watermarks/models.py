"""Table: watermark_templates (built-ins have no owner)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pictor.db.base import Base, JSONType, UTCDateTime, utcnow
from pictor.ids import new_id


class WatermarkTemplate(Base):
    __tablename__ = "watermark_templates"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("wmt"))
    #: None for the built-in templates every user sees.
    owner_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None
    )
    name: Mapped[str] = mapped_column(String(64))
    #: The alpha map as a 16-bit greyscale PNG at the mark's native size.
    alpha_png: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    logo_color: Mapped[str] = mapped_column(String(7))
    corner: Mapped[str] = mapped_column(String(16))
    #: Size and margin rules by image size: a list of Placement fields.
    placements: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
