"""The connection pool serves waiting requests first come, first served (app/db/pool.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.util.concurrency import greenlet_spawn
from sqlalchemy.util.queue import Empty, Full

from app.core.config import Settings
from app.db.engine import create_engine
from app.db.pool import FairAsyncQueuePool, FairQueue


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def waiting_get(queue: FairQueue[str], timeout: float = 5.0) -> asyncio.Task[Any]:
    # The pool calls `get` from SQLAlchemy's greenlet bridge, as a request's session does.
    return asyncio.create_task(greenlet_spawn(queue.get, True, timeout))


async def waiters_in_line(queue: FairQueue[str], count: int) -> list[asyncio.Task[Any]]:
    """`count` requests waiting for a connection, each one arrived after the one before."""
    waiters = []
    for _ in range(count):
        waiters.append(waiting_get(queue))
        await settle()
    return waiters


def test_the_postgresql_engine_uses_the_fair_pool(settings: Settings) -> None:
    engine = create_engine("postgresql+asyncpg://agora@127.0.0.1/agora", settings)

    assert isinstance(engine.pool, FairAsyncQueuePool)


def test_a_sqlite_file_engine_uses_the_fair_pool(settings: Settings, tmp_path: Path) -> None:
    # A burst of logins on SQLite waited for connections past the 30 s pool timeout (503)
    # while later requests were served (bench/sqlite_writers.py).
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fair.db'}", settings)

    assert isinstance(engine.pool, FairAsyncQueuePool)


async def test_returned_connections_go_to_the_waiters_in_arrival_order() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=2)
    first, second = await waiters_in_line(queue, 2)

    queue.put_nowait("a")
    queue.put_nowait("b")

    assert await first == "a"
    assert await second == "b"


async def test_a_newcomer_does_not_take_a_connection_handed_to_a_waiter() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=1)
    (waiter,) = await waiters_in_line(queue, 1)
    asyncio.get_running_loop().call_later(0.05, queue.put_nowait, "b")

    queue.put_nowait("a")  # a connection comes back while the waiter has not run yet
    newcomer_got = await greenlet_spawn(queue.get, True, 5.0)  # and a request arrives

    assert await waiter == "a"
    assert newcomer_got == "b"


async def test_an_idle_connection_is_taken_at_once_when_nobody_waits() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=1)
    queue.put_nowait("a")

    assert await greenlet_spawn(queue.get, True, 5.0) == "a"


async def test_a_wait_past_the_timeout_is_empty_and_leaves_no_waiter_behind() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=1)

    with pytest.raises(Empty):
        await greenlet_spawn(queue.get, True, 0.05)

    queue.put_nowait("a")
    assert queue.qsize() == 1  # not handed to the request that gave up


async def test_a_waiter_cancelled_after_the_handover_passes_the_connection_on() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=1)
    leaving, staying = await waiters_in_line(queue, 2)

    queue.put_nowait("a")
    leaving.cancel()

    assert await staying == "a"
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_a_full_queue_refuses_another_connection() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=1)
    queue.put_nowait("a")

    with pytest.raises(Full):
        queue.put_nowait("b")


def test_the_fair_pool_is_used_only_with_the_sqlalchemy_it_was_written_for() -> None:
    """app/db/pool.py leans on SQLAlchemy internals: an upgrade must re-check it first."""
    import sqlalchemy
    from sqlalchemy.pool import AsyncAdaptedQueuePool
    from sqlalchemy.util.queue import AsyncAdaptedQueue, QueueCommon

    from app.db.pool import WRITTEN_FOR_SQLALCHEMY

    minor = ".".join(sqlalchemy.__version__.split(".")[:2])
    assert minor == WRITTEN_FOR_SQLALCHEMY, (
        f"SQLAlchemy {sqlalchemy.__version__}: re-check app/db/pool.py against its "
        "QueueCommon/AsyncAdaptedQueue/_queue_class, then update WRITTEN_FOR_SQLALCHEMY"
    )
    assert AsyncAdaptedQueuePool._queue_class is AsyncAdaptedQueue
    assert issubclass(AsyncAdaptedQueue, QueueCommon)
    assert FairAsyncQueuePool._queue_class is FairQueue


async def test_a_waiter_cancelled_before_the_handover_leaves_the_connection_to_the_next() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=1)
    leaving, staying = await waiters_in_line(queue, 2)

    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    queue.put_nowait("a")

    assert await staying == "a"
    assert queue.qsize() == 0
