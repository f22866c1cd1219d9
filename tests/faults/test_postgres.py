"""PostgreSQL faults on a real server: a restart under load, and an exhausted pool.

The cluster is the test's own (see services.py); the machine's PostgreSQL is never touched.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.assertions import assert_not_ready
from tests.faults.helpers import Load, sign_up, start
from tests.faults.services import PostgresCluster
from tests.servers import Server

pytestmark = pytest.mark.timeout(180)

OUTAGE_SECONDS = 3.0
RECOVERY_SECONDS = 15.0


async def test_a_restart_under_load_is_503_then_200_without_a_restart_of_the_service(
    postgres: PostgresCluster, server_dir: Path, servers: list[Server]
) -> None:
    server = start(server_dir, postgres.url, servers, DB_CONNECT_TIMEOUT="2", DB_POOL_TIMEOUT="2")
    async with httpx.AsyncClient(base_url=server.http_url, timeout=20) as http:
        headers = await sign_up(http)
        load = Load(http, "/api/v1/users/me", headers, workers=8)
        load.start()
        await asyncio.sleep(1.0)

        stopped_at = time.monotonic()
        await asyncio.to_thread(postgres.stop, "fast")
        down_at = time.monotonic()
        await asyncio.sleep(OUTAGE_SECONDS)
        ready_during = await http.get("/health/ready")
        restarting_at = time.monotonic()
        await asyncio.to_thread(postgres.start)
        back_at = time.monotonic()

        recovered_at = None
        while time.monotonic() < back_at + RECOVERY_SECONDS:
            if (await http.get("/api/v1/users/me", headers=headers)).status_code == 200:
                recovered_at = time.monotonic()
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        await load.stop()

    assert server.process.poll() is None, "the service itself kept running"
    outcomes = load.outcomes
    assert all(o.status in (200, 503) for o in outcomes), sorted(
        {(o.status, o.code) for o in outcomes}, key=str
    )
    failures = [o for o in outcomes if o.status == 503]
    assert failures, "requests during the outage were answered"
    assert all(o.code == "database_unavailable" for o in failures)
    assert all(o.retry_after and int(o.retry_after) > 0 for o in failures)
    # While the database was down (not merely stopping) every request got the 503.
    during = [o for o in outcomes if down_at + 0.5 < o.at and o.at + o.took < restarting_at]
    assert during
    assert all(o.status == 503 for o in during), sorted({o.status for o in during})
    # No hang: a request during the outage is answered within the connect timeout and some.
    assert max(o.took for o in outcomes if o.at > stopped_at) < 10
    assert_not_ready(ready_during, "database")
    assert recovered_at is not None, "no 200 within 15 s of the database coming back"
    assert sum(1 for o in outcomes if o.at > recovered_at and o.status == 200) > 0


async def test_an_exhausted_pool_is_503_within_the_pool_timeout_not_a_hang(
    postgres: PostgresCluster, server_dir: Path, servers: list[Server]
) -> None:
    pool_timeout = 1.0
    server = start(
        server_dir,
        postgres.url,
        servers,
        DB_POOL_SIZE="1",
        DB_MAX_OVERFLOW="0",
        DB_POOL_TIMEOUT=str(pool_timeout),
    )
    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as http:
        headers = await sign_up(http)
        # Another client holds a lock on the users table: the request that has the pool's
        # only connection waits on it, so the next one finds the pool empty.
        blocker = await asyncpg.connect(
            host="127.0.0.1", port=postgres.port, user="postgres", database="postgres"
        )
        try:
            transaction = blocker.transaction()
            await transaction.start()
            await blocker.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            holder = asyncio.create_task(http.get("/api/v1/users/me", headers=headers))
            await asyncio.sleep(0.5)
            sent = time.monotonic()
            waiting = await http.get("/api/v1/users/me", headers=headers)
            took = time.monotonic() - sent
            assert not holder.done()
            await transaction.rollback()
            held = await asyncio.wait_for(holder, timeout=10)
        finally:
            await blocker.close()
        after = await http.get("/api/v1/users/me", headers=headers)

    assert waiting.status_code == 503
    assert waiting.json()["code"] == "database_unavailable"
    assert int(waiting.headers["Retry-After"]) > 0
    assert pool_timeout * 0.8 <= took < pool_timeout + 2.0
    assert held.status_code == 200  # the request that waited on the lock finished normally
    assert after.status_code == 200
