"""Minimal reproduction: SQLAlchemy's async queue pool does not serve waiters in order.

Workload (PostgreSQL at BENCH_DATABASE_URL, default the local server's `postgres` database):
a pool of one connection, held by task A. Task B asks for a connection and waits. Task C is
started, and in the same event-loop turn A gives the connection back. First come, first served
would hand it to B, who has been waiting; the stock `AsyncAdaptedQueuePool` lets C take it
(`AsyncAdaptedQueue.get` takes an available item without awaiting, and `asyncio.Queue` wakes B
without handing it the item), and B goes back to the end of the line. Under load this repeats,
which is the p99 tail in bench/results/NOTES.md. `FairAsyncQueuePool` (app/db/pool.py) runs the
same steps as the comparison. Prints, for each pool, the order in which B and C were served,
over ROUNDS repetitions.

Run: .venv/bin/python bench/pool_fairness.py
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, Pool

from app.db.pool import FairAsyncQueuePool

ROUNDS = 20


async def served_first(engine: AsyncEngine) -> str:
    order: list[str] = []

    async def take(name: str) -> None:
        async with engine.connect():
            order.append(name)

    holder = await engine.connect()  # A (no statement: giving it back needs no round trip)
    waiter = asyncio.create_task(take("B"))
    for _ in range(10):  # B is now waiting in the pool's queue
        await asyncio.sleep(0)
    newcomer = asyncio.create_task(take("C"))  # C starts...
    await holder.close()  # ...and A gives the connection back in the same turn
    await asyncio.gather(waiter, newcomer)
    return order[0]


async def main() -> None:
    print(__doc__.split("\n\nRun:")[0], flush=True)
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1/postgres")
    pools: list[tuple[str, type[Pool]]] = [
        ("stock AsyncAdaptedQueuePool", AsyncAdaptedQueuePool),
        ("FairAsyncQueuePool", FairAsyncQueuePool),
    ]
    for name, poolclass in pools:
        engine = create_async_engine(url, poolclass=poolclass, pool_size=1, max_overflow=0)
        try:
            firsts = Counter([await served_first(engine) for _ in range(ROUNDS)])
        finally:
            await engine.dispose()
        print(
            f"{name}: served the waiting B first {firsts['B']} of {ROUNDS} times, "
            f"the newcomer C first {firsts['C']} times"
        )


if __name__ == "__main__":
    asyncio.run(main())
