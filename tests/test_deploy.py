"""The Dockerfile and compose.yaml, checked without a Docker engine (none runs on these
machines): the compose file parses, its services are configured through the app's own
settings, and the image runs `agora serve` as a non-root user with a health check."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.cli import cli
from app.core.config import Settings

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("api", "worker")
_VARIABLE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` substitution."""

    def replace(match: re.Match[str]) -> str:
        name, kind, arg = match.groups()
        if env.get(name):
            return env[name]
        if kind == "?":
            raise KeyError(f"{name}: {arg}")
        return arg or ""

    return _VARIABLE.sub(replace, value)


def command_of(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_compose_file_has_the_api_a_worker_postgresql_and_redis(compose) -> None:
    services = compose["services"]
    assert set(services) >= {"api", "worker", "postgres", "redis"}
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_variable_the_app_services_set_is_a_setting(compose, service) -> None:
    names = set(compose["services"][service]["environment"])
    assert names, "the service sets no settings"
    assert names <= set(Settings.model_fields), names - set(Settings.model_fields)


@pytest.mark.parametrize("service", APP_SERVICES)
def test_the_app_services_point_at_the_compose_database_and_redis(compose, service) -> None:
    env = compose["services"][service]["environment"]
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    assert env["ENVIRONMENT"] == "production"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_the_settings_compose_sets_are_accepted_by_the_app(compose, service, tmp_path) -> None:
    raw = compose["services"][service]["environment"]
    values = {
        name: interpolate(str(value), {"SECRET_KEY": "k" * 48}) for name, value in raw.items()
    }
    values["DATA_DIR"] = str(tmp_path)

    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]

    settings.check()  # production rules: a long enough SECRET_KEY
    assert settings.REDIS_URL == "redis://redis:6379/0"


def test_compose_refuses_to_start_without_a_secret_key(compose) -> None:
    with pytest.raises(KeyError, match="SECRET_KEY"):
        interpolate(compose["services"]["api"]["environment"]["SECRET_KEY"], {})


def test_the_api_service_runs_agora_serve_on_all_interfaces(compose) -> None:
    command = command_of(compose["services"]["api"])
    assert command[:2] == ["agora", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"  # noqa: S104
    assert compose["services"]["api"]["ports"] == ["8000:8000"]


def test_the_worker_service_runs_agora_worker(compose) -> None:
    command = command_of(compose["services"]["worker"])
    assert command[:2] == ["agora", "worker"]
    registered = {
        c.name or (c.callback.__name__ if c.callback else "") for c in cli.registered_commands
    }
    assert "worker" in registered


def test_dockerfile_builds_in_stages_from_python_slim(dockerfile) -> None:
    stages = [line for line in dockerfile if line.upper().startswith("FROM ")]
    assert len(stages) >= 2
    assert any("python:3.11-slim" in line for line in dockerfile if line.startswith("ARG"))


def test_dockerfile_installs_the_locked_environment_with_a_pinned_uv(dockerfile) -> None:
    text = "\n".join(dockerfile)
    assert "ghcr.io/astral-sh/uv:0.13.9" in text
    assert "uv sync --frozen --no-dev" in text


def test_dockerfile_runs_as_a_non_root_user(dockerfile) -> None:
    users = [line.split()[1] for line in dockerfile if line.upper().startswith("USER ")]
    assert users, "no USER instruction: the container would run as root"
    assert users[-1] not in {"root", "0", "0:0"}


def test_dockerfile_checks_health_on_the_health_endpoint(dockerfile) -> None:
    [healthcheck] = [line for line in dockerfile if line.upper().startswith("HEALTHCHECK ")]
    assert "/health" in healthcheck


def test_dockerfile_serves_with_agora_serve(dockerfile) -> None:
    [cmd] = [line for line in dockerfile if line.upper().startswith("CMD ")]
    assert cmd.startswith('CMD ["agora", "serve", "--host", "0.0.0.0"')
