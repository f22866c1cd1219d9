"""The unit of work: one session per request, committed once at the end, rolled back on error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.engine import Database


def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_database(request).sessionmaker() as session:
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
