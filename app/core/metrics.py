"""Prometheus metrics: `GET /metrics` (unless METRICS_ENABLED=false).

The request layer (`RequestContextMiddleware`, app/core/middleware.py) records each HTTP request
through `RequestMetrics`, labelled by route template
(`/api/v1/users/{user_id}`, never the raw path, so label cardinality stays bounded; a path no
route matches is `unmatched`), method and status. The registry belongs to the app, not to
prometheus-client's global default, so any number of apps (tests) can live in one process.
What is state rather than events (the database pool, WebSocket connections) is read at scrape
time from what the app already holds. With several worker processes, each keeps its own
numbers and a scrape sees the process that answers it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from app.core.config import Settings
from app.core.state import AppState, state_of

METRICS_PATH = "/metrics"
UNMATCHED = "unmatched"
RATE_LIMITED_STATUS = 429  # the app answers 429 for rate limits only (`rate_limited`)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class AppStateCollector(Collector):
    """Gauges read from the app's state at scrape time: database pool, WebSocket connections."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        pool = self.state.db.engine.pool
        in_use = GaugeMetricFamily(
            "agora_db_pool_connections_in_use", "Database connections checked out of the pool"
        )
        overflow = GaugeMetricFamily(
            "agora_db_pool_overflow", "Connections open beyond the pool size (max_overflow)"
        )
        size = GaugeMetricFamily("agora_db_pool_size", "Configured size of the database pool")
        in_use.add_metric([], _call(pool, "checkedout"))
        overflow.add_metric([], max(0, _call(pool, "overflow")))
        size.add_metric([], _call(pool, "size"))
        yield from (in_use, overflow, size)

        sockets = GaugeMetricFamily(
            "agora_websocket_connections", "WebSocket connections open in this process"
        )
        sockets.add_metric([], len(self.state.realtime.manager))
        yield sockets


def _call(pool: Any, method: str) -> int:
    """A pool statistic (QueuePool has them all; other pools report 0)."""
    function = getattr(pool, method, None)
    return int(function()) if callable(function) else 0


class Metrics:
    """The app's registry and instruments (one per app, kept by its middleware and endpoint)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "agora_http_requests",
            "HTTP requests by route template, method and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "agora_http_request_duration_seconds",
            "Time to answer an HTTP request (to the end of its body)",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "agora_http_requests_in_flight",
            "HTTP requests being answered now",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "agora_rate_limited_requests",
            "Requests refused with 429 rate_limited, by route template",
            ["method", "route"],
            registry=self.registry,
        )

        # The labelled children, looked up once per (method, route, status): `labels()`
        # validates and locks on every call. Bounded as the labels are (route templates).
        self._children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
                self.rate_limited.labels(method, route) if status == RATE_LIMITED_STATUS else None,
            )
        requests, latency, rate_limited = children
        requests.inc()
        latency.observe(seconds)
        if rate_limited is not None:
            rate_limited.inc()

    def render(self, state: AppState) -> bytes:
        """The instruments, then the gauges of what the app holds now."""
        holdings = CollectorRegistry(auto_describe=False)
        holdings.register(AppStateCollector(state))
        return generate_latest(self.registry) + generate_latest(holdings)


class RouteTemplates:
    """The full template (`/api/v1/posts/{post_id}`) of the route that served a request.

    FastAPI leaves the matched route in `scope["route"]`, but a route of an included router
    carries its own path only (`/{post_id}`); the full one comes from FastAPI's route
    contexts, looked up by route once and cached. A request answered before routing (a 429
    from the rate limiter, a 413) is matched here against the same contexts.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._by_route: dict[int, str | None] = {}

    def _contexts(self) -> Iterator[Any]:
        return iter_route_contexts(self.app.router.routes)

    def _index(self) -> None:
        index: dict[int, str | None] = {}
        for context in self._contexts():
            key = id(context.original_route)
            # A route included under two prefixes has no single template: match those.
            index[key] = None if key in index else context.path
        self._by_route = index

    def __call__(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is not None:
            if id(route) not in self._by_route:
                self._index()  # routes added since the last look
            template = self._by_route.get(id(route))
            if template is not None:
                return template
        for context in self._contexts():
            match, _ = context.matches(scope)
            if match is not Match.NONE:
                path = context.path
                return path if isinstance(path, str) else UNMATCHED
        return UNMATCHED


class RequestMetrics:
    """What the request layer records of each HTTP request: in flight while it is answered,
    then counted and timed by method, route template and status."""

    def __init__(self, app: FastAPI, metrics: Metrics) -> None:
        self.metrics = metrics
        self.in_flight = metrics.in_flight
        self.route_template = RouteTemplates(app)

    def started(self) -> None:
        self.in_flight.inc()

    def finished(self, scope: Scope, status: int, seconds: float) -> None:
        self.in_flight.dec()
        self.metrics.observe(scope["method"], self.route_template(scope), status, seconds)


def install_metrics(app: FastAPI, settings: Settings) -> RequestMetrics | None:
    """Serve /metrics (outside /api/v1, not in the docs) and return what the request layer
    records each request with, unless METRICS_ENABLED=false (then None). The request layer is
    outside the rate limiter, so its 429s are counted."""
    if not settings.METRICS_ENABLED:
        return None
    metrics = Metrics()

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(state_of(request.scope)), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route(METRICS_PATH, metrics_endpoint, methods=["GET"], include_in_schema=False)
    return RequestMetrics(app, metrics)
