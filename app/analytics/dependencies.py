"""Sessions on the read-only analytics engine (`ANALYTICS_DATABASE_URL`, the primary by
default), which the application's lifespan creates and disposes of with everything else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.state import StateDep


async def get_analytics_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    """A session on the read-only engine. Nothing to commit: it ends with a rollback."""
    async with AsyncSession(state.analytics_engine, expire_on_commit=False) as session:
        yield session


AnalyticsSessionDep = Annotated[AsyncSession, Depends(get_analytics_session)]
