"""Async engines for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# Every mapped class, registered before an engine serves its first query: relationships name
# their targets as strings (User.posts "Post", Team.heroes "Hero"), which resolve only once
# both classes exist, whichever part of the app (or the CLI) runs the query.
import app.models  # noqa: F401
from app.core.config import Settings
from app.db import sqlite
from app.db.direct import Direct
from app.db.errors import translate_driver_errors
from app.db.pool import FairAsyncQueuePool

logger = logging.getLogger("app.db")

# A pooled PostgreSQL connection idle for longer than this is pinged before it is used again.
PING_AFTER_IDLE_SECONDS = 10.0


def _sqlite_path(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _make_parent(path: Path) -> None:
    """Create the directory of a SQLite file, if it can be. If not, the engine is created all
    the same: like an unreachable server, the file then fails each connection, which is a 503
    `database_unavailable` (and a failed start-up only when AUTO_MIGRATE needs it)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        logger.warning("cannot create the directory of the SQLite database %s: %s", path, exc)


def create_engine(
    url: str,
    settings: Settings,
    *,
    read_only: bool = False,
    pool_size: int | None = None,
    pool_timeout: float | None = None,
) -> AsyncEngine:
    """An engine tuned for its backend. `read_only` makes every connection refuse writes.

    `pool_size` (with `pool_timeout`) gives a pool of exactly that many connections instead
    of the one DB_POOL_* describe (on SQLite too, where the driver's default pool is used
    otherwise).
    """
    sa_url = make_url(url)
    kwargs: dict[str, Any] = {"echo": settings.DB_ECHO}
    if sa_url.get_backend_name() == "sqlite":
        path = _sqlite_path(sa_url)
        if path is not None:
            _make_parent(path)
            # The stock sizes (5 + 10 overflow, 30 s), served first come, first served: under a
            # burst the stock queue let some requests wait past the timeout (503) while
            # later ones went first. (In-memory databases keep SQLAlchemy's static pool.)
            kwargs["poolclass"] = FairAsyncQueuePool
        kwargs["connect_args"] = {"timeout": sqlite.BUSY_TIMEOUT_MS / 1000}
        if pool_size is not None:
            kwargs.update(
                pool_size=pool_size,
                max_overflow=0,
                pool_timeout=pool_timeout or settings.DB_POOL_TIMEOUT,
            )
        engine = create_async_engine(sa_url, **kwargs)
        translate_driver_errors(engine)
        sqlite.configure(engine, read_only=read_only)
        return _traced(engine, settings)

    server_settings = {"application_name": "agora"}
    if read_only:
        server_settings["default_transaction_read_only"] = "on"
    kwargs.update(
        poolclass=FairAsyncQueuePool,
        pool_size=pool_size or settings.DB_POOL_SIZE,
        max_overflow=0 if pool_size is not None else settings.DB_MAX_OVERFLOW,
        pool_timeout=pool_timeout or settings.DB_POOL_TIMEOUT,
        pool_recycle=1800,
        connect_args={"timeout": settings.DB_CONNECT_TIMEOUT, "server_settings": server_settings},
    )
    engine = create_async_engine(sa_url, **kwargs)
    translate_driver_errors(engine)
    _check_on_checkout(engine)
    _begin_before_first_write(engine)
    return _traced(engine, settings)


def _traced(engine: AsyncEngine, settings: Settings) -> AsyncEngine:
    """A span per statement when tracing is on (app/core/tracing.py); nothing otherwise."""
    if settings.tracing_enabled:
        from app.core.tracing import instrument_engine

        instrument_engine(engine, settings)
    return engine


def _driver_saw_close(record: Any) -> bool:
    return bool(record.driver_connection.is_closed())


def _check_on_checkout(engine: AsyncEngine) -> None:
    """Pre-ping, paid only where it can find something.

    SQLAlchemy's `pool_pre_ping` costs three round trips per checkout on asyncpg (BEGIN, a
    ping, ROLLBACK), on every request. Instead, a checkout refuses a connection that asyncpg
    already knows is closed (a PostgreSQL restart or an administrator's termination closes the
    socket, which the event loop sees at once) without a round trip, and pings, one round trip,
    only a connection that sat idle for PING_AFTER_IDLE_SECONDS (where a firewall or an idle
    timeout may have dropped it silently). A refused connection is replaced by a fresh one
    (DisconnectionError on checkout); what neither check sees fails its request with 503
    `database_unavailable`, and the pool throws that connection away.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if _driver_saw_close(record):
            raise exc.DisconnectionError("the server closed the connection")
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since > PING_AFTER_IDLE_SECONDS:
            try:
                dbapi_connection.ping()
            except Exception as error:
                raise exc.DisconnectionError("the connection failed a ping") from error


# What a read-only unit of work may run outside a transaction: a plain SELECT. Anything else
# (a write, a data-modifying WITH, SAVEPOINT, SET LOCAL, SELECT ... FOR UPDATE/SHARE, a
# transaction-scoped advisory lock) begins one first.
_READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)
_NEEDS_TRANSACTION = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE|KEY\s+SHARE)\b|_xact_", re.IGNORECASE
)


def needs_transaction(statement: str) -> bool:
    """Whether `statement` must run inside the unit of work's transaction."""
    return _READ.match(statement) is None or _NEEDS_TRANSACTION.search(statement) is not None


def _begin_before_first_write(engine: AsyncEngine) -> None:
    """A read-only unit of work (`Database.read_sessionmaker`) costs no BEGIN and no COMMIT.

    Its connection starts in AUTOCOMMIT: each SELECT is one round trip, with a snapshot of its
    own, as under READ COMMITTED inside a transaction. Should such a unit of work write after
    all, the transaction begins just before that first write (asyncpg sends BEGIN ahead of it
    once the connection is no longer in autocommit), and from there on it is an ordinary unit
    of work: committed at the end, rolled back on error. The pool puts the connection's
    isolation level back when it is returned.
    """
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _on_execute(
        conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        # Cheapest test first: most statements belong to ordinary units of work.
        if conn.get_execution_options().get(READ_ONLY_UNIT) is not True:
            return
        dbapi_connection = conn.connection.dbapi_connection
        if dialect.detect_autocommit_setting(dbapi_connection) and needs_transaction(statement):
            dialect.set_isolation_level(
                dbapi_connection, dialect.default_isolation_level or "READ COMMITTED"
            )


# The execution option that marks the engine of read-only units of work.
READ_ONLY_UNIT = "agora_read_only_unit"


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: objects stay readable after the unit of work commits, without
    # a lazy refresh that async code cannot do implicitly.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


class Database:
    """The primary engine and its session factory, owned by the application's lifespan.

    Streamed responses read through `stream_engine`, a small pool of its own on the same
    database (DB_STREAM_POOL_SIZE): a stream lasts as long as its client takes to read, so
    streams never take the connections other requests need, and an exhausted stream pool
    only refuses streams. An in-memory SQLite database exists once per engine: there,
    streams share the primary engine.
    """

    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine(settings.DATABASE_URL, settings)
        self.sessionmaker = create_sessionmaker(self.engine)
        # The hot statements (app/db/direct.py): on the driver, unless the engine's events
        # must see them (SQL echo, tracing).
        self.direct = Direct(
            self.engine, on_driver=not settings.DB_ECHO and not settings.tracing_enabled
        )
        url = make_url(settings.DATABASE_URL)
        if url.get_backend_name() == "sqlite" and _sqlite_path(url) is None:
            self.stream_engine = self.engine
        else:
            self.stream_engine = create_engine(
                settings.DATABASE_URL,
                settings,
                pool_size=settings.DB_STREAM_POOL_SIZE,
                pool_timeout=settings.DB_STREAM_POOL_TIMEOUT,
            )
        self.stream_sessionmaker = create_sessionmaker(self.stream_engine)
        # Units of work of read-only requests (GET, HEAD): on PostgreSQL without BEGIN and
        # COMMIT until they write (`_begin_before_first_write`). SQLite's reads already
        # begin no transaction (app/db/sqlite.py): the same sessions serve there.
        if url.get_backend_name() == "sqlite":
            self.read_sessionmaker = self.sessionmaker
        else:
            self.read_sessionmaker = create_sessionmaker(
                self.engine.execution_options(
                    isolation_level="AUTOCOMMIT", **{READ_ONLY_UNIT: True}
                )
            )

    async def dispose(self) -> None:
        if self.stream_engine is not self.engine:
            await self.stream_engine.dispose()
        await self.engine.dispose()
