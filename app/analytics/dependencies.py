"""The analytics engine: read-only, on `ANALYTICS_DATABASE_URL` (the primary by default).

It is created on first use and kept on `app.state`; the analytics router's lifespan (merged
into the application's by FastAPI) disposes of it at shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.requests import HTTPConnection

from app.core.config import Settings
from app.db.engine import create_engine


def get_analytics_engine(conn: HTTPConnection) -> AsyncEngine:
    state = conn.app.state
    engine: AsyncEngine | None = getattr(state, "analytics_engine", None)
    if engine is None:  # no await in between: two first requests cannot both create one
        settings: Settings = state.settings
        engine = create_engine(settings.analytics_database_url, settings, read_only=True)
        state.analytics_engine = engine
    return engine


AnalyticsEngineDep = Annotated[AsyncEngine, Depends(get_analytics_engine)]


async def get_analytics_session(engine: AnalyticsEngineDep) -> AsyncIterator[AsyncSession]:
    """A session on the read-only engine. Nothing to commit: it ends with a rollback."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        yield session


AnalyticsSessionDep = Annotated[AsyncSession, Depends(get_analytics_session)]


@asynccontextmanager
async def analytics_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Dispose of the analytics engine, if one was created, when the application stops."""
    try:
        yield
    finally:
        engine: AsyncEngine | None = getattr(app.state, "analytics_engine", None)
        app.state.analytics_engine = None
        if engine is not None:
            await engine.dispose()
