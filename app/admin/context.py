"""What the console borrows from the application, read in one place.

The database, the hasher, the token codec and the rate limiter belong to the app's `AppState`,
which the lifespan makes after the console is mounted and which each request carries in its
scope. SQLAdmin calls its session maker and views without the request, so the console's
mount sets the request's state in a context variable (`bind_state`) and `AppParts` reads it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.config import Settings
from app.core.ratelimit import RateLimiter
from app.core.security import PasswordHasher, TokenCodec
from app.core.state import AppState, state_of
from app.db.engine import Database

_request_state: ContextVar[AppState] = ContextVar("admin_request_state")


def bind_state(app: ASGIApp) -> ASGIApp:
    """Wrap the console's ASGI app: each request's `AppState` is what `AppParts` reads."""

    async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
        token = _request_state.set(state_of(scope))
        try:
            await app(scope, receive, send)
        finally:
            _request_state.reset(token)

    return with_state


class AppParts:
    """The parts of the serving app's state the console uses (during one of its requests)."""

    @property
    def state(self) -> AppState:
        return _request_state.get()

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @property
    def database(self) -> Database:
        return self.state.db

    @property
    def hasher(self) -> PasswordHasher:
        return self.state.hasher

    @property
    def token_codec(self) -> TokenCodec:
        return self.state.token_codec

    @property
    def rate_limiter(self) -> RateLimiter:
        return self.state.rate_limiter


class AppSessionMaker:
    """SQLAdmin's session maker: the app's own, looked up when a session is opened.

    SQLAdmin wants one when it is constructed (in `create_app`), before the lifespan has made
    the engine. It only calls it, reads `class_` (async or not) and `configure()`s it (the
    app's sessions are configured by the app).
    """

    class_ = AsyncSession

    def __init__(self, parts: AppParts) -> None:
        self.parts = parts

    def configure(self, **_options: Any) -> None:
        """The app's sessions keep the app's configuration."""

    def __call__(self, **options: Any) -> AsyncSession:
        return self.parts.database.sessionmaker(**options)
