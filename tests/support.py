"""Helpers for the tests: an app run in-process (`running`) and the suite's Redis.

Redis: `TEST_REDIS_URL` (`make test` sets `redis://127.0.0.1:6379/15` when a Redis answers
there, as `.ci/run` does; under xdist each worker has a database number of its own, see
tests/conftest.py); the `redis_url` fixture flushes it before and after each test, and skips
the test with a clear reason when the variable is unset (only outside CI: `.ci/run` fails
when Redis is down). The fixtures here are registered in tests/conftest.py (`pytest_plugins`):
request them by name, without importing them.

Servers in subprocesses (uvicorn, `agora serve`) are tests/servers.py's.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.state import STATE_KEY, AppState

__all__ = [
    "REDIS_SKIP_REASON",
    "Running",
    "redis_url",
    "running",
]
REDIS_SKIP_REASON = (
    "TEST_REDIS_URL is not set: the Redis tests need one (e.g. redis://127.0.0.1:6379/15; "
    ".ci/run sets it and fails under CI=true when Redis is down)"
)


@dataclass
class Running:
    """An app whose lifespan has started: a client on it and the state it owns."""

    app: FastAPI
    client: httpx.AsyncClient
    state: AppState
    asgi: ASGIApp = field(repr=False)  # the app as a server calls it (lifespan state included)

    def new_client(self, base_url: str = "http://test") -> httpx.AsyncClient:
        """Another client on the same app (its own cookies); the caller closes it."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.asgi), base_url=base_url)


@asynccontextmanager
async def running(
    application: FastAPI, *, raise_app_exceptions: bool = True
) -> AsyncIterator[Running]:
    """Run `application`'s lifespan and give a client on it.

    As an ASGI server does, each request's scope gets a copy of the lifespan state.
    """
    async with application.router.lifespan_context(application) as lifespan_state:
        state = dict(lifespan_state or {})

        async def served(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = state.copy()
            await application(scope, receive, send)

        transport = httpx.ASGITransport(app=served, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Running(application, client, state[STATE_KEY], served)


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip(REDIS_SKIP_REASON)
    client = Redis.from_url(url)
    try:
        await client.flushdb()
        yield url
        await client.flushdb()
    finally:
        await client.aclose()
