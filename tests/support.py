"""Helpers for the tests that need real services: the suite's Redis and uvicorn subprocesses.

Redis: `TEST_REDIS_URL` (`.ci/run` sets `redis://127.0.0.1:6379/15`, a database of the suite's
own); the `redis_url` fixture flushes it before and after each test, and skips the test with a
clear reason when the variable is unset (only outside CI: `.ci/run` fails when Redis is down).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.state import STATE_KEY, AppState

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256!"
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A uvicorn subprocess serving `app.main:app` on 127.0.0.1."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def server_env(tmp_path: Path, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    database_url = os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite+aiosqlite:///{tmp_path / 'server.db'}"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("REDIS_", "RATE_LIMIT_", "EMAIL_", "SMTP_", "DATABASE_"))
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": TEST_SECRET_KEY,
            "DATA_DIR": str(tmp_path / "data"),
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_ENABLED": "false",
            "EMAIL_BACKEND": "console",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides or {})
    return env


def start_server(
    tmp_path: Path, env: Mapping[str, str], timeout: float = 60.0, *, plain: bool = False
) -> Server:
    """Start uvicorn on a free port and wait until /health answers. `plain`: with uvicorn's
    own defaults for proxy headers, as `python -m uvicorn app.main:app` runs it."""
    port = free_port()
    log_path = tmp_path / f"uvicorn-{port}.log"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:app",
        "--app-dir",
        str(ROOT),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if not plain:
        command.append("--no-proxy-headers")  # the app handles X-Forwarded-For, as `agora serve`
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=tmp_path, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(port=port, process=process, log_path=log_path, env=dict(env))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.http_url}/health", timeout=1.0).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"uvicorn did not answer /health within {timeout} s:\n{server.log()}")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    """Servers a test starts with `start_server`; each is stopped (by its PID) afterwards."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def start_pair(tmp_path: Path, overrides: Mapping[str, str], started: list[Server]) -> list[Server]:
    """Two uvicorn processes on one database and one Redis (started one after the other, so
    that only the first applies the migrations)."""
    pair = []
    for index in range(2):
        server_dir = tmp_path / f"server{index}"
        server_dir.mkdir()
        env = server_env(tmp_path, overrides)
        env["DATA_DIR"] = str(server_dir / "data")
        server = start_server(server_dir, env)
        started.append(server)
        pair.append(server)
    return pair
