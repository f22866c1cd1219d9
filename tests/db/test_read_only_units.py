"""A read-only request's unit of work costs no BEGIN and no COMMIT on PostgreSQL, until it writes.

GET and HEAD requests get a session from `Database.read_sessionmaker`, whose connection runs in
autocommit: one round trip per SELECT. A first write (or anything but a plain SELECT) begins
the transaction just before it, committed at the end and rolled back on error, as any unit of
work. Every other method keeps the ordinary unit of work. What the server received is read
from SQLAlchemy's statement events and asyncpg's transactions (BEGIN and COMMIT are asyncpg's).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg.transaction
import httpx
import pytest
from sqlalchemy import event, select, text
from sqlmodel import col
from starlette.requests import HTTPConnection

from app.core.state import STATE_KEY, AppState
from app.db.engine import needs_transaction
from app.db.session import get_session
from app.posts.models import Post
from app.users.models import User


class ServerLog:
    """What the app's engine sent to the server, in order: each statement (as it completes),
    asyncpg's BEGIN, COMMIT and ROLLBACK (which SQLAlchemy's events do not see) and the hot
    statements sent on the driver (app/db/direct.py)."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.queries.append(statement.split()[0].upper())

    def wrap(self, method: Any, name: str) -> Any:
        async def logged(transaction: Any) -> None:
            await method(transaction)
            self.queries.append(name)

        return logged

    def wrap_fetch(self, fetch: Any) -> Any:
        async def logged(connection: Any, query: str, *args: Any, **kwargs: Any) -> Any:
            records = await fetch(connection, query, *args, **kwargs)
            self.queries.append(query.split()[0].upper())
            return records

        return logged


async def until_idle(state: AppState) -> None:
    """Wait until no connection is checked out: work an earlier test left running after its
    response (an email job, a forgot-password lookup) must not be logged as this test's."""
    pool: Any = state.db.engine.pool
    async with asyncio.timeout(10):
        while pool.checkedout():  # noqa: ASYNC110 (the pool signals nothing)
            await asyncio.sleep(0.01)


@pytest.fixture
async def server_log(state: AppState, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ServerLog]:
    if state.db.engine.dialect.name != "postgresql":
        pytest.skip("the autocommit reads are PostgreSQL's (SQLite's reads begin no transaction)")
    await until_idle(state)
    log = ServerLog()
    for method, name in (("start", "BEGIN"), ("commit", "COMMIT"), ("rollback", "ROLLBACK")):
        original = getattr(asyncpg.transaction.Transaction, method)
        monkeypatch.setattr(asyncpg.transaction.Transaction, method, log.wrap(original, name))
    # SQLAlchemy's adapter runs prepared statements: `Connection.fetch` is only app/db/direct.py.
    monkeypatch.setattr(asyncpg.Connection, "fetch", log.wrap_fetch(asyncpg.Connection.fetch))
    sync_engine = state.db.engine.sync_engine
    event.listen(sync_engine, "after_cursor_execute", log.statement)
    try:
        yield log
    finally:
        event.remove(sync_engine, "after_cursor_execute", log.statement)


async def test_a_get_sends_its_select_alone(
    client: httpx.AsyncClient, user_headers: dict[str, str], server_log: ServerLog
) -> None:
    response = await client.get("/api/v1/users/me", headers=user_headers)

    assert response.status_code == 200
    assert server_log.queries == ["SELECT"]


async def test_a_patch_is_one_transaction_after_the_callers_lookup(
    client: httpx.AsyncClient, user_headers: dict[str, str], server_log: ServerLog
) -> None:
    await client.get("/api/v1/users/me", headers=user_headers)  # a read on the same pool first
    server_log.queries.clear()

    response = await client.patch(
        "/api/v1/users/me", json={"full_name": "New Name"}, headers=user_headers
    )

    assert response.status_code == 200
    assert server_log.queries[0] == "SELECT"  # the caller, outside the unit of work
    unit = server_log.queries[1:]
    assert unit[0] == "BEGIN"
    assert unit[-1] == "COMMIT"
    assert "UPDATE" in unit


async def test_a_new_post_is_one_insert_committed_on_its_own(
    client: httpx.AsyncClient, user_headers: dict[str, str], server_log: ServerLog
) -> None:
    response = await client.post(
        "/api/v1/posts", json={"title": "T", "content": "C"}, headers=user_headers
    )

    assert response.status_code == 201
    assert server_log.queries == ["SELECT", "INSERT"]  # the caller, then the post: autocommit
    listed = await client.get("/api/v1/posts", headers=user_headers)
    assert [post["id"] for post in listed.json()["items"]] == [response.json()["id"]]


async def test_a_page_of_posts_is_one_select_besides_the_callers(
    client: httpx.AsyncClient, user_headers: dict[str, str], server_log: ServerLog
) -> None:
    response = await client.get("/api/v1/posts?limit=5", headers=user_headers)

    assert response.status_code == 200
    assert server_log.queries == ["SELECT", "SELECT"]  # no BEGIN, no COMMIT


def get_request(state: AppState) -> HTTPConnection:
    return HTTPConnection({"type": "http", "method": "GET", "state": {STATE_KEY: state}})


async def test_a_get_that_writes_commits_its_write(
    state: AppState, user: User, server_log: ServerLog
) -> None:
    unit = get_session(get_request(state))
    session = await anext(unit)
    await session.execute(select(User).where(col(User.id) == user.id))
    session.add(Post(title="Written by a GET", content="C", author_id=user.id))
    with pytest.raises(StopAsyncIteration):
        await anext(unit)  # the request succeeded

    assert server_log.queries == ["SELECT", "BEGIN", "INSERT", "COMMIT"]
    async with state.db.sessionmaker() as check:
        assert (await check.scalars(select(Post.title))).all() == ["Written by a GET"]


async def test_a_get_that_leaves_a_change_pending_commits_it(
    state: AppState, user: User, server_log: ServerLog
) -> None:
    unit = get_session(get_request(state))
    session = await anext(unit)
    session.add(Post(title="Flushed at the end", content="C", author_id=user.id))
    with pytest.raises(StopAsyncIteration):
        await anext(unit)

    assert server_log.queries == ["BEGIN", "INSERT", "COMMIT"]
    async with state.db.sessionmaker() as check:
        assert (await check.scalars(select(Post.title))).all() == ["Flushed at the end"]


async def test_a_get_that_fails_after_writing_rolls_its_write_back(
    state: AppState, user: User, server_log: ServerLog
) -> None:
    unit = get_session(get_request(state))
    session = await anext(unit)
    session.add(Post(title="Rolled back", content="C", author_id=user.id))
    await session.flush()
    with pytest.raises(RuntimeError):
        await unit.athrow(RuntimeError("the request failed after its write"))

    assert server_log.queries == ["BEGIN", "INSERT", "ROLLBACK"]
    async with state.db.sessionmaker() as check:
        assert (await check.scalars(select(Post.id))).all() == []


async def test_a_read_only_connection_goes_back_to_the_pool_transactional(
    state: AppState, user: User, server_log: ServerLog
) -> None:
    async with state.db.read_sessionmaker() as session:
        await session.execute(text("SELECT 1"))
    server_log.queries.clear()

    async with state.db.sessionmaker() as session:
        await session.execute(text("SELECT 1"))
        await session.commit()

    assert server_log.queries == ["BEGIN", "SELECT", "COMMIT"]


@pytest.mark.parametrize(
    ("statement", "needed"),
    [
        ("SELECT users.id FROM users WHERE users.id = $1", False),
        ("  select 1", False),
        ("SELECT posts.id FROM posts FOR UPDATE", True),
        ("SELECT posts.id FROM posts FOR NO KEY UPDATE OF posts", True),
        ("SELECT 1 FROM posts FOR SHARE", True),
        ("SELECT pg_advisory_xact_lock(1)", True),
        ("INSERT INTO posts (id) VALUES ($1)", True),
        ("UPDATE users SET full_name = $1", True),
        ("DELETE FROM posts", True),
        ("WITH gone AS (DELETE FROM posts RETURNING id) SELECT count(*) FROM gone", True),
        ("SAVEPOINT sa_savepoint_1", True),
    ],
)
def test_only_a_plain_select_runs_outside_a_transaction(statement: str, needed: bool) -> None:
    assert needs_transaction(statement) is needed
