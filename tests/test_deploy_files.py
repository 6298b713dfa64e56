"""The deployment files (Dockerfile, compose.yaml, .dockerignore, docs/deploy.md) agree
with the code: no image or compose service can name a command, an option or a setting
that pictor does not have. Docker itself cannot run here; this is what can be checked.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from pydantic import BaseModel
from typer.testing import CliRunner

from pictor.cli import app
from pictor.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
DOCKERIGNORE = ROOT / ".dockerignore"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
ENV_EXAMPLE = ROOT / ".env.example"

PICTOR_SERVICES = ("api", "worker", "migrate")
# A full setting name, not a prefix written as ``PICTOR_BROKER_*``.
ENV_NAME = re.compile(r"\bPICTOR_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_]*\*)")
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


# --- helpers ----------------------------------------------------------------------------


def setting_env_names() -> set[str]:
    """Every environment name Settings reads: ``PICTOR_<FIELD>`` for top-level fields and
    ``PICTOR_<SECTION>_<FIELD>`` (the field's alias when it has one) for sections."""
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            for sub, subfield in section.model_fields.items():
                names.add(f"PICTOR_{name}_{subfield.alias or sub}".upper())
        else:
            names.add(f"PICTOR_{field.alias or name}".upper())
    return names


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def service_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the "KEY=value" form
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}`` with ``given`` values
    (a required variable that is not given gets a placeholder long enough for a secret)."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if name in given:
            return given[name]
        if op in (":-", "-"):
            return arg
        return f"placeholder-{name.lower()}-0123456789"

    return INTERPOLATION.sub(one, value.replace("$$", "\0")).replace("\0", "$")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def stages() -> dict[str, list[tuple[str, str]]]:
    """The instructions of each named build stage."""
    result: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for word, rest in dockerfile_instructions():
        if word == "FROM":
            match = re.fullmatch(r"(\S+)\s+AS\s+(\S+)", rest, flags=re.IGNORECASE)
            assert match, f"every stage is named: FROM {rest}"
            current = result.setdefault(match.group(2), [("FROM", match.group(1))])
        elif current is not None:
            current.append((word, rest))
    return result


def build_args() -> dict[str, str]:
    args = {}
    for word, rest in dockerfile_instructions():
        if word == "ARG" and "=" in rest:
            name, _, default = rest.partition("=")
            args[name] = default
    return args


def exec_form(stage: list[tuple[str, str]], instruction: str) -> list[str]:
    values = [rest for word, rest in stage if word == instruction]
    assert values, f"{instruction} is missing from the final stage"
    parsed = json.loads(values[-1])
    assert isinstance(parsed, list) and all(isinstance(p, str) for p in parsed)
    return parsed


def check_cli_args(args: list[str]) -> None:
    """``pictor <args>`` names a real subcommand and every option parses (not run)."""
    group: Any = typer.main.get_command(app)  # typer's own (vendored) click classes
    name, *rest = args
    with group.context_class(group, info_name="pictor") as parent:
        command = group.get_command(parent, name)
        assert command is not None, f"pictor has no command {name!r}"
        result = CliRunner().invoke(app, [name, "--help"])
        assert result.exit_code == 0, result.output
        # Parses and converts every option as the real run would, without running it.
        command.make_context(name, list(rest), parent=parent)


def dockerignored(path: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        bare = pattern.strip("/")
        if fnmatch.fnmatch(path, bare) or fnmatch.fnmatch(path, bare.removeprefix("**/")):
            return True
        if path.startswith(bare + "/"):
            return True
    return False


def dockerignore_patterns() -> list[str]:
    lines = (line.strip() for line in DOCKERIGNORE.read_text().splitlines())
    return [line for line in lines if line and not line.startswith(("#", "!"))]


# --- the tests --------------------------------------------------------------------------


def test_setting_names_come_from_the_settings_model() -> None:
    names = setting_env_names()
    assert {"PICTOR_BROKER_URL", "PICTOR_DATABASE_URL", "PICTOR_LOG_JSON"} <= names
    assert {"PICTOR_DATA_DIR", "PICTOR_STORAGE_PRESIGN_ENDPOINT_URL"} <= names
    assert "PICTOR_BROKER" not in names and "PICTOR_LOG_JSON_FORMAT" not in names


def test_compose_has_the_parts_of_a_deployment() -> None:
    services = compose()["services"]
    assert {"api", "worker", "postgres", "redis", "minio", "createbucket", "migrate"} <= set(
        services
    )
    assert services["worker"]["deploy"]["replicas"] >= 1
    for name in PICTOR_SERVICES:
        assert services[name]["build"] == ".", name
    # Everything pictor needs is healthy (or done) before an api or worker starts.
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["createbucket"]["condition"] == "service_completed_successfully"
        for backend in ("postgres", "redis", "minio"):
            assert depends[backend]["condition"] == "service_healthy", (name, backend)
            assert services[backend]["healthcheck"]["test"], backend
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["createbucket"]["depends_on"]["minio"]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", PICTOR_SERVICES)
def test_compose_commands_are_pictor_commands(service: str) -> None:
    spec = compose()["services"][service]
    command = spec["command"]
    assert isinstance(command, list), "exec form: no shell between docker and pictor"
    # The image's ENTRYPOINT is pictor, so the command is pictor's arguments.
    assert "entrypoint" not in spec
    check_cli_args([str(part) for part in command])


def test_api_and_worker_commands_are_distributed_mode() -> None:
    services = compose()["services"]
    assert services["api"]["command"][0] == "serve" and "--no-worker" in services["api"]["command"]
    assert services["worker"]["command"][0] == "worker"
    assert services["migrate"]["command"] == ["migrate"]


def test_the_cli_check_refuses_what_pictor_does_not_have() -> None:
    check_cli_args(["serve", "--port", "8000"])
    with pytest.raises(AssertionError):
        check_cli_args(["launch"])
    with pytest.raises(Exception, match="No such option") as unknown:
        check_cli_args(["worker", "--replicas", "3"])
    assert type(unknown.value).__name__ == "NoSuchOption"
    with pytest.raises(Exception, match="integer") as bad:
        check_cli_args(["serve", "--port", "eighty"])
    assert type(bad.value).__name__ == "BadParameter"


@pytest.mark.parametrize("service", PICTOR_SERVICES)
def test_compose_settings_are_real_and_valid(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = service_env(compose()["services"][service])
    unknown = sorted(set(env) - setting_env_names())
    assert not unknown, f"{service}: not pictor settings: {unknown}"
    # The values, once compose has filled in .env, make valid distributed-mode settings.
    for name in list(os.environ):
        if name.startswith("PICTOR_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, interpolate(value, {}))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.env == "production"
    assert settings.database_url.startswith("postgresql+asyncpg://pictor:")
    assert settings.broker.url == "redis://redis:6379/0"
    assert settings.storage.url == "s3://pictor/media"
    assert settings.storage.endpoint_url == "http://minio:9000"
    assert settings.security.secret_key.get_secret_value().startswith("placeholder-")


def test_compose_writes_no_secret() -> None:
    """Secrets are ${VAR:?...} from .env, never literal values in the file."""
    services = compose()["services"]
    for name, spec in services.items():
        for key, value in service_env(spec).items():
            if re.search(r"PASSWORD|SECRET|ACCESS_KEY", key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]*\}", value), (name, key, value)
    database = service_env(services["api"])["PICTOR_DATABASE_URL"]
    assert "${POSTGRES_PASSWORD:?" in database
    gitignore = (ROOT / ".gitignore").read_text().split()
    assert ".env" in gitignore


def test_compose_variables_named_like_settings_are_settings() -> None:
    """A ``${PICTOR_...}`` compose reads from .env is a real pictor setting too."""
    names = setting_env_names()
    text = COMPOSE.read_text() + ENV_EXAMPLE.read_text()
    used = set(ENV_NAME.findall(text))
    assert used, "compose.yaml names pictor settings"
    assert not sorted(used - names)


def test_deploy_doc_names_only_real_settings() -> None:
    used = set(ENV_NAME.findall(DEPLOY_DOC.read_text()))
    assert {"PICTOR_BROKER_URL", "PICTOR_DATABASE_URL", "PICTOR_STORAGE_URL"} <= used
    assert not sorted(used - setting_env_names())


def test_deploy_doc_commands_are_pictor_commands() -> None:
    """Every ``pictor <cmd> ...`` line of a code block in docs/deploy.md parses."""
    commands = []
    language = None  # inside a fenced block: its language
    for raw in DEPLOY_DOC.read_text().splitlines():
        if raw.startswith("```"):
            language = raw[3:].strip() if language is None else None
            continue
        if language != "sh":
            continue
        words = shlex.split(raw.split(" # ", 1)[0])
        if words[:1] == ["pictor"]:  # pictor worker --concurrency 4
            commands.append(words[1:])
        elif words[:4] == ["docker", "compose", "run", "--rm"] and words[4:5] == ["api"]:
            commands.append(words[5:])  # docker compose run --rm api users create ...
    assert commands
    for args in commands:
        check_cli_args(args)


def test_dockerfile_is_multi_stage_slim_and_non_root() -> None:
    found = stages()
    assert list(found) == ["builder", "final"]
    final = found["final"]
    base = final[0][1]
    base = build_args().get(base.strip("${}"), base)
    assert base == "python:3.11-slim"
    assert any(w == "RUN" and '".[distributed]"' in r for w, r in found["builder"]), (
        "the builder installs pictor with the distributed extra"
    )
    assert ("COPY", "--from=builder /opt/venv /opt/venv") in final
    users = [rest for word, rest in final if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(w == "WORKDIR" for w, _ in final)
    assert any(w == "VOLUME" for w, _ in final)
    assert ("EXPOSE", "8000") in final
    # USER comes before the process starts: nothing after it switches back.
    index = max(i for i, (w, _) in enumerate(final) if w == "USER")
    assert all(w not in ("USER", "RUN") for w, _ in final[index + 1 :])


def test_dockerfile_entrypoint_and_cmd_are_pictor_commands() -> None:
    final = stages()["final"]
    assert exec_form(final, "ENTRYPOINT") == ["pictor"]
    cmd = exec_form(final, "CMD")
    assert cmd[0] == "serve" and cmd[cmd.index("--host") + 1] == "0.0.0.0"
    check_cli_args(cmd)


def test_dockerfile_healthcheck_asks_health_with_python() -> None:
    final = stages()["final"]
    (check,) = [rest for word, rest in final if word == "HEALTHCHECK"]
    argv = json.loads(check[check.index("CMD") + 3 :].strip())
    assert argv[:2] == ["python", "-c"]
    compile(argv[2], "<healthcheck>", "exec")
    assert "http://127.0.0.1:8000/health" in argv[2]
    from pictor.api.routers.health import router

    assert "/health" in {getattr(route, "path", None) for route in router.routes}


def test_dockerfile_copies_files_that_exist_and_are_not_ignored() -> None:
    patterns = dockerignore_patterns()
    copied = []
    for word, rest in dockerfile_instructions():
        if word in ("COPY", "ADD") and not rest.startswith("--from"):
            *sources, _dest = rest.split()
            copied += sources
    assert copied
    for source in copied:
        assert (ROOT / source).exists(), source
        assert not dockerignored(source, patterns), f"{source} is in .dockerignore"
    assert "pyproject.toml" in copied and "src" in copied


def test_dockerignore_keeps_local_state_out() -> None:
    patterns = dockerignore_patterns()
    for path in (".venv", ".git", "pictor-data", ".env", "src/pictor/__pycache__"):
        assert dockerignored(path, patterns), path
    for path in ("pyproject.toml", "README.md", "src", "src/pictor/cli.py"):
        assert not dockerignored(path, patterns), path
