"""The `agora` command: migrations and create-superuser against a real database file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("SECRET_KEY", "c" * 40)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_db_upgrade_and_downgrade(sqlite_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    assert "users" in _tables(sqlite_env)
    assert runner.invoke(cli, ["db", "downgrade", "base"]).exit_code == 0
    assert "users" not in _tables(sqlite_env)


def test_create_superuser_creates_once(sqlite_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    args = [
        "create-superuser",
        "--email",
        "Ops@Example.com",
        "--username",
        "ops",
        "--password",
        "ops-password-1",
    ]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "created superuser ops" in first.output
    second = runner.invoke(cli, args)
    assert "already exists" in second.output
    with sqlite3.connect(sqlite_env) as conn:
        rows = conn.execute("SELECT email, is_superuser FROM users").fetchall()
    assert rows == [("ops@example.com", 1)]


def test_create_superuser_refuses_a_short_password(sqlite_env: Path) -> None:
    result = CliRunner().invoke(
        cli, ["create-superuser", "--email", "a@example.com", "--password", "short"]
    )
    assert result.exit_code == 2
    assert "password" in result.output
