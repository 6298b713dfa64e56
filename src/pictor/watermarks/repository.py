"""Every query of the watermark templates domain."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from pictor.watermarks.models import WatermarkTemplate


def visible_template_exists(conn: Connection, owner_id: str, ref: str) -> bool:
    """Whether ``ref`` (an id or a name) is one of the caller's templates or a built-in."""
    visible_to = or_(WatermarkTemplate.owner_id == owner_id, WatermarkTemplate.owner_id.is_(None))
    found = conn.execute(
        select(WatermarkTemplate.id)
        .where(or_(WatermarkTemplate.id == ref, WatermarkTemplate.name == ref), visible_to)
        .limit(1)
    ).first()
    return found is not None


class TemplateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def visible(self, owner_id: str, ref: str) -> WatermarkTemplate | None:
        """By id or by name; a user's own template wins over a built-in of the same name."""
        visible_to = or_(
            WatermarkTemplate.owner_id == owner_id, WatermarkTemplate.owner_id.is_(None)
        )
        by_id = await self.session.scalar(
            select(WatermarkTemplate).where(WatermarkTemplate.id == ref, visible_to)
        )
        if by_id is not None:
            return by_id
        rows = list(
            await self.session.scalars(
                select(WatermarkTemplate).where(WatermarkTemplate.name == ref, visible_to)
            )
        )
        rows.sort(key=lambda row: row.owner_id is None)
        return rows[0] if rows else None

    async def list_visible(self, owner_id: str) -> list[WatermarkTemplate]:
        return list(
            await self.session.scalars(
                select(WatermarkTemplate)
                .where(
                    or_(
                        WatermarkTemplate.owner_id == owner_id,
                        WatermarkTemplate.owner_id.is_(None),
                    )
                )
                .order_by(WatermarkTemplate.owner_id.is_not(None), WatermarkTemplate.name)
            )
        )

    async def owned_by_name(self, owner_id: str, name: str) -> WatermarkTemplate | None:
        return await self.session.scalar(
            select(WatermarkTemplate).where(
                WatermarkTemplate.owner_id == owner_id, WatermarkTemplate.name == name
            )
        )

    def add(self, row: WatermarkTemplate) -> None:
        self.session.add(row)

    async def delete(self, row: WatermarkTemplate) -> None:
        await self.session.delete(row)
