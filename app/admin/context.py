"""What the console borrows from the application, read in one place.

The database, the hasher, the token codec and the rate limiter are made by the app's lifespan,
after the console is mounted; `AppParts` looks them up on the app when a request needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.ratelimit import RateLimiter
from app.core.security import PasswordHasher, TokenCodec
from app.db.engine import Database


@dataclass(frozen=True, slots=True)
class AppParts:
    app: FastAPI

    @property
    def settings(self) -> Settings:
        settings: Settings = self.app.state.settings
        return settings

    @property
    def database(self) -> Database:
        database: Database = self.app.state.db
        return database

    @property
    def hasher(self) -> PasswordHasher:
        hasher: PasswordHasher = self.app.state.hasher
        return hasher

    @property
    def token_codec(self) -> TokenCodec:
        codec: TokenCodec = self.app.state.token_codec
        return codec

    @property
    def rate_limiter(self) -> RateLimiter:
        limiter: RateLimiter = self.app.state.rate_limiter
        return limiter


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
