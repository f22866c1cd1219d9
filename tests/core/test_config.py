"""Settings from the environment, the local signing key, and production's refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config import ConfigError, Settings, parse_rate
from app.main import create_app


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_local_generates_a_secret_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = settings(ENVIRONMENT="local", DATA_DIR=tmp_path)
    second = settings(ENVIRONMENT="local", DATA_DIR=tmp_path)
    assert first.SECRET_KEY
    assert len(first.SECRET_KEY) >= 32
    assert first.SECRET_KEY == second.SECRET_KEY
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_without_secret_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is required"):
        settings(ENVIRONMENT="production", DATA_DIR=tmp_path).check()
    assert not (tmp_path / "secret_key").exists()


def test_production_with_short_secret_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="at least 32"):
        settings(ENVIRONMENT="production", SECRET_KEY="short").check()


def test_production_refuses_the_minimal_password_hash_cost() -> None:
    with pytest.raises(ConfigError, match="PASSWORD_HASH_COST=minimal is for tests only"):
        settings(
            ENVIRONMENT="production", SECRET_KEY="k" * 32, PASSWORD_HASH_COST="minimal"
        ).check()


def test_production_with_a_proper_key_is_accepted() -> None:
    settings(ENVIRONMENT="production", SECRET_KEY="k" * 32).check()


def test_create_app_stops_with_a_one_line_message_in_production(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        create_app(settings(ENVIRONMENT="production", DATA_DIR=tmp_path))
    message = str(exit_info.value.code)
    assert "SECRET_KEY" in message
    assert "\n" not in message


def test_server_start_fails_with_one_line_when_production_has_no_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import app.main; app.main.app"],
        env={"ENVIRONMENT": "production", "DATA_DIR": str(tmp_path), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "SECRET_KEY is required" in result.stderr


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCESS_TOKEN_EXPIRE_MINUTES", "0.5")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", '["10.0.0.1", "10.0.0.2"]')
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    loaded = settings()
    assert loaded.access_token_seconds == 30
    assert loaded.CORS_ORIGINS == ["https://a.example", "https://b.example"]
    assert loaded.FORWARDED_ALLOW_IPS == ["10.0.0.1", "10.0.0.2"]
    assert loaded.LOG_FORMAT == "json"


def test_defaults_match_the_contract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "ANALYTICS_DATABASE_URL", "REDIS_URL", "CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    loaded = settings(DATA_DIR=tmp_path)
    assert loaded.DATABASE_URL == "sqlite+aiosqlite:///./data/app.db"
    assert loaded.analytics_database_url == loaded.DATABASE_URL
    assert loaded.AUTO_MIGRATE is True
    assert loaded.ENVIRONMENT == "local"
    assert (loaded.ACCESS_TOKEN_EXPIRE_MINUTES, loaded.REFRESH_TOKEN_EXPIRE_DAYS) == (30, 7)
    assert loaded.FIRST_SUPERUSER_USERNAME == "admin"
    assert loaded.REDIS_URL is None
    assert (loaded.RATE_LIMIT_DEFAULT, loaded.RATE_LIMIT_LOGIN) == ("100/minute", "5/minute")
    assert loaded.EMAIL_BACKEND == "console"
    assert loaded.CORS_ORIGINS == []
    assert (loaded.LOG_LEVEL, loaded.LOG_FORMAT) == ("INFO", "console")
    assert loaded.FORWARDED_ALLOW_IPS == ["127.0.0.1"]
    assert loaded.DOCS_ENABLED
    assert loaded.METRICS_ENABLED
    assert loaded.AGENT_MODEL is None
    assert loaded.AGENT_TIMEOUT_SECONDS == 30
    assert loaded.WS_MESSAGES_PER_SECOND == 20
    assert loaded.PASSWORD_HASH_COST == "standard"


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("100/minute", (100, 60.0)), ("5/second", (5, 1.0)), ("10/5 minutes", (10, 300.0))],
)
def test_rates_parse(rate: str, expected: tuple[int, float]) -> None:
    assert parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["", "100", "0/minute", "ten/minute", "5/fortnight"])
def test_bad_rates_are_refused(rate: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_rate(rate)
