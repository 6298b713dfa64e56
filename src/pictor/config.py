"""Settings: one root, nested sections, ``PICTOR_`` prefix, ``.env`` support.

Environment names join the section and the field with one underscore:
``PICTOR_DATABASE_URL`` is ``database.url``, ``PICTOR_SEGMENT_MODEL`` is
``segment.model``. Top-level fields keep their own name (``PICTOR_DATA_DIR``).
Embedded mode needs no settings at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from pictor.accounts.settings import AuthSettings
from pictor.batches.settings import BatchesSettings
from pictor.billing.settings import BillingSettings
from pictor.credits.settings import CreditsSettings
from pictor.gallery.settings import GallerySettings
from pictor.jobs.events_settings import EventsSettings
from pictor.studio.settings import StudioSettings
from pictor.webhooks.settings import WebhooksSettings

DEV_SECRET = "pictor-development-secret-change-me"  # noqa: S105 - the refused default


def _env_list(value: Any) -> Any:
    """``a,b`` or JSON ``["a", "b"]``: people write lists in env vars both ways."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [part.strip() for part in text.split(",") if part.strip()]


#: A list read from one environment variable, comma-separated or JSON.
EnvList = Annotated[list[str], NoDecode, BeforeValidator(_env_list)]
EnvTriple = Annotated[tuple[float, float, float], NoDecode, BeforeValidator(_env_list)]


_DRIVERS = {
    "postgresql://": "postgresql+asyncpg://",
    "postgres://": "postgresql+asyncpg://",
    "sqlite:///": "sqlite+aiosqlite:///",
}


class DatabaseSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default is SQLite under the data dir.",
    )
    echo: bool = False
    pool_size: int = 10
    busy_timeout_ms: int = 10_000


class StorageSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="file:///path or s3://bucket[/prefix]; default is the data dir.",
    )
    url_ttl_s: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    # S3 only (ignored for file:// URLs); see docs/distributed.md "Storage (S3)".
    endpoint_url: str | None = Field(
        default=None, description="S3 API endpoint (MinIO, R2, ...); default: AWS."
    )
    region: str | None = Field(default=None, description="S3 region; default: boto3's chain.")
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    presign: bool = Field(
        default=False, description="Answer /files/{id} with a redirect to a presigned GET URL."
    )
    presign_ttl_s: int = Field(default=300, ge=10, le=7 * 24 * 3600)
    presign_endpoint_url: str | None = Field(
        default=None, description="Endpoint clients reach for presigned URLs, if not endpoint_url."
    )
    part_size_bytes: int = Field(default=8 << 20, ge=5 << 20, le=5 << 30)
    connect_timeout_s: float = Field(default=5.0, gt=0, le=120)
    read_timeout_s: float = Field(default=30.0, gt=0, le=600)
    max_attempts: int = Field(default=3, ge=1, le=10)
    max_connections: int = Field(default=16, ge=1, le=256)

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("file://", "s3://")):
            raise ValueError(f"unsupported storage URL {value!r}; use file:///path or s3://bucket")
        if value is not None and value.startswith("s3://"):
            from pictor.storage.location import parse_s3_url

            parse_s3_url(value)
        return value

    @model_validator(mode="after")
    def _keys_in_pairs(self) -> StorageSettings:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("set both storage access_key_id and secret_access_key, or neither")
        return self


class BrokerSettings(BaseModel):
    """Distributed mode: a Celery broker carries job ids to ``pictor worker`` processes."""

    url: str | None = Field(
        default=None,
        description="redis://host:6379/0 or amqp://user:pass@host:5672//; unset: embedded mode.",
    )
    interactive_queue: str = Field(default="pictor.interactive", min_length=1)
    batch_queue: str = Field(default="pictor.batch", min_length=1)
    visibility_timeout_s: float | None = Field(
        default=None,
        gt=0,
        description="Redis: seconds before an unacknowledged job is redelivered; default: the"
        " longest job timeout plus twice the time-limit margin plus the lease margin.",
    )
    prefetch: int = Field(default=1, ge=1, le=16, description="Messages held per worker process.")
    time_limit_margin_s: float = Field(
        default=30.0,
        gt=0,
        description="Celery soft limit = kind timeout + margin; hard limit = timeout + 2 margins.",
    )
    requeue_after_s: float = Field(
        default=120.0,
        gt=0,
        description="The reconciler re-sends a queued job's id when it has waited this long"
        " (a lost send), at most once per this period.",
    )
    pool: Literal["prefork", "threads", "solo"] = "prefork"
    transport_options: dict[str, Any] = Field(
        default_factory=dict, description="Extra kombu broker_transport_options."
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        if value and not value.startswith(("redis://", "rediss://", "amqp://", "amqps://")):
            raise ValueError("PICTOR_BROKER_URL must be a redis:// or amqp:// URL")
        return value


class WorkerSettings(BaseModel):
    concurrency: int = Field(default=2, ge=1, le=64)
    max_attempts: int = Field(default=3, ge=1, le=20)
    backoff_base_s: float = Field(default=1.0, ge=0.0)
    backoff_max_s: float = Field(default=60.0, ge=0.0)
    timeouts: dict[str, float] = Field(
        default_factory=dict,
        description='Per-kind timeout overrides in seconds, e.g. {"remove_background": 60}.',
    )
    lease_margin_s: float = Field(default=60.0, gt=0)
    reconcile_interval_s: float = Field(default=30.0, gt=0)
    consumer_stall_s: float = Field(
        default=20.0,
        ge=0,
        description="pictor worker: a broker consumer taking no message for this long while"
        " no job runs reconnects (Redis; see docs/distributed.md); 0 turns the check off.",
    )
    process_pool: bool = Field(default=True, description="Run CPU-heavy stages in child processes.")


class AdminSettings(BaseModel):
    api_key: SecretStr | None = Field(default=None, description="Key for the first admin.")
    email: str = "admin@localhost"


class SecuritySettings(BaseModel):
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    key_cache_ttl_s: float = Field(default=5.0, ge=0.0)


class ImageSettings(BaseModel):
    max_bytes: int = Field(default=10_000_000, ge=1024, le=200_000_000)
    min_side: int = Field(default=50, ge=1)
    max_side: int = Field(default=4096, ge=64, le=8192)


class FetchSettings(BaseModel):
    allow: EnvList = Field(
        default_factory=list,
        description="Hosts or CIDR ranges URL fetches may reach even if not public.",
    )
    timeout_s: float = Field(default=15.0, gt=0, le=120)
    max_redirects: int = Field(default=3, ge=0, le=3)


class SegmentSettings(BaseModel):
    model: Path | None = Field(default=None, description="An ONNX segmentation model file.")
    input_size: int | None = Field(default=None, ge=32, le=4096)
    mean: EnvTriple | None = None
    std: EnvTriple | None = None


class ProvidersSettings(BaseModel):
    """Image generation providers (``generate``, ``edit``); none is configured by default."""

    default: Literal["gemini", "openai", "replicate"] | None = Field(
        default=None, description="Provider used when a job names none; default: first set up."
    )
    gemini_api_key: SecretStr | None = None
    gemini_base_url: str | None = Field(default=None, description="Default: Google's endpoint.")
    gemini_model: str = "gemini-2.5-flash-image"
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = Field(
        default=None, description="Any OpenAI-compatible images API; default: OpenAI's."
    )
    openai_model: str = "gpt-image-1"
    replicate_api_token: SecretStr | None = None
    replicate_base_url: str = "https://api.replicate.com"
    replicate_model: str = Field(
        default="black-forest-labs/flux-schnell", description="owner/name or owner/name:version"
    )
    replicate_edit_model: str = "black-forest-labs/flux-kontext-pro"
    replicate_wait_s: int = Field(default=60, ge=1, le=60, description="Prefer: wait=N on create.")
    replicate_poll_interval_s: float = Field(default=1.0, gt=0, le=30)
    request_timeout_s: float = Field(default=120.0, gt=0, le=600)
    total_timeout_s: float = Field(
        default=270.0, gt=0, le=3600, description="All calls of one job, retries included."
    )
    max_attempts: int = Field(default=3, ge=1, le=10)
    backoff_base_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=30.0, ge=0)


class InpaintSettings(BaseModel):
    """Inpainting (``erase``, ``remove_watermark``): OpenCV needs nothing; ONNX a model file."""

    model: Path | None = Field(
        default=None, description="A LaMa-style ONNX inpainting model (image + mask in)."
    )
    radius: int = Field(default=4, ge=1, le=64, description="OpenCV neighbourhood radius, px.")
    margin: int = Field(
        default=128, ge=8, le=1024, description="Context around each mask part for ONNX, px."
    )
    max_side: int = Field(
        default=1024, ge=64, le=4096, description="Largest side fed to a dynamic-size model."
    )


class LocalizeSettings(BaseModel):
    """Ad localization (``localize`` jobs)."""

    concurrency: int = Field(
        default=15, ge=1, le=100, description="Gemini requests in flight per process."
    )
    gemini_model: str | None = Field(
        default=None, description="Image model for localization; default: providers' model."
    )
    fit: Literal["crop", "pad"] = Field(
        default="pad", description="relayout: reach the aspect ratio by padding or smart crop."
    )
    translator: Literal["gemini", "openai"] | None = Field(
        default=None, description="relayout: chat provider translating text; default: first set."
    )
    translate_gemini_model: str = "gemini-2.5-flash"
    translate_openai_model: str = "gpt-4o-mini"


class LogSettings(BaseModel):
    level: str = "INFO"
    json_format: bool = Field(default=True, alias="json")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PICTOR_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./pictor-data")
    public_url: str | None = Field(
        default=None, description="Base URL clients use, for signed links; default: request's."
    )
    plugins: EnvList = Field(
        default_factory=list, description="Modules whose register(catalog) adds pipelines."
    )

    database: DatabaseSettings = DatabaseSettings()
    storage: StorageSettings = StorageSettings()
    broker: BrokerSettings = BrokerSettings()
    events: EventsSettings = EventsSettings()
    worker: WorkerSettings = WorkerSettings()
    admin: AdminSettings = AdminSettings()
    security: SecuritySettings = SecuritySettings()
    images: ImageSettings = ImageSettings()
    fetch: FetchSettings = FetchSettings()
    segment: SegmentSettings = SegmentSettings()
    inpaint: InpaintSettings = InpaintSettings()
    providers: ProvidersSettings = ProvidersSettings()
    localize: LocalizeSettings = LocalizeSettings()
    log: LogSettings = LogSettings()
    auth: AuthSettings = AuthSettings()
    credits: CreditsSettings = CreditsSettings()
    billing: BillingSettings = BillingSettings()
    gallery: GallerySettings = GallerySettings()
    studio: StudioSettings = StudioSettings()
    batches: BatchesSettings = BatchesSettings()
    webhooks: WebhooksSettings = WebhooksSettings()

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != "development" and self.security.secret_key.get_secret_value() == DEV_SECRET:
            raise ValueError(
                "PICTOR_SECURITY_SECRET_KEY must be set to a random value outside development"
            )
        if len(self.security.secret_key.get_secret_value()) < 16:
            raise ValueError("PICTOR_SECURITY_SECRET_KEY must be at least 16 characters")
        return self

    @property
    def database_url(self) -> str:
        """The async SQLAlchemy URL; plain ``postgresql://`` and ``sqlite:///`` are accepted."""
        url = self.database.url
        if not url:
            return f"sqlite+aiosqlite:///{self.data_dir / 'pictor.db'}"
        for plain, driver in _DRIVERS.items():
            if url.startswith(plain):
                return driver + url[len(plain) :]
        return url

    @property
    def blob_root(self) -> Path:
        url = self.storage.url
        if url is None:
            return self.data_dir / "blobs"
        if url.startswith("file://"):
            return Path(url.removeprefix("file://")).expanduser().resolve()
        raise ValueError(f"storage URL {url!r} is not a folder (no blob_root for S3)")
