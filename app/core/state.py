"""`AppState`: every resource the application owns, in one typed object.

The lifespan (`app/lifespan.py`) builds it, hands it to Starlette as lifespan state (so each
request's `scope["state"]` carries it) and disposes of it at shutdown. Dependencies and
middleware read it from there, never from attributes set here and there on `app.state`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection
from starlette.types import Scope

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine

    from app.core.config import Settings
    from app.core.ratelimit import RateLimiter
    from app.core.security import PasswordHasher, TokenCodec
    from app.db.engine import Database
    from app.notifications.email import EmailSender
    from app.notifications.queue import EmailQueue
    from app.realtime.service import Realtime

STATE_KEY = "agora"


@dataclass(eq=False)
class AppState:
    settings: Settings
    db: Database
    analytics_engine: AsyncEngine  # read-only, on ANALYTICS_DATABASE_URL
    hasher: PasswordHasher
    token_codec: TokenCodec
    email_sender: EmailSender
    realtime: Realtime
    rate_limiter: RateLimiter
    redis: Redis | None = None  # with REDIS_URL
    email_queue: EmailQueue | None = None  # with REDIS_URL

    def lifespan_state(self) -> dict[str, AppState]:
        return {STATE_KEY: self}


def state_of(scope: Scope) -> AppState:
    """The state of the app serving this request or WebSocket (set by the lifespan)."""
    state: AppState = scope["state"][STATE_KEY]
    return state


async def get_state(conn: HTTPConnection) -> AppState:
    return state_of(conn.scope)


StateDep = Annotated[AppState, Depends(get_state)]
