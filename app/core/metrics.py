"""Prometheus metrics: `GET /metrics` (unless METRICS_ENABLED=false).

The request layer (`RequestContextMiddleware`, app/core/middleware.py) records each HTTP
request through `RequestMetrics`, labelled by route template (`/api/v1/users/{user_id}`,
never the raw path, so label cardinality stays bounded; a path no route matches is
`unmatched`), method and status, as plain numbers (`RequestCounts`) that become Prometheus
samples when scraped. The registry belongs to the app, not to
prometheus-client's global default, so any number of apps (tests) can live in one process.
What is state rather than events (the database pool, WebSocket connections) is read at scrape
time from what the app already holds. With several worker processes, each keeps its own
numbers and a scrape sees the process that answers it.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from prometheus_client import CollectorRegistry
from prometheus_client import metrics as prometheus_metrics
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString
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
_BOUNDS = (*LATENCY_BUCKETS, math.inf)
# The bucket labels (`le`) as prometheus-client writes them.
_LE = tuple(floatToGoString(bound) for bound in _BOUNDS)  # type: ignore[no-untyped-call]


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


class _Latency:
    """One histogram series: counts per bucket (not cumulated), their sum, its creation time."""

    __slots__ = ("counts", "created", "total")

    def __init__(self, buckets: int) -> None:
        self.counts = [0] * buckets
        self.total = 0.0
        self.created = time.time()


class _Series:
    """What one (method, route, status) updates: its request count (with its creation time),
    the latency series of (method, route), and the 429 count of (method, route) for a 429."""

    __slots__ = ("count", "created", "latency", "rate_limited")

    def __init__(self, latency: _Latency, rate_limited: list[float] | None) -> None:
        self.count = 0
        self.created = time.time()
        self.latency = latency
        self.rate_limited = rate_limited  # [count, created]


class RequestCounts(Collector):
    """The request instruments: requests by method, route and status, latency by method and
    route, requests in flight, 429s by method and route.

    Kept as plain numbers, turned into Prometheus samples at scrape time: the same families,
    names, labels, buckets and `_created` series prometheus-client's Counter, Histogram and
    Gauge would show (tests/core/test_metrics.py compares the two), at a fraction of their cost
    per request (each of those updates takes a lock; a request made five updates). Updated
    from the event loop's thread only, as the request layer runs there.
    """

    def __init__(self) -> None:
        self.in_flight = 0
        self._series: dict[tuple[str, str, int], _Series] = {}
        self._latency: dict[tuple[str, str], _Latency] = {}
        self._rate_limited: dict[tuple[str, str], list[float]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        series = self._series.get((method, route, status))
        if series is None:
            series = self._new_series(method, route, status)
        series.count += 1
        latency = series.latency
        latency.counts[bisect_left(_BOUNDS, seconds)] += 1
        latency.total += seconds
        if series.rate_limited is not None:
            series.rate_limited[0] += 1

    def _new_series(self, method: str, route: str, status: int) -> _Series:
        latency = self._latency.get((method, route))
        if latency is None:
            latency = self._latency[(method, route)] = _Latency(len(_BOUNDS))
        rate_limited = None
        if status == RATE_LIMITED_STATUS:
            rate_limited = self._rate_limited.get((method, route))
            if rate_limited is None:
                rate_limited = self._rate_limited[(method, route)] = [0, time.time()]
        series = self._series[(method, route, status)] = _Series(latency, rate_limited)
        return series

    def describe(self) -> Iterator[Metric]:
        return self._families(samples=False)

    def collect(self) -> Iterator[Metric]:
        return self._families(samples=True)

    def _families(self, *, samples: bool) -> Iterator[Metric]:
        created = _created_series_on()
        requests = CounterMetricFamily(
            "agora_http_requests",
            "HTTP requests by route template, method and status",
            labels=["method", "route", "status"],
        )
        latency = HistogramMetricFamily(
            "agora_http_request_duration_seconds",
            "Time to answer an HTTP request (to the end of its body)",
            labels=["method", "route"],
        )
        in_flight = GaugeMetricFamily(
            "agora_http_requests_in_flight", "HTTP requests being answered now"
        )
        rate_limited = CounterMetricFamily(
            "agora_rate_limited_requests",
            "Requests refused with 429 rate_limited, by route template",
            labels=["method", "route"],
        )
        if samples:
            for (method, route, status), series in list(self._series.items()):
                when = series.created if created else None
                requests.add_metric([method, route, str(status)], series.count, created=when)
            for (method, route), histogram in list(self._latency.items()):
                cumulative = list(accumulate(histogram.counts))
                buckets = [(le, float(count)) for le, count in zip(_LE, cumulative, strict=True)]
                latency.add_metric([method, route], buckets, histogram.total)
                if created:
                    labels = {"method": method, "route": route}
                    name = "agora_http_request_duration_seconds_created"
                    latency.samples.append(Sample(name, labels, histogram.created))
            in_flight.add_metric([], self.in_flight)
            for (method, route), (count, since) in list(self._rate_limited.items()):
                rate_limited.add_metric([method, route], count, created=since if created else None)
        yield from (requests, latency, in_flight, rate_limited)


def _created_series_on() -> bool:
    """Whether prometheus-client shows `_created` series (PROMETHEUS_DISABLE_CREATED_SERIES,
    `disable_created_metrics()`): its own flag, read as its Counter and Histogram read it."""
    return bool(getattr(prometheus_metrics, "_use_created", True))


class Metrics:
    """The app's registry and instruments (one per app, kept by its request layer and
    endpoint)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = RequestCounts()
        self.registry.register(self.requests)

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
        self.counts = metrics.requests
        self.route_template = RouteTemplates(app)

    def started(self) -> None:
        self.counts.in_flight += 1

    def finished(self, scope: Scope, status: int, seconds: float) -> None:
        counts = self.counts
        counts.in_flight -= 1
        counts.observe(scope["method"], self.route_template(scope), status, seconds)


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
