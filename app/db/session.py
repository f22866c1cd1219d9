"""The unit of work: one session per request, committed once at the end, rolled back on error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.state import StateDep


async def get_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    async with state.db.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# scope="function": the commit runs when the endpoint has returned and its response is
# built, but before it is sent, so a failed commit becomes an error response rather than a
# success the database never saw.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_stream_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    """A session for a streamed body, which is read after the endpoint has returned: it stays
    open until the response has been sent (scope="request"). It only reads: no commit."""
    async with state.db.sessionmaker() as session:
        yield session


StreamSessionDep = Annotated[AsyncSession, Depends(get_stream_session, scope="request")]
