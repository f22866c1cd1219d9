"""Domain errors and the one place that turns errors into HTTP responses.

Services raise `AppError` subclasses; they carry their status, code and headers. The handlers
below render them as API.md's `{"detail", "code"}` bodies, and map database failures: a
unique-constraint race becomes 409, an unreachable database or an exhausted pool 503.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc

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


def is_database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.OperationalError):
        # SQLite reports a locked database and similar transient states as OperationalError
        # too: those are still "come back later".
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _UNAVAILABLE)


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


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    # FastAPI's standard 422 shape, less the `input` it echoes: that can be a password or a
    # hero's secret_name (or, for a missing field, the whole body), which no response shows.
    assert isinstance(exc, RequestValidationError)
    errors = [{k: v for k, v in error.items() if k != "input"} for error in exc.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(sa_exc.IntegrityError, _integrity_error)
    for exc_type in (
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.TimeoutError,
        sa_exc.DisconnectionError,
        ConnectionError,
        TimeoutError,
    ):
        app.add_exception_handler(exc_type, _database_error)
