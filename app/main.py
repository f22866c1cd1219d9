"""The application: `create_app()` wires settings, lifespan, middleware, routers and handlers.

`app.main:app` is what an ASGI server runs; tests build their own with `create_app(settings)`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from app.admin.console import install_admin
from app.api import include_routers
from app.core.config import ConfigError, Settings, get_settings
from app.core.docs import install_docs
from app.core.handlers import install_error_handlers
from app.core.logging import configure_logging
from app.core.metrics import install_metrics
from app.core.middleware import (
    BodySizeLimitMiddleware,
    ClientAddressMiddleware,
    HeadMiddleware,
    RequestContextMiddleware,
)
from app.core.ratelimit import RateLimitMiddleware
from app.core.tracing import install_tracing, telemetry_config
from app.lifespan import lifespan


class Agora(FastAPI):
    """FastAPI, with the client address settled outside everything else (Starlette's own
    outermost layers included): only there is the server's `send`, and with it the address of
    the connection, still at hand (`ClientAddressMiddleware`)."""

    def __init__(self, *, forwarded_allow_ips: list[str], **kwargs: Any) -> None:
        self.forwarded_allow_ips = forwarded_allow_ips
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return ClientAddressMiddleware(super().build_middleware_stack(), self.forwarded_allow_ips)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    try:
        settings.check()
    except ConfigError as exc:
        raise SystemExit(f"agora: configuration error: {exc}") from None
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)

    docs = settings.DOCS_ENABLED
    app = Agora(
        forwarded_allow_ips=settings.FORWARDED_ALLOW_IPS,
        title="Agora",
        summary="Users, profiles, posts, teams and heroes over FastAPI and SQLModel.",
        version="0.1.0",
        lifespan=lifespan(settings),
        openapi_url="/openapi.json" if docs else None,
        # Served by install_docs from the installed package, not FastAPI's CDN pages.
        docs_url=None,
        redoc_url=None,
        swagger_ui_parameters={"persistAuthorization": True},
        telemetry=telemetry_config(settings),  # request spans when tracing is on, else off
    )
    install_error_handlers(app)
    include_routers(app)
    if docs:
        # After the domain routers: API requests never try the docs routes.
        install_docs(app)
    install_admin(app, settings)  # /admin, when ADMIN_ENABLED (app/admin)

    # Added innermost first: the request context wraps everything, so even a 413 or a 500
    # carries X-Request-ID and X-Process-Time. HEAD is a GET to the routes only.
    app.add_middleware(HeadMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_body_size=settings.MAX_BODY_SIZE)
    if settings.RATE_LIMIT_ENABLED:
        # Off, the layer would only pass every request through: it is left out.
        app.add_middleware(RateLimitMiddleware)
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
    # Outermost of ours: request id, log line, metrics (so the rate limiter's 429s are
    # counted), relative redirects, the 500 of last resort.
    app.add_middleware(RequestContextMiddleware, metrics=install_metrics(app, settings))
    install_tracing(app, settings)  # Redis spans and trace ids in logs, when OTEL_* is set
    return app


def __getattr__(name: str) -> FastAPI:
    # `app.main:app` is built on first access, so importing this module has no side effects.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
