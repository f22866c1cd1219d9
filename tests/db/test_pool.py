"""The pool checks a connection on checkout without a round trip per request (PostgreSQL).

A connection the server closed is replaced before use; one idle for a while is pinged first;
one in steady use is not pinged, so a silently dropped connection costs one 503, not more.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.state import AppState
from app.db import engine as engine_module
from app.main import create_app
from tests.assertions import assert_error
from tests.support import running

LOGIN = {"username": "nobody", "password": "whatever1"}


@pytest.fixture
def postgres_url(database_url: str, app: FastAPI) -> str:
    """The test database's URL, its schema migrated by the shared `app` fixture."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("pooled PostgreSQL connections only")
    return database_url


@contextlib.asynccontextmanager
async def one_connection_app(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[tuple[AppState, httpx.AsyncClient]]:
    settings = make_settings(AUTO_MIGRATE=False, DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0)
    async with running(create_app(settings)) as served:
        yield served.state, served.client


async def backend_pid(state: AppState) -> int:
    async with state.db.engine.connect() as connection:
        pid = await connection.scalar(text("SELECT pg_backend_pid()"))
    assert isinstance(pid, int)
    return pid


async def terminate(database_url: str, pid: int) -> None:
    url = make_url(database_url)
    admin = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, database="postgres"
    )
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    await asyncio.sleep(0.2)  # the server's close reaches the client's event loop


def silently_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checkout does not see the server's close (as with a route dropped by a firewall)."""
    monkeypatch.setattr(engine_module, "_driver_saw_close", lambda _record: False)


async def test_a_connection_closed_by_the_server_is_replaced_before_use(
    postgres_url: str, make_settings: Callable[..., Settings]
) -> None:
    async with one_connection_app(make_settings) as (state, http):
        pid = await backend_pid(state)
        await terminate(postgres_url, pid)

        assert_error(await http.post("/api/v1/auth/login", data=LOGIN), 401, "invalid_credentials")
        assert await backend_pid(state) != pid


async def test_an_idle_connection_is_pinged_before_use(
    postgres_url: str,
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    async with one_connection_app(make_settings) as (state, http):
        pid = await backend_pid(state)
        silently_dropped(monkeypatch)
        await terminate(postgres_url, pid)

        assert_error(await http.post("/api/v1/auth/login", data=LOGIN), 401, "invalid_credentials")


async def test_a_connection_in_steady_use_is_not_pinged_and_a_silent_drop_costs_one_503(
    postgres_url: str,
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
    async with one_connection_app(make_settings) as (state, http):
        pid = await backend_pid(state)
        silently_dropped(monkeypatch)
        await terminate(postgres_url, pid)

        failed = await http.post("/api/v1/auth/login", data=LOGIN)
        assert failed.status_code == 503
        assert failed.json()["code"] == "database_unavailable"
        # The pool threw the broken connection away: the next request gets a fresh one.
        assert_error(await http.post("/api/v1/auth/login", data=LOGIN), 401, "invalid_credentials")
