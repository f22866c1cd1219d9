"""A connection pool that serves waiting requests in the order they came.

SQLAlchemy's async queue pool lets a newcomer take a connection that was just returned even
when other requests are already waiting for one (`AsyncAdaptedQueue.get` takes an available
item without awaiting, and `asyncio.Queue` wakes a waiter but does not hand it the item). The
woken waiter finds the queue empty again and goes back to the end of the line, so under load
some requests wait many times longer than the rest (the p99 tail; bench/results/NOTES.md has
the figures and a minimal reproduction written as an upstream report).

`FairQueue` hands a returned connection straight to the longest waiter; a newcomer only takes
one from the queue when nobody waits. Everything else (size, overflow, timeout giving
`sqlalchemy.exc.TimeoutError`, LIFO order of idle connections) is the stock pool's.

It is written against SQLAlchemy's internals (`QueueCommon`, the pool's `_queue_class` hook,
`await_`), so it names the minor version it was written for: tests/db/test_fair_pool.py fails
on any other, and an upgrade re-checks this file first (or drops it, once the stock queue is
fair).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TypeVar

from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util.concurrency import await_
from sqlalchemy.util.queue import Empty, Full, QueueCommon

WRITTEN_FOR_SQLALCHEMY = "2.1"

_T = TypeVar("_T")


class FairQueue(QueueCommon[_T]):
    """First come, first served; invariant: while an item is queued, nobody waits."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        self.maxsize = maxsize
        self.use_lifo = use_lifo
        self._items: deque[_T] = deque()
        self._waiters: deque[asyncio.Future[_T]] = deque()

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._items)

    def qsize(self) -> int:
        return len(self._items)

    def put_nowait(self, item: _T) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a waiter that timed out or was cancelled is skipped
                waiter.set_result(item)
                return
        if self.full():
            raise Full()
        self._items.append(item)

    def put(self, item: _T, block: bool = True, timeout: float | None = None) -> None:
        self.put_nowait(item)  # never blocks: a full pool closes the connection instead

    def get_nowait(self) -> _T:
        if not self._items:
            raise Empty()
        return self._items.pop() if self.use_lifo else self._items.popleft()

    def get(self, block: bool = True, timeout: float | None = None) -> _T:
        if self._items or not block:
            return self.get_nowait()
        return await_(self._wait(timeout))

    async def _wait(self, seconds: float | None) -> _T:
        waiter: asyncio.Future[_T] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(seconds):
                return await asyncio.shield(waiter)
        except TimeoutError:
            if waiter.done():  # handed over just as the time ran out: take it
                return waiter.result()
            waiter.cancel()
            raise Empty() from None
        except BaseException:
            if waiter.done():  # handed over, but this request is going away: pass it on
                self.put_nowait(waiter.result())
            else:
                waiter.cancel()
            raise


class FairAsyncQueuePool(AsyncAdaptedQueuePool):
    _queue_class = FairQueue  # type: ignore[assignment]
