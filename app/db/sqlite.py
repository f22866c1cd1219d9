"""SQLite, the embedded default: how its connections are set up, and how writers take turns.

SQLite has one writer at a time per database file. A writer that finds the file locked is
left to the busy handler, which sleeps and polls (1, 2, 5 ... 100 ms) until `busy_timeout`:
with dozens of writers polling at once the lock goes to whoever happens to poll first, and a
writer can lose round after round until its time is up ("database is locked", a 503). That
is what 30 to 60 parallel registrations did on the 2-core development machine.

So the writers of one process take turns in a first-come-first-served queue (`WriteQueue`,
an asyncio lock per engine): a unit of work joins it just before its first write statement
and leaves it when it commits or rolls back. Within a process, the busy handler is then never
raced, and across processes at most one writer per process waits on the file lock.

Reads stay concurrent. The driver keeps its default transaction handling: a SELECT outside a
transaction runs on its own (in WAL mode it never waits for a writer, nor makes one wait),
and the first INSERT/UPDATE/DELETE/REPLACE of a unit of work opens the transaction with
`BEGIN IMMEDIATE`, taking the write lock at that point, before reading anything. That is the
fix Rails 8 and Django 5.1 adopted: a deferred transaction that has read first cannot take the
write lock once another writer has committed (SQLITE_BUSY_SNAPSHOT), and the busy handler is
not used for that case. Beginning every unit of work IMMEDIATE, as they do, would also queue
read-only requests behind writers: here only units of work that write begin a transaction.

How long a writer may wait: WRITE_QUEUE_TIMEOUT_SECONDS for its turn in its own process (past
it, 503 `database_unavailable` with Retry-After, as for an exhausted pool), then up to
BUSY_TIMEOUT_MS for the file lock, held by at most one writer of each other process.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import folding

# The file lock, held by one write transaction of another process (or a migration, or the
# CLI): a single transaction is short, so a wait this long means something is wrong.
BUSY_TIMEOUT_MS = 10_000
# This process's queue of writers: under a burst, a writer waits for every writer ahead of it.
WRITE_QUEUE_TIMEOUT_SECONDS = 30.0

# The statements before which Python's sqlite3 opens a transaction (its legacy transaction
# control, which SQLAlchemy's pysqlite and aiosqlite dialects keep): from there until COMMIT
# or ROLLBACK, the connection holds SQLite's write lock.
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_HOLDS_TURN = "agora_sqlite_holds_write_turn"

_queues: weakref.WeakKeyDictionary[Engine, WriteQueue] = weakref.WeakKeyDictionary()


class WriteQueue:
    """The writers of one process to one SQLite database, one at a time, in arrival order."""

    def __init__(self, timeout: float = WRITE_QUEUE_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self.waiting = 0
        self._lock = asyncio.Lock()  # FIFO: a newcomer never overtakes a waiting writer

    @property
    def taken(self) -> bool:
        """A writer of this process holds the turn."""
        return self._lock.locked()

    async def acquire(self) -> None:
        self.waiting += 1
        try:
            async with asyncio.timeout(self.timeout):
                await self._lock.acquire()
        except TimeoutError:
            # An sqlalchemy TimeoutError, like an exhausted pool: 503 database_unavailable.
            raise exc.TimeoutError(
                f"waited {self.timeout:g} s for this process's turn to write to SQLite"
            ) from None
        finally:
            self.waiting -= 1

    def release(self) -> None:
        self._lock.release()


def write_queue(engine: AsyncEngine) -> WriteQueue | None:
    """The write queue of a SQLite engine (None for a read-only or PostgreSQL engine)."""
    return _queues.get(engine.sync_engine)


def is_write(statement: str) -> bool:
    return statement.lstrip()[:7].upper().startswith(_WRITES)


def register_functions(engine: AsyncEngine) -> None:
    """Every connection of `engine` gets the app's SQL functions (`fold_case`), which the
    unique indexes use: a connection without them cannot write the indexed columns."""

    @event.listens_for(engine.sync_engine, "connect")
    def _add_functions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function(
            folding.SQL_NAME, 1, folding.sql_fold_case, deterministic=True
        )


def configure(engine: AsyncEngine, *, read_only: bool) -> None:
    sync_engine = engine.sync_engine

    register_functions(engine)

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # BEGIN IMMEDIATE where the driver opens a transaction (before the first write).
        dbapi_connection.isolation_level = "IMMEDIATE"
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    if read_only:
        return
    queue = _queues[sync_engine] = WriteQueue()

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _take_turn(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        info = conn.info
        if info.get(_HOLDS_TURN) or not is_write(statement):
            return
        # Event handlers are synchronous; the driver connection runs the wait on the loop.
        conn.connection.dbapi_connection.run_async(  # type: ignore[union-attr]
            lambda _driver: queue.acquire()
        )
        info[_HOLDS_TURN] = True

    def _give_turn_back(info: dict[Any, Any]) -> None:
        # On COMMIT or ROLLBACK (just before the driver's, so the next writer may wait on the
        # file lock for that long), or when the pool resets, invalidates or closes the
        # connection: a turn is never kept by a connection that is not writing.
        if info.pop(_HOLDS_TURN, False):
            queue.release()

    @event.listens_for(sync_engine, "commit")
    def _on_commit(conn: Connection) -> None:
        _give_turn_back(conn.info)

    @event.listens_for(sync_engine, "rollback")
    def _on_rollback(conn: Connection) -> None:
        _give_turn_back(conn.info)

    @event.listens_for(sync_engine, "reset")
    def _on_reset(_dbapi_connection: Any, record: Any, _state: Any) -> None:
        _give_turn_back(record.info)

    @event.listens_for(sync_engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        _give_turn_back(record.info)

    @event.listens_for(sync_engine, "close")
    def _on_close(_dbapi_connection: Any, record: Any) -> None:
        _give_turn_back(record.info)
