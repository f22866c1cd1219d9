"""Services of its own for each pytest-xdist worker (`make test` runs the suite with `-n`).

Run in parallel, the workers must never share state. Each worker process (PYTEST_XDIST_WORKER
is `gw0`, `gw1`, ...), before any test:
- SQLite: nothing to do; every database file lives under the worker's own temporary directory.
- PostgreSQL (TEST_DATABASE_URL set): a database of its own, `<name>_gw0`, created fresh here
  and dropped when the worker ends; TEST_DATABASE_URL is rewritten to it, so the suite's app,
  the server subprocesses (tests/servers.py) and the databases made next to it (fuzzing, the
  browser's) all follow.
- Redis (TEST_REDIS_URL set): database number N - k for worker gwk (N, 15 by default, is the
  URL's), as the `redis_url` fixture flushes its database before and after each test.
- Ports: every server takes a free port of the OS's choosing (tests/servers.py, `free_port`).
The modules whose tests take seconds each (SLOW_FIRST) are scheduled first, so that the run
does not end on one worker still fuzzing while the others are idle. Without xdist (a plain
`pytest` run) nothing changes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from typing import Any

import pytest
from sqlalchemy.engine import make_url

_created: list[str] = []

# Longest first (`--durations=0`): servers of their own, fuzzing, timing, deliberate waits.
SLOW_FIRST = (
    "tests/test_openapi_fuzz.py",
    "tests/auth/test_timing.py",
    "tests/test_shutdown.py",
    "tests/faults/",
    "tests/realtime/test_redis.py",
    "tests/core/test_ratelimit_processes.py",
    "tests/realtime/test_router.py",
    "tests/users/test_race.py",
    "tests/users/test_stream_limits.py",
)


def worker_index() -> int | None:
    """This process's xdist worker number (gw3: 3), or None outside xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else None


def redis_url_for_worker(url: str, index: int) -> str:
    """`redis://host:port/15` for worker 2: `redis://host:port/13`."""
    base, _, number = url.rstrip("/").rpartition("/")
    if not number.isdigit() or "//" not in base:
        base, number = url.rstrip("/"), "0"
    database = int(number) - index
    if database < 0:
        raise pytest.UsageError(
            f"TEST_REDIS_URL {url}: worker gw{index} would need Redis database {database}; "
            "start from a higher database number or run fewer workers"
        )
    return f"{base}/{database}"


def _run(coroutine: Any) -> Any:
    """Run a coroutine on a loop of its own in a thread (the suite's loop stays untouched)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _admin(url: str, *statements: str) -> None:
    import asyncpg

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database="postgres",
    )
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def database_url_for_worker(url: str, index: int) -> str:
    """A fresh PostgreSQL database `<name>_gw<index>` next to `url`'s; its URL."""
    parsed = make_url(url)
    name = f"{parsed.database}_gw{index}"
    _run(
        _admin(
            url,
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}"',
        )
    )
    _created.append(url)
    worker_url: str = parsed.set(database=name).render_as_string(hide_password=False)
    return worker_url


def pytest_configure(config: pytest.Config) -> None:
    index = worker_index()
    if index is None:
        return
    if redis_url := os.environ.get("TEST_REDIS_URL"):
        os.environ["TEST_REDIS_URL"] = redis_url_for_worker(redis_url, index)
    database_url = os.environ.get("TEST_DATABASE_URL")
    if database_url and make_url(database_url).get_backend_name() == "postgresql":
        os.environ["TEST_DATABASE_URL"] = database_url_for_worker(database_url, index)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _created:
        base = _created.pop()
        worker = os.environ["TEST_DATABASE_URL"]
        name = make_url(worker).database
        _run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        os.environ["TEST_DATABASE_URL"] = base


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if worker_index() is None:
        return

    def rank(item: pytest.Item) -> int:
        for index, prefix in enumerate(SLOW_FIRST):
            if item.nodeid.startswith(prefix):
                return index
        return len(SLOW_FIRST)

    items.sort(key=rank)  # stable: the order within each group stays the collection's
