"""GET /metrics: Prometheus text with requests by route template, latency, in-flight requests,
the database pool, WebSocket connections and rate-limited requests; a registry per app."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, nullcontext
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from tests.assertions import assert_error
from tests.support import Running, running

AppMaker = Callable[..., Awaitable[Running]]


@pytest.fixture
async def make_app(make_settings: Callable[..., Any]) -> AsyncIterator[AppMaker]:
    """Apps of the test's own (with their lifespan), each with a fresh registry."""
    async with AsyncExitStack() as stack:

        async def make(**overrides: Any) -> Running:
            return await stack.enter_async_context(running(create_app(make_settings(**overrides))))

        yield make


def http(served: Running) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return nullcontext(served.client)


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_are_served_in_prometheus_text_format(make_app) -> None:
    async with http(await make_app()) as client:
        response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE agora_http_requests_total counter" in response.text


async def test_requests_are_counted_by_route_template_method_and_status(make_app) -> None:
    async with http(await make_app()) as client:
        await client.get("/api/v1/posts")
        await client.get("/api/v1/posts")
        await client.get(f"/api/v1/posts/{uuid.uuid4()}")
        samples = await scrape(client)

    total = "agora_http_requests_total"
    assert value(samples, total, method="GET", route="/api/v1/posts", status="200") == 2
    assert value(samples, total, method="GET", route="/api/v1/posts/{post_id}", status="404") == 1


async def test_raw_paths_never_become_labels(make_app) -> None:
    post_id = uuid.uuid4()
    async with http(await make_app()) as client:
        await client.get(f"/api/v1/posts/{post_id}")
        response = await client.get("/metrics")

    assert str(post_id) not in response.text


async def test_paths_no_route_matches_share_one_label(make_app) -> None:
    async with http(await make_app()) as client:
        await client.get("/no/such/page")
        await client.get("/another/missing/page")
        samples = await scrape(client)

    total = "agora_http_requests_total"
    assert value(samples, total, method="GET", route="unmatched", status="404") == 2


async def test_latency_is_a_histogram_per_route(make_app) -> None:
    async with http(await make_app()) as client:
        await client.get("/health")
        samples = await scrape(client)

    name = "agora_http_request_duration_seconds"
    assert value(samples, f"{name}_count", method="GET", route="/health") == 1
    assert value(samples, f"{name}_bucket", method="GET", route="/health", le="+Inf") == 1
    assert value(samples, f"{name}_sum", method="GET", route="/health") > 0


async def test_the_scrape_itself_is_the_request_in_flight(make_app) -> None:
    async with http(await make_app()) as client:
        samples = await scrape(client)
        again = await scrape(client)

    assert value(samples, "agora_http_requests_in_flight") == 1
    assert value(again, "agora_http_requests_in_flight") == 1


async def test_pool_gauges_show_connections_in_use(make_app) -> None:
    application = await make_app()
    async with http(application) as client:
        idle = await scrape(client)
        async with application.state.db.engine.connect():
            busy = await scrape(client)

    assert value(busy, "agora_db_pool_connections_in_use") == (
        value(idle, "agora_db_pool_connections_in_use") + 1
    )
    assert ("agora_db_pool_overflow", ()) in busy
    assert ("agora_db_pool_size", ()) in busy


class StubSocket:
    async def send_text(self, text: str) -> None:
        return None

    async def close(self, code: int = 1000, reason: str = "") -> None:
        return None


async def test_websocket_connections_are_the_managers_count(make_app) -> None:
    application = await make_app()
    manager = application.state.realtime.manager
    async with http(application) as client:
        connections = [manager.connect(StubSocket(), f"c{i}") for i in range(3)]  # type: ignore[arg-type]
        during = await scrape(client)
        for connection in connections:
            manager.disconnect(connection)
        await asyncio.sleep(0)
        after = await scrape(client)

    assert value(during, "agora_websocket_connections") == 3
    assert value(after, "agora_websocket_connections") == 0


async def test_rate_limited_requests_are_counted_by_route(make_app) -> None:
    application = await make_app(RATE_LIMIT_ENABLED=True, RATE_LIMIT_DEFAULT="2/minute")
    async with http(application) as client:
        statuses = [(await client.get("/api/v1/teams")).status_code for _ in range(3)]
        application.state.rate_limiter.enabled = False  # let the scrape through
        samples = await scrape(client)

    assert statuses == [200, 200, 429]
    assert (
        value(samples, "agora_rate_limited_requests_total", method="GET", route="/api/v1/teams")
        == 1
    )
    total = "agora_http_requests_total"
    assert value(samples, total, method="GET", route="/api/v1/teams", status="429") == 1


async def test_metrics_enabled_false_answers_404(make_app) -> None:
    application = await make_app(METRICS_ENABLED=False)
    async with http(application) as client:
        response = await client.get("/metrics")

    assert_error(response, 404, "not_found")


async def test_metrics_is_not_in_the_openapi_schema(make_app) -> None:
    async with http(await make_app()) as client:
        paths = (await client.get("/openapi.json")).json()["paths"]

    assert "/metrics" not in paths


async def test_each_app_counts_its_own_requests(make_app) -> None:
    first, second = await make_app(), await make_app()
    async with http(first) as one, http(second) as two:
        await one.get("/health")
        samples = await scrape(two)

    assert (
        value(samples, "agora_http_requests_total", method="GET", route="/health", status="200")
        == 0
    )


def test_the_request_counts_read_as_prometheus_clients_own_instruments_would() -> None:
    """`RequestCounts` keeps plain numbers; its scrape must be what prometheus-client's
    Counter, Histogram and Gauge fed the same requests show (`_created` times aside)."""
    import re

    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
    from prometheus_client.metrics import disable_created_metrics, enable_created_metrics

    from app.core.metrics import LATENCY_BUCKETS, RequestCounts

    reference = CollectorRegistry(auto_describe=True)
    requests = Counter(
        "agora_http_requests",
        "HTTP requests by route template, method and status",
        ["method", "route", "status"],
        registry=reference,
    )
    latency = Histogram(
        "agora_http_request_duration_seconds",
        "Time to answer an HTTP request (to the end of its body)",
        ["method", "route"],
        buckets=LATENCY_BUCKETS,
        registry=reference,
    )
    in_flight = Gauge(
        "agora_http_requests_in_flight", "HTTP requests being answered now", registry=reference
    )
    rate_limited = Counter(
        "agora_rate_limited_requests",
        "Requests refused with 429 rate_limited, by route template",
        ["method", "route"],
        registry=reference,
    )
    counts = RequestCounts()
    ours = CollectorRegistry(auto_describe=True)
    ours.register(counts)

    def created_times_aside(registry: CollectorRegistry) -> str:
        text = generate_latest(registry).decode()
        return re.sub(r"^(\w+_created\{.*\}) \S+$", r"\1 T", text, flags=re.MULTILINE)

    assert created_times_aside(ours) == created_times_aside(reference)  # nothing yet

    observations = [
        ("GET", "/health", 200, 0.0004),
        ("GET", "/api/v1/users/{user_id}", 404, 0.01),  # on a bucket's bound
        ("GET", "/health", 200, 0.3),
        ("POST", "/api/v1/posts", 429, 31.0),  # past the last bound
        ("GET", "/api/v1/users/{user_id}", 200, 0.0),
        ("POST", "/api/v1/posts", 429, 2.5),
        ("POST", "/api/v1/posts", 201, 0.07),
    ]
    for method, route, status, seconds in observations:
        requests.labels(method, route, str(status)).inc()
        latency.labels(method, route).observe(seconds)
        if status == 429:
            rate_limited.labels(method, route).inc()
        counts.observe(method, route, status, seconds)
    in_flight.inc()
    counts.in_flight += 1

    scraped = created_times_aside(ours)
    assert scraped == created_times_aside(reference)
    assert 'agora_http_requests_total{method="POST",route="/api/v1/posts",status="429"} 2.0' in (
        scraped
    )

    disable_created_metrics()  # PROMETHEUS_DISABLE_CREATED_SERIES=true does the same
    try:
        without_created = generate_latest(ours).decode()
        assert without_created == generate_latest(reference).decode()
        assert "_created" not in without_created
    finally:
        enable_created_metrics()
