"""The one place that turns exceptions into HTTP responses.

- `AppError` (the domain errors of `app/core/errors.py`): its status, `{"detail", "code"}`,
  its headers.
- SQLAlchemy's errors, and only those: a unique-constraint race is 409 `conflict`; a write to
  a row another request deleted meanwhile (`StaleDataError`) is 404 `not_found`, and 401
  `invalid_token` when the row that vanished is the caller's account or a foreign key to it
  (a deleted user's request); an unreachable database, a dropped connection or an exhausted
  pool is 503 `database_unavailable` with `Retry-After` (`app/db/errors.py` decides which);
  anything else propagates to the 500 of `RequestContextMiddleware`.
- Request validation: FastAPI's 422 shape, without the `input` it would echo.
- Starlette's HTTP errors (no route, wrong method, ...) in the API's shape, with a `code`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.caller import caller_vanished
from app.core.errors import (
    AppError,
    Conflict,
    DatabaseUnavailable,
    InvalidToken,
    MethodNotAllowed,
    NotFound,
    error_response,
)
from app.db.errors import is_database_unavailable, is_foreign_key_violation

logger = logging.getLogger("app.errors")

# The `code` of an HTTP error raised by the framework rather than by the app.
_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "rate_limited",
}


def _http_code(status: int) -> str:
    if status in _HTTP_CODES:
        return _HTTP_CODES[status]
    try:
        return re.sub(r"\W+", "_", HTTPStatus(status).phrase.lower()).strip("_")
    except ValueError:
        return "internal_error" if status >= 500 else "bad_request"


class MethodTable:
    """The methods the OpenAPI schema declares for each path, to answer a wrong method the way
    the schema says: 405 with every method of that path in `Allow` (Starlette's `Allow` names
    the methods of the first route whose path matched only). Built on the first 405, from
    FastAPI's cached schema, never on the way of a normal request."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app
        self._static: dict[str, set[str]] | None = None
        self._templated: list[tuple[re.Pattern[str], set[str]]] = []

    def _build(self) -> dict[str, set[str]]:
        if self._static is None:
            static: dict[str, set[str]] = {}
            for path, operations in self._app.openapi().get("paths", {}).items():
                methods = {method.upper() for method in operations}
                if "{" in path:
                    regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
                    self._templated.append((re.compile(f"^{regex}$"), methods))
                else:
                    static[path] = methods
            self._static = static
        return self._static

    def declared(self, path: str) -> set[str] | None:
        """The methods of a path the schema lists as it is (not through a template)."""
        return self._build().get(path)

    def methods(self, path: str) -> set[str] | None:
        """The schema's methods for a concrete path (a static path wins over a template)."""
        static = self._build()
        if path in static:
            return static[path]
        found = [methods for regex, methods in self._templated if regex.match(path)]
        return set().union(*found) if found else None

    def not_allowed(self, path: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
        """405 with `Allow`: the schema's methods for the path (else those the framework
        named), and HEAD wherever GET is (`HeadMiddleware` answers it), in a stable order."""
        response_headers = dict(headers or {})
        framework_allow = response_headers.pop("Allow", response_headers.pop("allow", ""))
        allow = self.methods(path) or {m.strip() for m in framework_allow.split(",") if m.strip()}
        if "GET" in allow:
            allow = allow | {"HEAD"}
        if allow:
            response_headers["Allow"] = ", ".join(sorted(allow))
        return error_response(MethodNotAllowed(headers=response_headers))


def _error_key(error: Mapping[str, Any]) -> str:
    return repr(sorted((key, repr(value)) for key, value in error.items()))


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc)


CALLER_GONE = "The account that made this request no longer exists"
ROW_GONE = "Not found: it was deleted while this request ran"


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # Services translate the unique violations they expect into a Conflict naming the field;
    # anything reaching here is a constraint the request broke some other way.
    assert isinstance(exc, sa_exc.IntegrityError)
    if is_foreign_key_violation(exc) and await caller_vanished(request.scope):
        logger.info("foreign key to a deleted caller mapped to 401: %s", exc.orig)
        return error_response(InvalidToken(CALLER_GONE))
    logger.info("integrity error mapped to 409: %s", exc.orig)
    return error_response(Conflict("The request conflicts with existing data"))


async def _stale_data(request: Request, exc: Exception) -> JSONResponse:
    # An UPDATE or DELETE matched no row: a concurrent request deleted it after this one
    # loaded it. The loser of that race gets the 404 it would have got a moment later.
    if await caller_vanished(request.scope):
        return error_response(InvalidToken(CALLER_GONE))
    logger.info("write to a row deleted meanwhile mapped to 404: %s", exc)
    return error_response(NotFound(ROW_GONE))


async def _database_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, sa_exc.SQLAlchemyError)
    if is_database_unavailable(exc):
        logger.warning("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
        return error_response(DatabaseUnavailable())
    raise exc


def install_error_handlers(app: FastAPI) -> None:
    methods = MethodTable(app)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        # FastAPI's standard 422 shape, less the `input` it echoes: that can be a password or
        # a hero's secret_name (or, for a missing field, the whole body), which no response
        # shows.
        assert isinstance(exc, RequestValidationError)
        if any(tuple(error["loc"][:1]) == ("path",) for error in exc.errors()):
            # `PATCH /users/stream` reaches `PATCH /users/{user_id}` and fails on the id, but
            # in the schema `/users/stream` is a path of its own that has no PATCH: 405.
            declared = methods.declared(request.url.path)
            if declared is not None and request.method not in declared:
                return methods.not_allowed(request.url.path)
        errors = [{k: v for k, v in error.items() if k != "input"} for error in exc.errors()]
        # A field that two dependencies read (the login form's `username`: the route and its
        # rate limit) fails in each of them: list each error once, in order.
        unique = list({_error_key(error): error for error in errors}.values())
        return JSONResponse({"detail": jsonable_encoder(unique)}, status_code=422)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 405:
            return methods.not_allowed(request.url.path, exc.headers)
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            # A JSON body that is not UTF-8: as invalid as malformed JSON, so the same 422
            # FastAPI gives for that (its own answer here is an undocumented 400).
            error = {
                "type": "json_invalid",
                "loc": ["body", exc.__cause__.start],
                "msg": "JSON decode error",
                "ctx": {"error": "the body is not valid UTF-8"},
            }
            return JSONResponse({"detail": [error]}, status_code=422)
        if exc.status_code == 400:
            # The app raises its own `BadRequest`; a 400 of Starlette's or FastAPI's is their
            # refusal of a body they could not parse (a multipart body without a boundary or
            # with a part that has no name): docs/api.md makes that a 422 like any invalid body.
            error = {
                "type": "body_invalid",
                "loc": ["body"],
                "msg": "The body could not be parsed",
                "ctx": {"error": str(exc.detail)},
            }
            return JSONResponse({"detail": [error]}, status_code=422)
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=exc.headers)
        body = {"detail": exc.detail, "code": _http_code(exc.status_code)}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(sa_exc.IntegrityError, _integrity_error)
    app.add_exception_handler(StaleDataError, _stale_data)
    for exc_type in (sa_exc.DBAPIError, sa_exc.TimeoutError, sa_exc.DisconnectionError):
        app.add_exception_handler(exc_type, _database_error)
