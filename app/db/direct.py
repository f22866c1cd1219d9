"""The hot statements, outside the ORM: Core statements compiled once, run on the driver.

Every authenticated request looks its caller up, and the most read pages (a user, a page of
posts) are one or two SELECTs. Through an `AsyncSession` each such statement costs about
360 us of CPU on PostgreSQL, of which the driver's share is about 70 us: the rest is the
session, the ORM's identity map, SQLAlchemy's execution context and result machinery, and a
greenlet per call (bench/results/NOTES.md). `Direct` runs a `DirectStatement`, a Core
statement of a fixed shape whose values are all bind parameters, as follows:

- on PostgreSQL (asyncpg), the statement is compiled once to asyncpg's SQL, with the bind and
  result processors of its columns' types; each run checks a connection out of the engine's
  own pool (its checkout checks, its size and timeout, its fairness), sends the statement in
  autocommit (one round trip: a single statement needs no BEGIN and COMMIT to be atomic) and
  returns the connection. The driver's errors become the same SQLAlchemy errors a session
  raises (the handlers' 409, 503 ... apply unchanged) and a broken connection is thrown away.
- elsewhere (SQLite), and whenever SQL echo or tracing is on (their hooks are the engine's
  events, which the driver path does not fire), the same statement runs through SQLAlchemy
  Core on `engine.connect()`, or `engine.begin()` for a write (SQLite's writer queue applies).

Rows come back as tuples in the statement's column order; `detached` turns a row of an entity's
columns into that entity as the ORM would load it, outside any session (a unit of work that
changes it `add`s it first).

The driver path uses one of SQLAlchemy's internals, the asyncpg adapter's error translation
(`_handle_exception_no_connection`): it is written for the minor version app/db/pool.py names,
whose test fails on an upgrade.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select
from sqlalchemy.util.concurrency import greenlet_spawn

Row = tuple[Any, ...]
EntityT = TypeVar("EntityT")

# The drivers' network failures, raised unwrapped (app/db/errors.py turns them into
# OperationalError on the session's path too).
_NETWORK_ERRORS = (OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A statement as asyncpg takes it: SQL with $n placeholders, the parameter names in
    their order with their bind processors, and each result column's processor."""

    sql: str
    params: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    defaults: Mapping[str, Any]
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # only the columns that have one

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        args = []
        for name, process in self.params:
            value = values[name] if name in values else self.defaults[name]
            args.append(value if process is None or value is None else process(value))
        return args

    def row(self, record: Sequence[Any]) -> Row:
        if not self.results:
            return tuple(record)
        row = list(record)
        for index, process in self.results:
            row[index] = process(row[index])
        return tuple(row)


def _columns(statement: Select[Any] | UpdateBase) -> Sequence[ColumnElement[Any]]:
    if isinstance(statement, Select):
        return list(statement.selected_columns)
    return list(statement.exported_columns)  # INSERT ... RETURNING


class DirectStatement:
    """A Core SELECT (or INSERT/UPDATE/DELETE, RETURNING what the caller needs) whose every
    value is a bind parameter, built once at import: its compiled form is kept per dialect."""

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: Select[Any] | UpdateBase) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        names = compiled.positiontup or []
        params = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        )
        results = []
        for index, column in enumerate(_columns(self.statement)):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                results.append((index, process))
        return _Compiled(compiled.string, params, compiled.params, tuple(results))


class _Reads(ABC):
    """`first` and `scalar`, from a class's `all`."""

    @abstractmethod
    async def all(self, statement: DirectStatement, values: Mapping[str, Any]) -> list[Row]:
        """Every row of a SELECT."""

    async def first(self, statement: DirectStatement, values: Mapping[str, Any]) -> Row | None:
        rows = await self.all(statement, values)
        return rows[0] if rows else None

    async def scalar(self, statement: DirectStatement, values: Mapping[str, Any]) -> Any:
        row = await self.first(statement, values)
        return None if row is None else row[0]


class Direct(_Reads):
    """Runs `DirectStatement`s outside any unit of work, each on a connection of its own."""

    def __init__(self, engine: AsyncEngine, *, on_driver: bool) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        # The driver path, on asyncpg only (elsewhere, or with echo or tracing on, Core).
        self.on_driver = on_driver and self.dialect.driver == "asyncpg"

    async def all(self, statement: DirectStatement, values: Mapping[str, Any]) -> list[Row]:
        """Every row of a SELECT."""
        if self.on_driver:
            return await self._fetch(statement, values)
        async with self.connection() as connection:
            return await connection.all(statement, values)

    async def write(self, statement: DirectStatement, values: Mapping[str, Any]) -> list[Row]:
        """Run one data-changing statement, committed on its own; the rows it RETURNs."""
        if self.on_driver:
            return await self._fetch(statement, values)  # autocommit: atomic on its own
        async with self.engine.begin() as connection:
            result = await connection.execute(statement.statement, dict(values))
            return [tuple(row) for row in result] if result.returns_rows else []

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[DirectConnection]:
        """One connection for several statements in a row (each still committed on its own):
        one checkout instead of one per statement."""
        if not self.on_driver:
            async with self.engine.connect() as core:
                yield _CoreConnection(core)
            return
        async with _Lease(self) as connection:
            yield _DriverConnection(self, connection)

    async def _fetch(self, statement: DirectStatement, values: Mapping[str, Any]) -> list[Row]:
        async with _Lease(self) as connection:
            return await self._fetch_on(connection, statement, values)

    async def _checkout(self) -> Any:
        dbapi = self.dialect.loaded_dbapi
        try:
            return await greenlet_spawn(self.engine.sync_engine.raw_connection)
        except dbapi.Error as error:  # refused (the engine's `Connection` wraps it the same)
            raise sa_exc.DBAPIError.instance(
                None, None, error, dbapi.Error, dialect=self.dialect
            ) from error

    async def _fetch_on(
        self, connection: Any, statement: DirectStatement, values: Mapping[str, Any]
    ) -> list[Row]:
        compiled = statement.compiled(self.dialect)
        args = compiled.args(values)
        try:
            driver: Any = connection.driver_connection  # asyncpg's Connection
            records = await driver.fetch(compiled.sql, *args)
        except Exception as error:
            raise self._translated(error, connection, compiled.sql, args) from error
        return [compiled.row(record) for record in records]

    def _translated(
        self, error: Exception, connection: Any, sql: str, args: Sequence[Any]
    ) -> Exception:
        """The SQLAlchemy error a session would have raised for the driver's `error`."""
        dbapi = self.dialect.loaded_dbapi
        if isinstance(error, _NETWORK_ERRORS):
            dbapi_error: Any = dbapi.OperationalError(repr(error))
        else:
            try:
                AsyncAdapt_asyncpg_connection._handle_exception_no_connection(dbapi, error)
            except dbapi.Error as translated:
                dbapi_error = translated
            except Exception:
                return error  # not the database's: raised as it is
            else:  # pragma: no cover (the adapter always raises)
                return error
        driver = connection.driver_connection
        disconnected = (
            isinstance(error, _NETWORK_ERRORS)
            or driver is None
            or driver.is_closed()
            or self.dialect.is_disconnect(dbapi_error, connection.dbapi_connection, None)
        )
        if disconnected:
            connection.invalidate(dbapi_error)
        wrapped: Exception = sa_exc.DBAPIError.instance(
            sql,
            tuple(args),
            dbapi_error,
            dbapi.Error,
            connection_invalidated=disconnected,
            dialect=self.dialect,
        )
        return wrapped


def detached(entity: type[EntityT], names: Sequence[str], row: Row) -> EntityT:
    """The entity of this row (its columns `names`), as the ORM would have loaded it, but in
    no session: readable, and persistent once a unit of work `add`s it (its changes are
    then written as an UPDATE)."""
    manager = inspect(entity).class_manager
    instance: EntityT = manager.new_instance()
    inspect(instance).dict.update(zip(names, row, strict=True))
    make_transient_to_detached(instance)
    return instance


class _Lease:
    """A connection of the engine's pool, given back when the block ends; thrown away if the
    block was cancelled (in the middle of a statement, the connection's state is unknown)."""

    __slots__ = ("connection", "direct")

    def __init__(self, direct: Direct) -> None:
        self.direct = direct

    async def __aenter__(self) -> Any:
        self.connection = await self.direct._checkout()
        return self.connection

    async def __aexit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None and not issubclass(kind, Exception):
            self.connection.invalidate()
        await greenlet_spawn(self.connection.close)


class DirectConnection(_Reads):
    """`Direct.connection()`: statements on one checked-out connection."""


class _DriverConnection(DirectConnection):
    def __init__(self, direct: Direct, connection: Any) -> None:
        self.direct = direct
        self.connection = connection

    async def all(self, statement: DirectStatement, values: Mapping[str, Any]) -> list[Row]:
        return await self.direct._fetch_on(self.connection, statement, values)


class _CoreConnection(DirectConnection):
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def all(self, statement: DirectStatement, values: Mapping[str, Any]) -> list[Row]:
        result = await self.connection.execute(statement.statement, dict(values))
        return [tuple(row) for row in result]
