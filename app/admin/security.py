"""Who may use the console, and CSRF protection of its forms.

Signing in checks the username (or email) and password with the API's own
`AuthService.authenticate` (the same dummy-hash timing, re-hashing and inactive check) under the
API's login rate limit (`RATE_LIMIT_LOGIN`, the same per-address-and-username budget), and lets
in superusers only. A sign-in is a login like the API's (an `auth_sessions` row): the cookie
carries its id, every request checks it is still live and its user still an active superuser,
and signing out, a password change or a reset ends it as it ends the API's tokens.

The cookie is Starlette's signed session cookie: `HttpOnly`, `SameSite=Lax`, `Secure` in
production, scoped to `/admin`, expiring after `SESSION_MAX_AGE_SECONDS` without use.

CSRF: a random token per browser session (synchronizer token). Every request that is not
GET/HEAD/OPTIONS must carry it, in the `X-CSRF-Token` header (SQLAdmin's delete is an AJAX
call) or a `csrf_token` form field; SQLAdmin's own forms get that field from a small script in
`templates/sqladmin/base.html`, ours render it. Changes never happen on GET: SQLAdmin's actions
(GET links) only show a confirmation form that POSTs.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import uuid
from typing import TYPE_CHECKING

from sqladmin.authentication import AuthenticationBackend
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.admin.context import AppParts
from app.auth.repository import AuthSessionRepository, find_active_user
from app.auth.service import AuthService
from app.core.client import client_of
from app.core.errors import EmailNotVerified, InactiveUser, InvalidCredentials
from app.core.ratelimit import client_address
from app.mfa.service import MfaService
from app.users.models import User

if TYPE_CHECKING:
    from sqladmin.templating import Jinja2Templates

logger = logging.getLogger("app.admin")

COOKIE_NAME = "agora_admin"
COOKIE_PATH = "/admin"
SESSION_MAX_AGE_SECONDS = 8 * 3600
CSRF_SESSION_KEY = "csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
LOGIN_KEY = "login"
USER_KEY = "user"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ADMIN_USER_STATE = "agora_admin_user"

INVALID_CREDENTIALS = "Invalid credentials."
NOT_A_SUPERUSER = "Only superusers may use the admin console."
DEACTIVATED = "This account is deactivated."
MFA_CODE_NEEDED = "Two-factor sign-in is on: enter a code from your app or a backup code."
MFA_CODE_INVALID = "Invalid two-factor code."


def session_secret(secret_key: str) -> str:
    """The cookie's signing key: derived from SECRET_KEY, never the JWT key itself."""
    return hmac.new(secret_key.encode(), b"agora admin session", hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    token: str = request.session.get(CSRF_SESSION_KEY, "")
    return token


def admin_user(request: Request) -> User:
    """The signed-in superuser of this request (set by `AdminAuth.authenticate`)."""
    user: User = getattr(request.state, ADMIN_USER_STATE)
    return user


class CSRFMiddleware:
    """Refuses (403) a request that changes something without the session's CSRF token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = scope["session"]
        expected = session.get(CSRF_SESSION_KEY)
        if not isinstance(expected, str) or not expected:
            expected = session[CSRF_SESSION_KEY] = secrets.token_urlsafe(32)
        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return

        request = Request(scope, receive)
        sent: object = request.headers.get(CSRF_HEADER)
        if sent is None:
            # A form: read it (the body is kept) and hand the same body to the app.
            body = await request.body()
            form = await request.form()
            sent = form.get(CSRF_FIELD)
            for value in form.values():
                if isinstance(value, UploadFile):
                    await value.close()
            receive = _replay(body, receive)
        if not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
            logger.warning("admin: refused a %s %s without a valid CSRF token", *_line(scope))
            response = PlainTextResponse("CSRF token missing or invalid", status_code=403)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _line(scope: Scope) -> tuple[str, str]:
    return scope["method"], scope["path"]


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class AdminAuth(AuthenticationBackend):
    def __init__(self, parts: AppParts, *, secret_key: str, https_only: bool) -> None:
        # Not super().__init__: the session layer must come before (outside) the CSRF check.
        self.parts = parts
        self.templates: Jinja2Templates | None = None  # set once the Admin exists
        self.middlewares = [
            Middleware(
                SessionMiddleware,
                secret_key=session_secret(secret_key),
                session_cookie=COOKIE_NAME,
                max_age=SESSION_MAX_AGE_SECONDS,
                path=COOKIE_PATH,
                same_site="lax",
                https_only=https_only,
            ),
            Middleware(CSRFMiddleware),
        ]

    async def login(self, request: Request) -> Response | bool:
        form = await request.form()
        username = form.get("username")
        password = form.get("password")
        if not isinstance(username, str) or not isinstance(password, str) or not username:
            return await self._refused(request, INVALID_CREDENTIALS, 400)

        limiter = self.parts.rate_limiter
        if limiter.enabled:
            decision = await limiter.hit_login(client_address(request.scope), username)
            if decision is not None and not decision.allowed:
                retry = max(1, math.ceil(decision.retry_after))
                message = f"Too many sign-in attempts; retry in {retry} s."
                response = await self._refused(request, message, 429)
                response.headers.update(decision.headers())
                return response

        parts = self.parts
        async with parts.database.sessionmaker() as session:
            auth = AuthService(
                session,
                parts.hasher,
                parts.token_codec,
                parts.settings,
                client=client_of(request),
                sessionmaker=parts.database.sessionmaker,
            )
            try:
                user = await auth.authenticate(username, password)
            except InvalidCredentials:
                return await self._refused(request, INVALID_CREDENTIALS, 400)
            except InactiveUser:
                return await self._refused(request, DEACTIVATED, 403)
            except EmailNotVerified as exc:  # EMAIL_VERIFICATION_REQUIRED
                return await self._refused(request, exc.detail, 403)
            if not user.is_superuser:
                logger.warning("admin: %s is not a superuser; sign-in refused", user.username)
                return await self._refused(request, NOT_A_SUPERUSER, 403)
            if user.mfa_enabled:  # the password alone never opens the console
                code = form.get("code")
                mfa = MfaService(session, parts.hasher, parts.settings, client=auth.client)
                if not isinstance(code, str) or not code.strip():
                    return await self._refused(request, MFA_CODE_NEEDED, 400)
                if await mfa.check_code(user, code) is None:
                    return await self._refused(request, MFA_CODE_INVALID, 400)
            login = auth.open_login(user)
            await session.commit()  # the login, and a re-hashed password if there was one

        # A new session (and CSRF token) on sign-in: nothing from before it carries over.
        request.session.clear()
        request.session.update(
            {
                LOGIN_KEY: str(login.id),
                USER_KEY: str(user.id),
                CSRF_SESSION_KEY: secrets.token_urlsafe(32),
            }
        )
        logger.info("admin: %s signed in", user.username)
        return True

    async def logout(self, request: Request) -> Response | bool:
        ids = _session_ids(request)
        if ids is not None:
            async with self.parts.database.sessionmaker() as session:
                await AuthSessionRepository(session).revoke(ids[1])
                await session.commit()
        request.session.clear()
        return False  # SQLAdmin then redirects to the sign-in page

    async def authenticate(self, request: Request) -> Response | bool:
        ids = _session_ids(request)
        if ids is None:
            return False
        user_id, login_id = ids
        user = await find_active_user(self.parts.database.direct, user_id, login_id)
        if user is None or not user.is_active or not user.is_superuser:
            request.session.pop(LOGIN_KEY, None)
            request.session.pop(USER_KEY, None)
            return False
        setattr(request.state, ADMIN_USER_STATE, user)
        return True

    async def get_user_id(self, request: Request) -> str | None:
        ids = _session_ids(request)
        return None if ids is None else str(ids[0])

    async def _refused(self, request: Request, message: str, status_code: int) -> Response:
        assert self.templates is not None
        return await self.templates.TemplateResponse(
            request, "sqladmin/login.html", {"error": message}, status_code=status_code
        )


def _session_ids(request: Request) -> tuple[uuid.UUID, uuid.UUID] | None:
    user_id = request.session.get(USER_KEY)
    login_id = request.session.get(LOGIN_KEY)
    if not isinstance(user_id, str) or not isinstance(login_id, str):
        return None
    try:
        return uuid.UUID(user_id), uuid.UUID(login_id)
    except ValueError:
        return None
