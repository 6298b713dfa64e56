"""Settings: embedded defaults, environment names, ``.env``, and what is refused."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError

from pictor.config import DEV_SECRET, Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No PICTOR_ variables from the outer shell, and a cwd with no ``.env`` in it."""
    for name in list(os.environ):
        if name.upper().startswith("PICTOR_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_embedded_defaults_need_no_settings(tmp_path: Path) -> None:
    settings = Settings()
    assert settings.env == "development"
    assert settings.data_dir == (tmp_path / "pictor-data").resolve()
    assert settings.database_url == f"sqlite+aiosqlite:///{settings.data_dir / 'pictor.db'}"
    assert settings.blob_root == settings.data_dir / "blobs"
    assert settings.broker.url is None and settings.segment.model is None


def test_data_dir_moves_the_database_and_the_blobs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PICTOR_DATA_DIR", str(tmp_path / "elsewhere"))
    settings = Settings()
    assert settings.data_dir == tmp_path / "elsewhere"
    assert settings.database_url.endswith(f"{tmp_path}/elsewhere/pictor.db")
    assert settings.blob_root == tmp_path / "elsewhere" / "blobs"


def test_environment_names_map_to_nested_fields(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    admin_key = "psk_" + secrets.token_urlsafe(24)
    monkeypatch.setenv("PICTOR_DATABASE_URL", "postgresql+asyncpg://pictor@db:5432/pictor")
    monkeypatch.setenv("PICTOR_SEGMENT_MODEL", str(tmp_path / "isnet.onnx"))
    monkeypatch.setenv("PICTOR_ADMIN_API_KEY", admin_key)
    monkeypatch.setenv("PICTOR_WORKER_CONCURRENCY", "7")
    monkeypatch.setenv("PICTOR_FETCH_ALLOW", '["10.0.0.0/8", "minio"]')
    monkeypatch.setenv("PICTOR_IMAGES_MAX_SIDE", "8000")
    settings = Settings()
    assert settings.database.url == "postgresql+asyncpg://pictor@db:5432/pictor"
    assert settings.database_url == settings.database.url
    assert settings.segment.model == tmp_path / "isnet.onnx"
    assert settings.admin.api_key is not None
    assert settings.admin.api_key.get_secret_value() == admin_key
    assert settings.worker.concurrency == 7
    assert settings.fetch.allow == ["10.0.0.0/8", "minio"]
    assert settings.images.max_side == 8000


def test_lists_in_the_environment_may_be_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PICTOR_FETCH_ALLOW", "10.0.0.0/8, minio")
    monkeypatch.setenv("PICTOR_PLUGINS", "tests.support.plugins")
    monkeypatch.setenv("PICTOR_SEGMENT_MEAN", "0.5,0.5,0.5")
    monkeypatch.setenv("PICTOR_SEGMENT_STD", "[1, 1, 1]")
    settings = Settings()
    assert settings.fetch.allow == ["10.0.0.0/8", "minio"]
    assert settings.plugins == ["tests.support.plugins"]
    assert settings.segment.mean == (0.5, 0.5, 0.5)
    assert settings.segment.std == (1.0, 1.0, 1.0)


def test_a_dotenv_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "PICTOR_WORKER_CONCURRENCY=3\nPICTOR_DATA_DIR=/srv/pictor\nPICTOR_LOG_LEVEL=DEBUG\n"
    )
    settings = Settings()
    assert settings.worker.concurrency == 3
    assert settings.data_dir == Path("/srv/pictor")
    assert settings.log.level == "DEBUG"


def test_the_environment_wins_over_the_dotenv_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("PICTOR_WORKER_CONCURRENCY=3\n")
    monkeypatch.setenv("PICTOR_WORKER_CONCURRENCY", "5")
    assert Settings().worker.concurrency == 5


def test_production_with_the_default_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PICTOR_ENV", "production")
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert "PICTOR_SECURITY_SECRET_KEY" in str(raised.value)


def test_production_with_a_real_secret_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = secrets.token_urlsafe(32)
    monkeypatch.setenv("PICTOR_ENV", "production")
    monkeypatch.setenv("PICTOR_SECURITY_SECRET_KEY", secret)
    settings = Settings()
    assert settings.env == "production"
    assert settings.security.secret_key.get_secret_value() == secret


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(security={"secret_key": "short"})


def test_max_side_above_8192_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(images={"max_side": 8193})
    assert raised.value.errors()[0]["loc"] == ("images", "max_side")
    monkeypatch.setenv("PICTOR_IMAGES_MAX_SIDE", "9000")
    with pytest.raises(ValidationError):
        Settings()


def test_a_bad_number_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PICTOR_WORKER_CONCURRENCY", "0")
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert raised.value.errors()[0]["loc"] == ("worker", "concurrency")


def test_secrets_never_appear_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = secrets.token_urlsafe(32)
    admin_key = "psk_" + secrets.token_urlsafe(24)
    monkeypatch.setenv("PICTOR_SECURITY_SECRET_KEY", secret)
    monkeypatch.setenv("PICTOR_ADMIN_API_KEY", admin_key)
    settings = Settings()
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert secret not in text and admin_key not in text
    assert DEV_SECRET not in repr(Settings(security={"secret_key": DEV_SECRET}))


def test_a_broker_url_switches_to_distributed_mode_and_other_schemes_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for url in ("redis://127.0.0.1:6379/0", "amqp://guest:guest@127.0.0.1:5672//"):
        monkeypatch.setenv("PICTOR_BROKER_URL", url)
        assert Settings().broker.url == url
    monkeypatch.setenv("PICTOR_BROKER_BATCH_QUEUE", "q.batch")
    monkeypatch.setenv("PICTOR_BROKER_TRANSPORT_OPTIONS", '{"unacked_restore_interval": 1}')
    settings = Settings()
    assert settings.broker.batch_queue == "q.batch" and settings.broker.prefetch == 1
    assert settings.broker.transport_options == {"unacked_restore_interval": 1}
    monkeypatch.setenv("PICTOR_BROKER_URL", "http://127.0.0.1:6379")
    with pytest.raises(ValidationError, match="PICTOR_BROKER_URL"):
        Settings()


def test_plain_database_urls_get_their_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PICTOR_DATABASE_URL", "postgresql://postgres@127.0.0.1/pictor")
    assert Settings().database_url == "postgresql+asyncpg://postgres@127.0.0.1/pictor"
    monkeypatch.setenv("PICTOR_DATABASE_URL", "sqlite:////tmp/x.db")
    assert Settings().database_url == "sqlite+aiosqlite:////tmp/x.db"


def test_per_kind_timeouts_override_the_pipeline_and_unknown_kinds_are_refused() -> None:
    from pictor.pipelines.catalog import build_catalog
    from pictor.registry import UnknownName

    catalog = build_catalog(timeouts={"remove_background": 7.5})
    assert catalog.get("remove_background").timeout_s == 7.5
    with pytest.raises(UnknownName, match="remove_background"):
        build_catalog(timeouts={"remove_bg": 1})
