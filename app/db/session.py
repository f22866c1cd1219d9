"""The unit of work: one session per request, committed once at the end, rolled back on error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from app.core.state import StateDep, state_of

READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


async def get_session(conn: HTTPConnection) -> AsyncIterator[AsyncSession]:
    """The request's unit of work. A GET's (and so a HEAD's) begins no transaction until it
    writes (`Database.read_sessionmaker`): a read costs one round trip, not three. One that
    nothing used (the routes whose statements all run outside it, app/db/direct.py) is
    neither committed nor closed: there is nothing to end, and ending it costs 60 us."""
    db = state_of(conn.scope).db
    read_only = conn.scope.get("method") in READ_ONLY_METHODS
    session = (db.read_sessionmaker if read_only else db.sessionmaker)()
    try:
        yield session
    except BaseException:
        await session.rollback()
        await session.close()
        raise
    if not _was_used(session):
        return
    try:
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    finally:
        await session.close()


def _was_used(session: AsyncSession) -> bool:
    """Whether the unit of work began a transaction, holds objects or has changes pending."""
    return bool(
        session.in_transaction()
        or session.identity_map
        or session.new
        or session.dirty
        or session.deleted
    )


async def release_connection(session: AsyncSession) -> None:
    """Give the unit of work's connection back to the pool before slow work that needs no
    database (checking a password: Argon2 in a worker thread, queued behind the other hashes
    under a burst of logins). Holding it meanwhile, a burst exhausts the pool: every other
    request waits behind it, and past the pool timeout gets 503.

    Only for a unit of work that has not written yet: it is committed, which ends its reads.
    What it loaded stays usable (expire_on_commit=False); the next query checks a connection
    out again.
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("release_connection() would commit pending changes early")
    await session.commit()


# scope="function": the commit runs when the endpoint has returned and its response is
# built, but before it is sent, so a failed commit becomes an error response rather than a
# success the database never saw.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_stream_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    """A session for a streamed body, on the streams' own pool (`Database.stream_engine`).

    The body is read after the endpoint has returned: the session stays open until the
    response has been sent or has failed (scope="request"), which is also when its connection
    goes back to the pool, whatever happened. It only reads: no commit.
    """
    async with state.db.stream_sessionmaker() as session:
        yield session


StreamSessionDep = Annotated[AsyncSession, Depends(get_stream_session, scope="request")]
