"""SQLite with many writers at once: they take turns instead of failing, and reads go on.

Each test here has a SQLite file of its own (whatever database the suite runs on), except
the HTTP ones, which use the suite's app and run on both databases where they apply.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.config import Settings
from app.core.security import PasswordHasher
from app.core.state import AppState
from app.db.engine import create_engine
from tests.assertions import assert_error
from tests.conftest import DEFAULT_PASSWORD, UserFactory, is_postgres, login

REGISTER = "/api/v1/auth/register"


@pytest.fixture
async def sqlite_engine(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'writers.db'}"
    engine = create_engine(url, make_settings(DATABASE_URL=url))
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE log (n INTEGER NOT NULL)"))
    try:
        yield engine
    finally:
        await engine.dispose()


async def write_slowly(
    engine: AsyncEngine, n: int, hold: float | asyncio.Event, order: list[int]
) -> None:
    """A unit of work that writes, then stays in its transaction for `hold` seconds (as one
    does in a process whose event loop is busy) or until `hold` is set, then commits."""
    async with AsyncSession(engine) as session:
        await session.execute(text("INSERT INTO log (n) VALUES (:n)"), {"n": n})
        if isinstance(hold, asyncio.Event):
            await hold.wait()
        else:
            await asyncio.sleep(hold)
        await session.commit()
        order.append(n)


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll `condition` (state of the code under test, which signals nothing) until true."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


async def test_writers_wait_their_turn_behind_slow_writers_for_longer_than_the_old_busy_timeout(
    sqlite_engine: AsyncEngine,
) -> None:
    # 40 writers holding the lock 0.15 s each: the last waits about 6 s, more than the 5 s the
    # busy handler used to allow before "database is locked".
    writers = 40
    committed: list[int] = []

    results = await asyncio.gather(
        *(write_slowly(sqlite_engine, n, 0.15, committed) for n in range(writers)),
        return_exceptions=True,
    )

    assert [r for r in results if r is not None] == []
    async with sqlite_engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM log"))).scalar_one() == writers


async def test_writers_of_one_process_commit_in_the_order_they_asked_to_write(
    sqlite_engine: AsyncEngine,
) -> None:
    from app.db.sqlite import write_queue

    queue = write_queue(sqlite_engine)
    assert queue is not None
    committed: list[int] = []
    release_first = asyncio.Event()
    tasks = [asyncio.create_task(write_slowly(sqlite_engine, 0, release_first, committed))]
    await until(lambda: queue.taken)
    for n in range(1, 10):
        tasks.append(asyncio.create_task(write_slowly(sqlite_engine, n, 0.0, committed)))
        await until(lambda n=n: queue.waiting == n)  # each asks after the one before

    release_first.set()
    await asyncio.gather(*tasks)

    # The rows' order in the file is the order the writers had their turn (each inserts only
    # once it has it); `committed` is when each coroutine resumed after its commit, which a
    # busy event loop may reorder.
    async with sqlite_engine.connect() as conn:
        turns = (await conn.execute(text("SELECT n FROM log ORDER BY rowid"))).scalars().all()
    assert list(turns) == list(range(10))
    assert sorted(committed) == list(range(10))


async def test_a_read_is_not_held_up_by_an_open_write_transaction(
    sqlite_engine: AsyncEngine,
) -> None:
    async with AsyncSession(sqlite_engine) as writer:
        await writer.execute(text("INSERT INTO log (n) VALUES (1)"))  # and stays open
        started = time.monotonic()
        async with AsyncSession(sqlite_engine) as reader:
            count = (await reader.execute(text("SELECT count(*) FROM log"))).scalar_one()
            await reader.commit()
        waited = time.monotonic() - started
        await writer.commit()

    assert count == 0  # the uncommitted row is not seen
    assert waited < 1.0


async def test_a_write_that_cannot_get_its_turn_in_time_gives_503_database_unavailable(
    state: AppState, client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    if is_postgres(state):
        pytest.skip("SQLite's write queue")
    from app.db.sqlite import write_queue

    queue = write_queue(state.db.engine)
    assert queue is not None
    saved = queue.timeout
    queue.timeout = 0.2
    try:
        async with state.db.sessionmaker() as holder:
            await holder.execute(text("UPDATE users SET full_name = 'x' WHERE 1 = 0"))
            response = await client.post(
                "/api/v1/posts", json={"title": "t", "content": "c"}, headers=user_headers
            )
            await holder.rollback()
    finally:
        queue.timeout = saved

    assert_error(response, 503, "database_unavailable")


# --- no connection held while a password is hashed -----------------------------------------


class CheckedOutDuringHashing(PasswordHasher):
    """Records how many of the app's pooled connections are checked out while it hashes."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(PasswordHash((Argon2Hasher(),)))
        self.engine = engine
        self.seen: list[int] = []

    def _checked_out(self) -> int:
        return int(self.engine.pool.checkedout())  # type: ignore[attr-defined]

    async def hash(self, password: str) -> str:
        self.seen.append(self._checked_out())
        return await super().hash(password)

    async def verify_and_update(self, password: str, hashed: str) -> tuple[bool, str | None]:
        self.seen.append(self._checked_out())
        return await super().verify_and_update(password, hashed)


@pytest.fixture
def recording_hasher(state: AppState) -> Iterator[CheckedOutDuringHashing]:
    original = state.hasher
    state.hasher = recorder = CheckedOutDuringHashing(state.db.engine)
    try:
        yield recorder
    finally:
        state.hasher = original


async def test_registration_holds_no_database_connection_while_hashing_the_password(
    client: httpx.AsyncClient, recording_hasher: CheckedOutDuringHashing
) -> None:
    response = await client.post(
        REGISTER, json={"username": "hasher", "email": "h@example.com", "password": "s3cret-pass"}
    )

    assert response.status_code == 201
    assert recording_hasher.seen == [0]


async def test_login_holds_no_database_connection_while_checking_the_password(
    client: httpx.AsyncClient,
    user_factory: UserFactory,
    recording_hasher: CheckedOutDuringHashing,
) -> None:
    await user_factory("checker")

    response = await login(client, "checker", DEFAULT_PASSWORD)

    assert response.status_code == 200
    assert recording_hasher.seen == [0]


# --- many registrations at once, through the API ------------------------------------------


@pytest.fixture
def fast_hasher(state: AppState) -> Iterator[None]:
    """Cheap Argon2 parameters, so that the registrations reach the database all at once."""
    original = state.hasher
    cheap = Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1)
    state.hasher = PasswordHasher(PasswordHash((cheap,)))
    try:
        yield
    finally:
        state.hasher = original


async def test_200_parallel_registrations_all_succeed(
    client: httpx.AsyncClient, fast_hasher: None
) -> None:
    bodies = [
        {"username": f"burst{i}", "email": f"burst{i}@example.com", "password": "s3cret-pass"}
        for i in range(200)
    ]

    responses = await asyncio.gather(*(client.post(REGISTER, json=body) for body in bodies))

    assert Counter(r.status_code for r in responses) == {201: 200}
