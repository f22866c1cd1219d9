"""Domain errors and the one place that turns errors into HTTP responses.

Services raise `AppError` subclasses; they carry their status, code and headers. The handlers
below render them as docs/api.md's `{"detail", "code"}` bodies, and map database failures: a
unique-constraint race becomes 409, an unreachable database or an exhausted pool 503.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("app.errors")

DATABASE_RETRY_AFTER_SECONDS = 5


class ErrorBody(BaseModel):
    """Body of every error the app raises itself."""

    detail: str
    code: str


class AppError(Exception):
    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_detail: ClassVar[str] = "Internal server error"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None):
        self.detail = detail or self.default_detail
        self.headers = headers
        super().__init__(self.detail)

    @classmethod
    def response_doc(cls) -> dict[int | str, dict[str, Any]]:
        return {cls.status_code: {"model": ErrorBody, "description": cls.default_detail}}


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"
    default_detail = "Bad request"


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"
    default_detail = "Not authenticated"

    def __init__(self, detail: str | None = None):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    default_detail = "Incorrect username or password"


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    default_detail = "Invalid or expired token"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    default_detail = "Not enough permissions"


class InactiveUser(Forbidden):
    code = "inactive_user"
    default_detail = "Inactive user"


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    default_detail = "Not found"


class MethodNotAllowed(AppError):
    status_code = 405
    code = "method_not_allowed"
    default_detail = "Method Not Allowed"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    default_detail = "Conflict with an existing resource"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    default_detail = "Request body too large"


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"
    default_detail = "Too many requests"


class InternalError(AppError):
    pass


class BadGateway(AppError):
    status_code = 502
    code = "bad_gateway"
    default_detail = "Upstream error"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    default_detail = "Service unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"
    default_detail = "The database is unavailable; retry shortly"

    def __init__(self, detail: str | None = None):
        super().__init__(detail, headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})


class GatewayTimeout(AppError):
    status_code = 504
    code = "gateway_timeout"
    default_detail = "Upstream timed out"


class AgentUnavailable(ServiceUnavailable):
    code = "agent_unavailable"
    default_detail = "The agent is not available"


class AgentError(BadGateway):
    code = "agent_error"
    default_detail = "The agent's model failed to answer"


class AgentTimeout(GatewayTimeout):
    code = "agent_timeout"
    default_detail = "The agent did not answer in time"


def error_response(error: AppError) -> JSONResponse:
    return JSONResponse(
        {"detail": error.detail, "code": error.code},
        status_code=error.status_code,
        headers=error.headers,
    )


def responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the errors a route can raise."""
    docs: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        docs.update(error.response_doc())
    return docs


# The database is unreachable, the connection dropped or the pool is exhausted: a 503 that
# tells the client to come back, not a 500. Connection refusals surface from the drivers as
# OSError (asyncpg) before SQLAlchemy can wrap them.
_UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
    ConnectionError,
    TimeoutError,
    OSError,
)


# PostgreSQL SQLSTATEs that mean "the server is not there for you right now": class 08
# (connection exception: refused, lost, does not exist), 57P01..03 (shutting down, crashed,
# starting up) and 53300 (too many connections). asyncpg puts them on its exceptions, and
# SQLAlchemy on the errors it wraps them in.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def is_database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.OperationalError):
        # SQLite reports a locked database and similar transient states as OperationalError
        # too: those are still "come back later".
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, _UNAVAILABLE):
        return True
    # A restart of the server under load ends connections in the middle of a statement or a
    # commit: asyncpg's error (08003, 57P01) arrives wrapped in a plain DBAPIError.
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        current = getattr(current, "orig", None) or current.__cause__
    return False


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc)


async def _integrity_error(_: Request, exc: Exception) -> JSONResponse:
    # Services translate the unique violations they expect into a Conflict naming the field;
    # anything reaching here is a constraint the request broke some other way.
    logger.info("integrity error mapped to 409: %s", getattr(exc, "orig", exc))
    return error_response(Conflict("The request conflicts with existing data"))


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if is_database_unavailable(exc):
        logger.warning("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
        return error_response(DatabaseUnavailable())
    raise exc


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    # FastAPI's standard 422 shape, less the `input` it echoes: that can be a password or a
    # hero's secret_name (or, for a missing field, the whole body), which no response shows.
    assert isinstance(exc, RequestValidationError)
    if any(tuple(error["loc"][:1]) == ("path",) for error in exc.errors()):
        # `PATCH /users/stream` reaches `PATCH /users/{user_id}` and fails on the id, but in
        # the schema `/users/stream` is a path of its own that has no PATCH: 405, not 422.
        declared = PathTable.of(request.app).static.get(request.url.path)
        if declared is not None and request.method not in declared:
            return _method_not_allowed(request)
    errors = [{k: v for k, v in error.items() if k != "input"} for error in exc.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


class PathTable:
    """The methods the OpenAPI schema declares for each path, to answer a wrong method the way
    the schema says: 405 with every method of that path in `Allow`. Built on the first 405 (the
    schema is FastAPI's cached one), never on the way of a normal request."""

    def __init__(self, app: FastAPI) -> None:
        self.static: dict[str, set[str]] = {}
        self.templated: list[tuple[re.Pattern[str], set[str]]] = []
        for path, operations in app.openapi().get("paths", {}).items():
            methods = {method.upper() for method in operations}
            if "{" in path:
                regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
                self.templated.append((re.compile(f"^{regex}$"), methods))
            else:
                self.static[path] = methods

    @classmethod
    def of(cls, app: FastAPI) -> PathTable:
        table: PathTable | None = getattr(app.state, "path_table", None)
        if table is None:
            table = app.state.path_table = cls(app)
        return table

    def methods(self, path: str) -> set[str] | None:
        """The schema's methods for a concrete path (a static path wins over a template)."""
        if path in self.static:
            return self.static[path]
        found = [methods for regex, methods in self.templated if regex.match(path)]
        return set().union(*found) if found else None


def _method_not_allowed(request: Request, headers: Mapping[str, str] | None = None) -> JSONResponse:
    allow = PathTable.of(request.app).methods(request.url.path)
    headers = dict(headers or {})
    if allow:
        headers["Allow"] = ", ".join(sorted(allow))
    return error_response(MethodNotAllowed(headers=headers))


# Starlette's and FastAPI's own errors (a path no route has, the docs when they are off) carry
# the code docs/api.md gives their status, like the errors the app raises.
_HTTP_ERROR_CODES: dict[int, str] = {
    error.status_code: error.code
    for error in (NotAuthenticated, Forbidden, NotFound, PayloadTooLarge, RateLimited)
}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        # Starlette's `Allow` names the methods of the first route whose path matched only.
        return _method_not_allowed(request, exc.headers)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # A JSON body that is not UTF-8: as invalid as malformed JSON, so the same 422 FastAPI
        # gives for that (its own answer here is an undocumented 400).
        error = {
            "type": "json_invalid",
            "loc": ["body", exc.__cause__.start],
            "msg": "JSON decode error",
            "ctx": {"error": "the body is not valid UTF-8"},
        }
        return JSONResponse({"detail": [error]}, status_code=422)
    if exc.status_code == 400:
        # The app raises its own `BadRequest`; a 400 of Starlette's or FastAPI's is their
        # refusal of a body they could not parse (a multipart body without a boundary or with a
        # part that has no name): docs/api.md makes that a 422 like any invalid body.
        error = {
            "type": "body_invalid",
            "loc": ["body"],
            "msg": "The body could not be parsed",
            "ctx": {"error": str(exc.detail)},
        }
        return JSONResponse({"detail": [error]}, status_code=422)
    code = _HTTP_ERROR_CODES.get(exc.status_code)
    if code is not None:
        return JSONResponse(
            {"detail": exc.detail, "code": code}, status_code=exc.status_code, headers=exc.headers
        )
    return await http_exception_handler(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(sa_exc.IntegrityError, _integrity_error)
    for exc_type in (
        sa_exc.DBAPIError,
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.TimeoutError,
        sa_exc.DisconnectionError,
        ConnectionError,
        TimeoutError,
    ):
        app.add_exception_handler(exc_type, _database_error)
