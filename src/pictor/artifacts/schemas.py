"""Wire format of artifacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class ArtifactOut(BaseModel):
    id: str
    object: str = "artifact"
    role: str
    job_id: str | None
    filename: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    sha256: str
    engine: str | None
    meta: dict[str, Any]
    created_at: datetime
    url: str
    url_expires_at: datetime
