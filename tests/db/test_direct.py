"""The hot statements outside the ORM (app/db/direct.py), on both databases: the same rows and
types as a session gives, the same errors, and entities that a unit of work can change."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC

import pytest
from sqlalchemy import bindparam, event, exc, func, insert, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import object_session

from app.core.config import Settings
from app.core.state import AppState
from app.db.base import new_id, utcnow
from app.db.direct import Direct, DirectStatement
from app.db.engine import create_engine
from app.db.errors import (
    is_database_unavailable,
    is_foreign_key_violation,
    translate_driver_errors,
)
from app.db.folding import contains_pattern
from app.posts.models import Post
from app.users.models import User
from app.users.repository import USER_BY_ID, USERS, find_user

POSTS = Post.__table__  # type: ignore[attr-defined]
INSERT_POST = DirectStatement(insert(POSTS))
TITLES_LIKE = DirectStatement(
    select(POSTS.c.title).where(POSTS.c.title.like(bindparam("pattern"), escape="/"))
)


def post_values(author_id: uuid.UUID, title: str = "T") -> dict[str, object]:
    now = utcnow()
    return {
        "id": new_id(),
        "title": title,
        "content": "C",
        "is_published": True,
        "author_id": author_id,
        "created_at": now,
        "updated_at": now,
    }


async def test_a_user_read_directly_equals_the_one_a_session_loads(
    state: AppState, user: User
) -> None:
    direct_user = await find_user(state.db.direct, user.id)
    async with state.db.sessionmaker() as session:
        loaded = await session.get(User, user.id)

    assert direct_user is not None
    assert loaded is not None
    columns = [column.key for column in USERS.c]
    assert {c: getattr(direct_user, c) for c in columns} == {c: getattr(loaded, c) for c in columns}
    assert direct_user.created_at.tzinfo is UTC  # the column type's result processing applied
    assert isinstance(direct_user.permissions, list)


async def test_an_unknown_id_is_none(state: AppState) -> None:
    assert await find_user(state.db.direct, uuid.uuid4()) is None


async def test_a_directly_read_user_is_in_no_session_and_a_unit_of_work_updates_it(
    state: AppState, user: User
) -> None:
    direct_user = await find_user(state.db.direct, user.id)
    assert direct_user is not None
    assert object_session(direct_user) is None

    async with state.db.sessionmaker() as session:
        session.add(direct_user)
        direct_user.full_name = "Changed Directly"
        await session.commit()  # an UPDATE: an INSERT would fail on the primary key

    async with state.db.sessionmaker() as session:
        stored = await session.get(User, user.id)
        assert stored is not None
        assert stored.full_name == "Changed Directly"
        assert stored.email == user.email


async def test_a_write_is_committed_on_its_own(state: AppState, user: User) -> None:
    values = post_values(user.id)

    assert await state.db.direct.write(INSERT_POST, values) == []

    async with state.db.sessionmaker() as session:
        assert await session.get(Post, values["id"]) is not None


async def test_a_write_refused_by_a_foreign_key_is_sqlalchemys_integrity_error(
    state: AppState,
) -> None:
    with pytest.raises(exc.IntegrityError) as raised:
        await state.db.direct.write(INSERT_POST, post_values(uuid.uuid4()))

    assert is_foreign_key_violation(raised.value)


async def test_a_duplicate_key_is_an_integrity_error_and_the_connection_stays_usable(
    state: AppState, user: User
) -> None:
    values = post_values(user.id)
    await state.db.direct.write(INSERT_POST, values)

    with pytest.raises(exc.IntegrityError):
        await state.db.direct.write(INSERT_POST, values)
    assert await find_user(state.db.direct, user.id) is not None


@pytest.mark.parametrize("text", ["100%", "a_b", "x/y", "//"])
async def test_a_bound_contains_pattern_matches_percent_underscore_and_slash_literally(
    state: AppState, user: User, text: str
) -> None:
    for title in (f"has {text} in it", "has nothing", "has 100 and ab and xy"):
        await state.db.direct.write(INSERT_POST, post_values(user.id, title))

    rows = await state.db.direct.all(TITLES_LIKE, {"pattern": contains_pattern(text)})

    assert rows == [(f"has {text} in it",)]


async def test_a_database_that_cannot_be_reached_is_unavailable(
    state: AppState, unused_tcp_port: int
) -> None:
    url = state.db.engine.url
    if url.get_backend_name() != "postgresql":
        pytest.skip("the driver path is asyncpg's")
    engine = create_async_engine(
        url.set(host="127.0.0.1", port=unused_tcp_port), connect_args={"timeout": 2}
    )
    translate_driver_errors(engine)
    try:
        with pytest.raises(exc.DBAPIError) as raised:
            await Direct(engine, on_driver=True).first(DirectStatement(select(USERS.c.id)), {})
        assert is_database_unavailable(raised.value)
    finally:
        await engine.dispose()


async def test_a_statement_cancelled_midway_leaves_a_pool_of_one_usable(
    state: AppState, settings: Settings, user: User
) -> None:
    """The one connection is either thrown away or given back idle: the next statement runs."""
    if state.db.engine.dialect.name != "postgresql":
        pytest.skip("the driver path is asyncpg's")
    engine = create_engine(settings.DATABASE_URL, settings, pool_size=1)
    direct = Direct(engine, on_driver=True)
    sleep = DirectStatement(select(func.pg_sleep(bindparam("seconds"))))
    try:
        task = asyncio.create_task(direct.first(sleep, {"seconds": 5}))
        await asyncio.sleep(0.2)  # the statement is running on the server
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert await find_user(direct, user.id) is not None
    finally:
        await engine.dispose()


async def test_statements_in_one_direct_connection_take_one_checkout(
    state: AppState, user: User
) -> None:
    checkouts: list[object] = []

    def count(*_args: object) -> None:
        checkouts.append(_args)

    event.listen(state.db.engine.sync_engine, "checkout", count)
    try:
        async with state.db.direct.connection() as connection:
            first = await connection.first(USER_BY_ID, {"id": user.id})
            missing = await connection.scalar(USER_BY_ID, {"id": uuid.uuid4()})
    finally:
        event.remove(state.db.engine.sync_engine, "checkout", count)

    assert first is not None
    assert missing is None
    assert len(checkouts) == 1
    assert state.db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
