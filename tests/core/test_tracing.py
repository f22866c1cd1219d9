"""Traces (app/core/tracing.py): spans of requests, statements, Redis calls and emails, and the
trace id in the request's log line, caught by the SDK's in-memory exporter."""

from __future__ import annotations

import importlib.util
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from app.core import tracing
from app.core.config import ConfigError, Settings
from app.core.logging import configure_logging
from app.main import create_app
from app.notifications.email import ConsoleEmailSender, build_email_sender
from app.users.models import User
from tests.conftest import HeadersFor
from tests.support import running

ENDPOINT = "http://127.0.0.1:4318"  # never reached: the in-memory exporter is the provider's


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    """The process's tracer provider, set once: the SDK's, with an in-memory exporter."""
    exporter = InMemorySpanExporter()
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        current.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
    return exporter


@pytest.fixture
def spans(
    span_exporter: InMemorySpanExporter, settings: Settings
) -> Iterator[InMemorySpanExporter]:
    span_exporter.clear()
    yield span_exporter
    span_exporter.clear()
    # What a traced app installed process-wide goes: the Redis patch, the log record fields.
    if RedisInstrumentor().is_instrumented_by_opentelemetry:
        RedisInstrumentor().uninstrument()
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)


@pytest.fixture
def traced(
    spans: InMemorySpanExporter, make_settings: Callable[..., Settings], client: httpx.AsyncClient
) -> Callable[..., Any]:
    """An app with tracing on (and its client); depends on `client` to empty the database."""

    def build(**overrides: Any) -> FastAPI:
        return create_app(make_settings(OTEL_EXPORTER_OTLP_ENDPOINT=ENDPOINT, **overrides))

    return build


async def serve(application: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(application) as served:
        http = served.client
        yield http


@pytest.fixture
async def traced_client(traced: Callable[..., FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    async for http in serve(traced()):
        yield http


def server_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.kind == SpanKind.SERVER]


def inside(exporter: InMemorySpanExporter, request: ReadableSpan) -> list[ReadableSpan]:
    """The spans below `request` (its children, theirs, ...)."""
    by_id = {span.context.span_id: span for span in exporter.get_finished_spans()}
    found = []
    for span in exporter.get_finished_spans():
        parent = span.parent
        while parent is not None and parent.span_id != request.context.span_id:
            above = by_id.get(parent.span_id)
            parent = above.parent if above is not None else None
        if parent is not None:
            found.append(span)
    return found


def only_server_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    found = server_spans(exporter)
    assert len(found) == 1, [span.name for span in found]
    return found[0]


# --- off -------------------------------------------------------------------------------------


async def test_tracing_is_off_by_default_and_installs_nothing(
    make_settings: Callable[..., Settings], spans: InMemorySpanExporter
) -> None:
    settings = make_settings()
    assert not settings.tracing_enabled
    application = create_app(settings)
    assert isinstance(build_email_sender(settings), ConsoleEmailSender)
    assert not getattr(logging.getLogRecordFactory(), "_agora_trace_ids", False)
    async for http in serve(application):
        assert (await http.get("/health")).status_code == 200
        assert (await http.get("/api/v1/posts")).status_code == 200
    assert not RedisInstrumentor().is_instrumented_by_opentelemetry
    # The process has an SDK tracer provider (the `spans` fixture's), which FastAPI's own
    # telemetry would use if it were left at its defaults: it is switched off.
    assert spans.get_finished_spans() == ()


@pytest.mark.parametrize(
    ("overrides", "enabled"),
    [
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{ENDPOINT}/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_SDK_DISABLED": True}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_TRACES_EXPORTER": "none"}, False),
    ],
)
def test_which_otel_settings_turn_tracing_on(
    make_settings: Callable[..., Settings], overrides: dict[str, Any], enabled: bool
) -> None:
    assert make_settings(**overrides).tracing_enabled is enabled


def test_the_traces_url_follows_the_sdks_rules(make_settings: Callable[..., Settings]) -> None:
    general = make_settings(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318/")
    specific = make_settings(
        OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://other:4318/custom",
    )
    assert tracing._traces_endpoint(general) == "http://collector:4318/v1/traces"
    assert tracing._traces_endpoint(specific) == "http://other:4318/custom"


def test_tracing_without_the_extra_is_a_configuration_error(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name.startswith("opentelemetry") else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ConfigError, match=r"agora\[otel\]"):
        make_settings(OTEL_EXPORTER_OTLP_ENDPOINT=ENDPOINT).check()


# --- requests --------------------------------------------------------------------------------


async def test_a_request_is_a_server_span_named_by_its_route_template(
    traced_client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    response = await traced_client.get("/api/v1/posts/0190e3c1-0000-7000-8000-000000000000")
    assert response.status_code == 404
    span = only_server_span(spans)
    assert span.name == "GET /api/v1/posts/{post_id}"
    assert span.attributes is not None
    assert span.attributes["http.route"] == "/api/v1/posts/{post_id}"
    assert span.attributes["http.request.method"] == "GET"
    assert span.attributes["http.response.status_code"] == 404
    assert span.status.status_code != StatusCode.ERROR


async def test_a_callers_traceparent_is_continued(
    traced_client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    headers = {"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    await traced_client.get("/health", headers=headers)
    span = only_server_span(spans)
    assert format(span.context.trace_id, "032x") == trace_id
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == "00f067aa0ba902b7"


async def test_a_server_error_marks_the_span_as_an_error(
    traced: Callable[..., FastAPI], spans: InMemorySpanExporter
) -> None:
    application = traced()

    @application.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    async for http in serve(application):
        assert (await http.get("/boom")).status_code == 500
    span = only_server_span(spans)
    assert span.name == "GET /boom"
    assert span.status.status_code == StatusCode.ERROR


async def test_database_statements_are_spans_inside_the_request(
    traced: Callable[..., FastAPI],
    spans: InMemorySpanExporter,
    user: User,
    make_settings: Callable[..., Settings],
) -> None:
    async for http in serve(traced()):
        login = await http.post(
            "/api/v1/auth/login",
            data={"username": user.username, "password": "correct horse battery"},
        )
        spans.clear()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        assert (await http.get("/api/v1/users/me", headers=headers)).status_code == 200
    request = only_server_span(spans)
    assert request.name == "GET /api/v1/users/me"
    statements = [span for span in inside(spans, request) if span.kind == SpanKind.CLIENT]
    assert statements, [span.name for span in spans.get_finished_spans()]
    select = next(span for span in statements if span.name == "SELECT")
    assert select.attributes is not None
    assert "FROM users" in str(select.attributes["db.query.text"])
    assert select.attributes["db.system.name"] in ("sqlite", "postgresql")
    # The statement's text only: no bound value (the user's id) is recorded.
    assert str(user.id) not in json.dumps(dict(select.attributes))
    assert str(user.id.hex) not in json.dumps(dict(select.attributes))


async def test_a_failing_statement_span_records_the_error(
    traced: Callable[..., FastAPI], spans: InMemorySpanExporter
) -> None:
    from sqlalchemy import text

    application = traced()
    async with running(application) as served:
        spans.clear()
        with pytest.raises(Exception, match="no_such_table"):
            async with served.state.db.engine.connect() as conn:
                await conn.execute(text("SELECT * FROM no_such_table"))
    failed = [span for span in spans.get_finished_spans() if span.name == "SELECT"]
    assert len(failed) == 1
    assert failed[0].status.status_code == StatusCode.ERROR


async def test_redis_calls_are_spans_inside_the_request(
    traced: Callable[..., FastAPI],
    spans: InMemorySpanExporter,
    redis_url: str,
) -> None:
    application = traced(REDIS_URL=redis_url, RATE_LIMIT_ENABLED=True)
    async for http in serve(application):
        spans.clear()
        assert (await http.get("/api/v1/posts")).status_code == 200
    served = only_server_span(spans)
    calls = [
        span
        for span in inside(spans, served)
        if (span.attributes or {}).get("db.system") == "redis"
        or (span.attributes or {}).get("db.system.name") == "redis"
    ]
    assert calls, [(span.name, span.attributes) for span in spans.get_finished_spans()]


async def test_an_email_sent_is_a_span_of_the_request_that_sent_it(
    traced_client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    body = {"username": "traced_user", "email": "traced@example.com", "password": "long enough"}
    assert (await traced_client.post("/api/v1/auth/register", json=body)).status_code == 201
    request = only_server_span(spans)
    emails = [span for span in inside(spans, request) if span.name == "email send"]
    assert emails
    assert emails[0].attributes is not None
    assert emails[0].attributes["email.backend"] == "console"
    assert "traced@example.com" not in json.dumps(dict(emails[0].attributes))


# --- logs ------------------------------------------------------------------------------------


def access_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "app.access" in line]


async def test_the_request_log_line_carries_the_trace_id_json(
    traced: Callable[..., FastAPI],
    spans: InMemorySpanExporter,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async for http in serve(traced(LOG_FORMAT="json", LOG_LEVEL="INFO")):
        capsys.readouterr()
        await http.get("/health")
        output = capsys.readouterr().out
    span = only_server_span(spans)
    line = json.loads(access_lines(output)[-1])
    assert line["trace_id"] == format(span.context.trace_id, "032x")
    assert line["span_id"] == format(span.context.span_id, "016x")


async def test_the_request_log_line_carries_the_trace_id_console(
    traced: Callable[..., FastAPI],
    spans: InMemorySpanExporter,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async for http in serve(traced(LOG_FORMAT="console", LOG_LEVEL="INFO")):
        capsys.readouterr()
        await http.get("/health")
        output = capsys.readouterr().out
    span = only_server_span(spans)
    assert f"trace={format(span.context.trace_id, '032x')}]" in access_lines(output)[-1]


async def test_a_request_id_and_trace_id_sit_side_by_side(
    traced: Callable[..., FastAPI],
    spans: InMemorySpanExporter,
    capsys: pytest.CaptureFixture[str],
    headers_for: HeadersFor,
) -> None:
    async for http in serve(traced(LOG_FORMAT="console", LOG_LEVEL="INFO")):
        capsys.readouterr()
        await http.get("/health", headers={"X-Request-ID": "my-request-1"})
        output = capsys.readouterr().out
    span = only_server_span(spans)
    assert f"[my-request-1 trace={format(span.context.trace_id, '032x')}]" in output
