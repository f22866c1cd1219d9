"""Database errors: what the drivers raise, made SQLAlchemy errors, and read without the driver.

Every failure that comes from the database reaches the app as a SQLAlchemy exception:
asyncpg reports a refused or timed-out connection and some broken sockets as plain `OSError`
or `TimeoutError`, which `translate_driver_errors` turns into `OperationalError` at the
source (the engine's `do_connect` and `handle_error` events). The exception handlers then
map SQLAlchemy's exceptions only: a `TimeoutError` or `OSError` raised anywhere else in the
app is not mistaken for the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

# PostgreSQL SQLSTATEs that mean "the server is not there for you right now": class 08
# (connection exception: refused, lost, does not exist), 57P01..03 (shutting down, crashed,
# starting up) and 53300 (too many connections). asyncpg puts them on its exceptions, and
# SQLAlchemy on the errors it wraps them in.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")

_FOREIGN_KEY_VIOLATION = "23503"
_SQLITE_CONSTRAINT_FOREIGNKEY = 787  # SQLITE_CONSTRAINT | (3 << 8)

# What a driver raises, unwrapped, when the server cannot be reached or the socket breaks.
_DRIVER_NETWORK_ERRORS = (OSError, TimeoutError)


def translate_driver_errors(engine: AsyncEngine) -> None:
    """Make the driver's network errors SQLAlchemy `OperationalError`s, and a connection that
    broke that way invalid (the pool throws it away)."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except _DRIVER_NETWORK_ERRORS as error:
            raise dialect.loaded_dbapi.OperationalError(f"cannot connect: {error!r}") from error

    @event.listens_for(engine.sync_engine, "handle_error")
    def _execute(context: ExceptionContext) -> BaseException | None:
        error = context.original_exception
        if context.sqlalchemy_exception is not None or not isinstance(
            error, _DRIVER_NETWORK_ERRORS
        ):
            return None
        context.is_disconnect = True
        return sa_exc.OperationalError(context.statement, context.parameters, error)


def is_database_unavailable(exc: sa_exc.SQLAlchemyError) -> bool:
    """Whether a database error means "come back later" (503) rather than a bug (500)."""
    if isinstance(
        exc,
        sa_exc.OperationalError
        | sa_exc.InterfaceError
        | sa_exc.TimeoutError
        | sa_exc.DisconnectionError,
    ):
        # OperationalError includes SQLite's "database is locked" and similar transient
        # states, which are "come back later" too; TimeoutError is an exhausted pool.
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    # A restart of the server under load ends connections in the middle of a statement or a
    # commit: asyncpg's error (08003, 57P01) arrives wrapped in a plain DBAPIError.
    return any(sqlstate.startswith(_UNAVAILABLE_SQLSTATES) for sqlstate in _sqlstates(exc))


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and what it wraps: SQLAlchemy's `orig`, the driver's `__cause__`, ..."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = getattr(current, "orig", None) or current.__cause__
    return chain


def _sqlstates(exc: BaseException) -> list[str]:
    states = (getattr(error, "sqlstate", None) for error in _causes(exc))
    return [state for state in states if isinstance(state, str)]


def is_foreign_key_violation(exc: sa_exc.IntegrityError) -> bool:
    """Whether a row this statement refers to (or that refers to it) is not there: on
    PostgreSQL SQLSTATE 23503, on SQLite SQLITE_CONSTRAINT_FOREIGNKEY."""
    if _FOREIGN_KEY_VIOLATION in _sqlstates(exc):
        return True
    return any(
        getattr(error, "sqlite_errorcode", None) == _SQLITE_CONSTRAINT_FOREIGNKEY
        or "FOREIGN KEY constraint failed" in str(error)
        for error in _causes(exc)
    )


def violated_constraint(exc: sa_exc.IntegrityError) -> str:
    """The violated constraint's name, or the driver's message when it gives no name.

    asyncpg names the constraint (`uq_users_email`); SQLite only says
    `UNIQUE constraint failed: users.email` or `... index 'uq_users_username_lower'`.
    Both contain the column's name thanks to the naming convention, which is what callers
    look for.
    """
    orig = exc.orig
    for candidate in (orig, getattr(orig, "__cause__", None)):
        name = getattr(candidate, "constraint_name", None)
        if name:
            return str(name)
    return str(orig)
