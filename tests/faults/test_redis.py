"""Redis stops under a running server: rate limits fail open, broadcasts stay local, readiness
says so; when Redis is back, so is everything (no restart of the service).

The Redis is the test's own (see services.py); the machine's Redis is never touched.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.assertions import assert_error, assert_not_ready
from tests.faults.helpers import sign_up, start
from tests.faults.services import RedisProcess
from tests.realtime.helpers import next_about
from tests.servers import Server

pytestmark = pytest.mark.timeout(120)


async def _broadcast_reaches_both(server: Server) -> None:
    async with (
        connect(f"{server.ws_url}/ws/alpha") as alpha,
        connect(f"{server.ws_url}/ws/beta") as beta,
    ):
        await asyncio.sleep(0.2)
        await alpha.send("hello")
        assert await next_about(alpha, ["alpha"]) == "Client alpha: hello"
        assert await next_about(beta, ["alpha"]) == "Client alpha: hello"


async def test_with_redis_stopped_limits_fail_open_broadcasts_stay_local_ready_says_so(
    redis_process: RedisProcess, server_dir: Path, servers: list[Server]
) -> None:
    server = start(
        server_dir,
        f"sqlite+aiosqlite:///{server_dir / 'app.db'}",
        servers,
        REDIS_URL=redis_process.url,
        RATE_LIMIT_ENABLED="true",
        RATE_LIMIT_DEFAULT="100000/minute",
        RATE_LIMIT_LOGIN="1000/minute",
    )
    async with httpx.AsyncClient(base_url=server.http_url, timeout=20) as http:
        headers = await sign_up(http)
        ready = await http.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"]["redis"] == "ok"
        limited = await http.get("/api/v1/users/me", headers=headers)
        assert limited.status_code == 200
        assert "RateLimit-Limit" in limited.headers  # counted in Redis

        await asyncio.to_thread(redis_process.stop)
        try:
            for _ in range(20):
                sent = time.monotonic()
                response = await http.get("/api/v1/users/me", headers=headers)
                assert response.status_code == 200  # fail open
                assert time.monotonic() - sent < 3  # bounded by the Redis socket timeout
            login = await http.post(
                "/api/v1/auth/login", data={"username": "fault_user", "password": "x" * 10}
            )
            assert_error(login, 401, "invalid_credentials")  # the login limit fails open too
            down = assert_not_ready(await http.get("/health/ready"), "redis")
            assert down["checks"]["database"] == "ok"
            await _broadcast_reaches_both(server)  # local delivery on the same process
        finally:
            await asyncio.to_thread(redis_process.start)  # restore what was stopped

        deadline = time.monotonic() + 15
        while (await http.get("/health/ready")).status_code != 200:
            assert time.monotonic() < deadline, "readiness did not recover within 15 s"
            await asyncio.sleep(0.2)
        # Limits are counted in Redis again once its short back-off after a failure is over.
        while (
            "RateLimit-Limit"
            not in (again := await http.get("/api/v1/users/me", headers=headers)).headers
        ):
            assert again.status_code == 200
            assert time.monotonic() < deadline, "rate limits did not use Redis again in 15 s"
            await asyncio.sleep(0.2)
        await _broadcast_reaches_both(server)
    assert server.process.poll() is None
