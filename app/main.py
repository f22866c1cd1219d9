"""The application: `create_app()` wires settings, lifespan, middleware, routers and handlers.

`app.main:app` is what an ASGI server runs; tests build their own with `create_app(settings)`.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.admin.console import install_admin
from app.core.config import ConfigError, Settings, get_settings
from app.core.docs import install_docs
from app.core.errors import install_error_handlers
from app.core.logging import configure_logging
from app.core.metrics import install_metrics
from app.core.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.core.ratelimit import RateLimiter, RateLimitMiddleware, RedisStore
from app.core.routing import mount
from app.core.security import PasswordHasher, TokenCodec
from app.core.shutdown import DrainOnSignal, close_websockets
from app.core.tracing import install_tracing, telemetry_config
from app.db.engine import Database
from app.db.migrate import migrate
from app.domains import load_models, routers
from app.notifications.email import build_email_sender
from app.notifications.queue import EmailQueue
from app.realtime.broker import RedisBroker
from app.realtime.service import Realtime

logger = logging.getLogger("app")

API_PREFIX = "/api/v1"

# Redis calls on the request path (rate limits, publishes) give up quickly: with Redis down
# the service keeps serving (fail open) instead of hanging on it.
REDIS_SOCKET_TIMEOUT_SECONDS = 1.0


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    db = Database(settings)
    app.state.db = db
    app.state.hasher = PasswordHasher()
    app.state.token_codec = TokenCodec(settings.secret_key, settings.JWT_ALGORITHM)
    app.state.email_sender = build_email_sender(settings)
    app.state.redis = None
    app.state.email_queue = None
    app.state.realtime = Realtime()
    if settings.REDIS_URL:
        from redis.asyncio import Redis

        app.state.redis = Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        )
        app.state.rate_limiter.store = RedisStore(app.state.redis)
        app.state.realtime = Realtime(broker=RedisBroker(app.state.redis, settings.REDIS_URL))
        # Emails go through the durable job queue (run by `agora worker`) instead of
        # in-process background tasks.
        app.state.email_queue = EmailQueue(settings.REDIS_URL)
    try:
        # Never fails: with Redis down the broker retries in the background.
        await app.state.realtime.start()
        await app.state.hasher.warm_up()
        if settings.AUTO_MIGRATE:
            await migrate(db.engine)
            logger.info("database schema is up to date")
        await _ensure_first_superuser(app)
        # What start-up built (modules, routes, schemas, pools) lives as long as the process.
        # Frozen out of the collector's generations, it is no longer scanned by every full
        # collection: under load those paused the event loop up to 117 ms each (about 5% of
        # the time; 25 ms in all with the freeze). Refcounting still frees it; the shutdown
        # below unfreezes it.
        gc.collect()
        gc.freeze()
        # On SIGTERM, WebSockets get a 1001 close before the server starts its shutdown.
        with DrainOnSignal(lambda: close_websockets(app)):
            yield
    finally:
        gc.unfreeze()
        await app.state.realtime.stop()
        if app.state.email_queue is not None:
            await app.state.email_queue.disconnect()
        if app.state.redis is not None:
            await app.state.redis.aclose()
        await db.dispose()


async def _ensure_first_superuser(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    if not (settings.FIRST_SUPERUSER_EMAIL and settings.FIRST_SUPERUSER_PASSWORD):
        return
    from app.users.service import ensure_superuser

    try:
        async with app.state.db.sessionmaker() as session:
            created = await ensure_superuser(
                session,
                app.state.hasher,
                email=settings.FIRST_SUPERUSER_EMAIL,
                username=settings.FIRST_SUPERUSER_USERNAME,
                password=settings.FIRST_SUPERUSER_PASSWORD,
            )
            await session.commit()
        if created:
            logger.info("created the first superuser %s", settings.FIRST_SUPERUSER_USERNAME)
        else:
            logger.info(
                "first superuser: a user with email %s or username %s (in any case) exists;"
                " left as it is",
                settings.FIRST_SUPERUSER_EMAIL,
                settings.FIRST_SUPERUSER_USERNAME,
            )
    except Exception as exc:
        if settings.AUTO_MIGRATE:
            raise
        # Without AUTO_MIGRATE the service must start even with the database down.
        logger.warning("could not ensure the first superuser (database down?): %r", exc)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    try:
        settings.check()
    except ConfigError as exc:
        raise SystemExit(f"agora: configuration error: {exc}") from None
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    load_models()

    docs = settings.DOCS_ENABLED
    app = FastAPI(
        title="Agora",
        summary="Users, profiles, posts, teams and heroes over FastAPI and SQLModel.",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/openapi.json" if docs else None,
        # Served by install_docs from the installed package, not FastAPI's CDN pages.
        docs_url=None,
        redoc_url=None,
        swagger_ui_parameters={"persistAuthorization": True},
        telemetry=telemetry_config(settings),  # request spans when tracing is on, else off
    )
    app.state.settings = settings
    # In memory until the lifespan connects Redis (when REDIS_URL is set).
    app.state.rate_limiter = limiter = RateLimiter(settings)
    install_error_handlers(app)

    for module, _domain in routers():
        if (router := getattr(module, "router", None)) is not None:
            mount(app, router, prefix=API_PREFIX)
        if (public := getattr(module, "public_router", None)) is not None:
            mount(app, public)
    if docs:
        # After the domain routers: API requests never try the docs routes.
        install_docs(app)
    install_admin(app, settings)  # /admin, when ADMIN_ENABLED (app/admin)

    # Added innermost first: the request context wraps everything, so even a 413 or a 500
    # carries X-Request-ID and X-Process-Time.
    app.add_middleware(BodySizeLimitMiddleware, max_body_size=settings.MAX_BODY_SIZE)
    if settings.RATE_LIMIT_ENABLED:
        # Off, the layer would only pass every request through: it is left out.
        app.add_middleware(RateLimitMiddleware, limiter=limiter)
    # The client address (for rate limits and logs) honours X-Forwarded-For only from
    # FORWARDED_ALLOW_IPS, here in the app so that any ASGI server gets it right (`agora serve`
    # turns uvicorn's own proxy-header handling off to avoid doing it twice).
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.FORWARDED_ALLOW_IPS)
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ORIGINS,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[
                "X-Request-ID",
                "X-Process-Time",
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
            ],
        )
    # Outside the rate limiter (its 429s are counted), inside the request context.
    install_metrics(app)
    app.add_middleware(RequestContextMiddleware)
    install_tracing(app, settings)  # Redis spans and trace ids in logs, when OTEL_* is set
    return app


def __getattr__(name: str) -> FastAPI:
    # `app.main:app` is built on first access, so importing this module has no side effects.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
