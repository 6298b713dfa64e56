"""Imports every table so metadata (and Alembic) sees them all."""

import pictor.batches.models
import pictor.billing.models
import pictor.credits.models
import pictor.gallery.models
import pictor.studio.models
import pictor.webhooks.models  # noqa: F401  (each area's tables)
from pictor.accounts.models import ApiKey, User
from pictor.artifacts.models import Artifact
from pictor.db.base import Base
from pictor.jobs.models import Job, JobEvent
from pictor.watermarks.models import WatermarkTemplate

__all__ = ["ApiKey", "Artifact", "Base", "Job", "JobEvent", "User", "WatermarkTemplate"]
