"""The application's lifecycle: every resource is created and disposed of here, in one place.

`open_state` builds the `AppState` (engines, hasher, token codec, email, Redis, realtime,
rate limiter) and closes what it opened in reverse order, also when start-up fails half-way.
`lifespan` runs it for the ASGI server: migrations, the first superuser, then serving.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from app.core.config import Settings
from app.core.ratelimit import MemoryStore, RateLimiter, RateLimitStore, RedisStore
from app.core.security import PasswordHasher, TokenCodec, build_password_hash
from app.core.shutdown import DrainOnSignal
from app.core.state import AppState
from app.db.engine import Database, create_engine
from app.db.migrate import migrate
from app.notifications.email import build_email_sender
from app.notifications.queue import EmailQueue
from app.realtime.broker import RedisBroker
from app.realtime.service import Realtime

logger = logging.getLogger("app")

# Redis calls on the request path (rate limits, publishes) give up quickly: with Redis down
# the service keeps serving (fail open) instead of hanging on it.
REDIS_SOCKET_TIMEOUT_SECONDS = 1.0

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[dict[str, AppState]]]


@asynccontextmanager
async def open_state(settings: Settings) -> AsyncIterator[AppState]:
    """Everything the app owns, open; closed again (in reverse order) on the way out."""
    async with AsyncExitStack() as stack:
        db = Database(settings)
        stack.push_async_callback(db.dispose)
        # Creating an engine opens no connection: the first analytics request does.
        analytics_engine = create_engine(settings.analytics_database_url, settings, read_only=True)
        stack.push_async_callback(analytics_engine.dispose)

        redis = None
        email_queue = None
        realtime = Realtime()
        store: RateLimitStore = MemoryStore()
        if settings.REDIS_URL:
            from redis.asyncio import Redis

            redis = Redis.from_url(
                settings.REDIS_URL,
                socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
            )
            stack.push_async_callback(redis.aclose)
            store = RedisStore(redis)
            realtime = Realtime(broker=RedisBroker(redis, settings.REDIS_URL))
            # Emails go through the durable job queue (run by `agora worker`) instead of
            # in-process background tasks.
            email_queue = EmailQueue(settings.REDIS_URL)
            stack.push_async_callback(email_queue.disconnect)

        # Never fails: with Redis down the broker retries in the background.
        await realtime.start()
        stack.push_async_callback(realtime.stop)

        hasher = PasswordHasher(build_password_hash(settings.PASSWORD_HASH_COST))
        await hasher.warm_up()
        yield AppState(
            settings=settings,
            db=db,
            analytics_engine=analytics_engine,
            hasher=hasher,
            token_codec=TokenCodec(settings.secret_key, settings.JWT_ALGORITHM),
            email_sender=build_email_sender(settings),
            realtime=realtime,
            rate_limiter=RateLimiter(settings, store),
            redis=redis,
            email_queue=email_queue,
        )


def lifespan(settings: Settings) -> Lifespan:
    """The lifespan of an app on `settings`; its state is the `AppState` (lifespan state)."""

    @asynccontextmanager
    async def run(_app: FastAPI) -> AsyncIterator[dict[str, AppState]]:
        async with open_state(settings) as state:
            if settings.AUTO_MIGRATE:
                await migrate(state.db.engine)
                logger.info("database schema is up to date")
            await ensure_first_superuser(state)
            # What start-up built lives as long as the process: frozen out of the collector's
            # generations, full collections no longer scan it (bench/results/NOTES.md: pauses).
            gc.collect()
            gc.freeze()
            try:
                # On SIGTERM, WebSockets get a 1001 close before the server's own shutdown.
                with DrainOnSignal(state.realtime.manager.close_all):
                    yield state.lifespan_state()
            finally:
                gc.unfreeze()

    return run


async def ensure_first_superuser(state: AppState) -> None:
    settings = state.settings
    if not (settings.FIRST_SUPERUSER_EMAIL and settings.FIRST_SUPERUSER_PASSWORD):
        return
    from app.users.service import ensure_superuser

    try:
        async with state.db.sessionmaker() as session:
            created = await ensure_superuser(
                session,
                state.hasher,
                email=settings.FIRST_SUPERUSER_EMAIL,
                username=settings.FIRST_SUPERUSER_USERNAME,
                password=settings.FIRST_SUPERUSER_PASSWORD,
            )
            await session.commit()
    except Exception as exc:
        if settings.AUTO_MIGRATE:
            raise
        # Without AUTO_MIGRATE the service must start even with the database down.
        logger.warning("could not ensure the first superuser (database down?): %r", exc)
        return
    if created:
        logger.info("created the first superuser %s", settings.FIRST_SUPERUSER_USERNAME)
    else:
        logger.info(
            "first superuser: a user with email %s or username %s (in any case) exists;"
            " left as it is",
            settings.FIRST_SUPERUSER_EMAIL,
            settings.FIRST_SUPERUSER_USERNAME,
        )
