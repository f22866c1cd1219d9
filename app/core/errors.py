"""Domain errors: services raise `AppError` subclasses, which carry their status, code and
headers; `app/core/handlers.py` renders them as docs/api.md's `{"detail", "code"}` bodies."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel

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


class TokenInvalid(BadRequest):
    """A link token (email verification, password reset) that is unknown, used, expired or
    superseded: one answer for all, so a caller learns nothing about which."""

    code = "token_invalid"
    default_detail = "This link is invalid or has expired"


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


class EmailNotVerified(Forbidden):
    code = "email_not_verified"
    default_detail = "Verify your email address before signing in"


class InsufficientScope(Forbidden):
    """A personal access token asked for more than its scopes, or for account management."""

    code = "insufficient_scope"
    default_detail = "This personal access token may not do that"


class InvalidCode(BadRequest):
    """A wrong two-factor code where the caller is signed in (setup, disable, ...)."""

    code = "invalid_code"
    default_detail = "Invalid two-factor code"


class InvalidLoginCode(NotAuthenticated):
    """A wrong two-factor code at the second step of a login."""

    code = "invalid_code"
    default_detail = "Invalid two-factor code"


class MfaAlreadyEnabled(BadRequest):
    code = "mfa_already_enabled"
    default_detail = "Two-factor sign-in is already on"


class MfaNotEnabled(BadRequest):
    code = "mfa_not_enabled"
    default_detail = "Two-factor sign-in is not on"


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
        for status, doc in error.response_doc().items():
            if status in docs:  # two errors of one status (403 inactive_user, 403 forbidden)
                doc = {**doc, "description": f"{docs[status]['description']}; {doc['description']}"}
            docs[status] = doc
    return docs
