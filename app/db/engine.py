"""Async engines for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 5000


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def create_engine(url: str, settings: Settings, *, read_only: bool = False) -> AsyncEngine:
    """An engine tuned for its backend. `read_only` makes every connection refuse writes."""
    sa_url = make_url(url)
    kwargs: dict[str, Any] = {"echo": settings.DB_ECHO}
    if sa_url.get_backend_name() == "sqlite":
        path = _sqlite_path(sa_url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_async_engine(sa_url, **kwargs)
        _configure_sqlite(engine, read_only=read_only)
        return engine

    server_settings = {"application_name": "agora"}
    if read_only:
        server_settings["default_transaction_read_only"] = "on"
    kwargs.update(
        pool_size=settings.DB_POOL_SIZE,
        max_overflow=settings.DB_MAX_OVERFLOW,
        pool_timeout=settings.DB_POOL_TIMEOUT,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={"timeout": settings.DB_CONNECT_TIMEOUT, "server_settings": server_settings},
    )
    return create_async_engine(sa_url, **kwargs)


def _configure_sqlite(engine: AsyncEngine, *, read_only: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: objects stay readable after the unit of work commits, without
    # a lazy refresh that async code cannot do implicitly.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


class Database:
    """The primary engine and its session factory, owned by the application's lifespan."""

    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine(settings.DATABASE_URL, settings)
        self.sessionmaker = create_sessionmaker(self.engine)

    async def dispose(self) -> None:
        await self.engine.dispose()
