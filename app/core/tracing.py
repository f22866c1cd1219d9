"""Traces with OpenTelemetry: optional, off by default.

Install the extra (`pip install 'agora[otel]'`) and set `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_TRACES_EXPORTER=otlp|console`). Then:

- every HTTP request is a SERVER span named `{method} {route template}` (OpenTelemetry's HTTP
  convention: `GET /api/v1/users/{user_id}`, never the raw path), continuing the caller's W3C
  `traceparent` when it sends one: FastAPI's own telemetry (FastAPI >= 0.165), given our
  tracer provider;
- every database statement is a CLIENT span (engine events on every engine the app makes:
  the statement's text, never its parameters);
- every Redis command is a CLIENT span (opentelemetry-instrumentation-redis);
- every email sent is a CLIENT span (`email send`: the backend, never the address);
- every log record written inside a span carries `trace_id` and `span_id`: fields of the JSON
  format, and the console format shows the trace id after the request id.

Spans go to OTLP over HTTP (protobuf) through a batching processor; the SDK reads the other
`OTEL_*` variables itself (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER`,
`OTEL_RESOURCE_ATTRIBUTES`...). A process that already has an SDK tracer provider (set up by
`opentelemetry-instrument`, or by a test with an in-memory exporter) keeps it.

Off, nothing here is installed: no event listener, no patched client, no log field, and
FastAPI's telemetry is switched off outright (left at its defaults it looks for configured
tracer, meter and logger providers on every request, about 5 us). The OpenTelemetry SDK is
imported only when tracing is on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from sqlalchemy import event

from app.core.config import Settings
from app.core.logging import show_trace_ids

if TYPE_CHECKING:
    from fastapi.telemetry import TelemetryConfig
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.ext.asyncio import AsyncEngine

    from app.notifications.email import EmailMessage, EmailSender

logger = logging.getLogger("app.tracing")

INSTRUMENTATION = "agora"


def tracer_provider(settings: Settings) -> TracerProvider:
    """The process's SDK tracer provider: the one already set, or a new OTLP (or console) one."""
    from opentelemetry import trace
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.OTEL_SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(_exporter(settings)))
    trace.set_tracer_provider(provider)
    logger.info("tracing on: spans go to %s", _destination(settings))
    return provider


def _exporter(settings: Settings) -> Any:
    if settings.OTEL_TRACES_EXPORTER == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=_traces_endpoint(settings))


def _traces_endpoint(settings: Settings) -> str | None:
    """The traces URL: the specific variable as it is, the general one plus `/v1/traces` (as
    the SDK does when it reads them); None leaves the SDK's default (localhost:4318)."""
    if settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT:
        return settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    if settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        return settings.OTEL_EXPORTER_OTLP_ENDPOINT.rstrip("/") + "/v1/traces"
    return None


def _destination(settings: Settings) -> str:
    if settings.OTEL_TRACES_EXPORTER == "console":
        return "the console"
    return _traces_endpoint(settings) or "the SDK's default OTLP endpoint"


def telemetry_config(settings: Settings) -> TelemetryConfig:
    """`FastAPI(telemetry=...)`: request spans with our provider when tracing is on, else off.

    FastAPI's OpenTelemetry metrics and log export stay off (metrics are Prometheus's, at
    /metrics; log lines carry the trace id instead), and it adds no exporter of its own."""
    if not settings.tracing_enabled:
        return {
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        }
    return {
        "tracer_provider": tracer_provider(settings),
        "tracing": True,
        "metrics": False,
        "logs": False,
        # Spans of each dependency, endpoint and serialization: three more per request, for
        # little a trace of statements and Redis calls does not already show.
        "operation_spans": False,
        "auto_configure": False,
    }


def install_tracing(app: FastAPI, settings: Settings) -> None:
    """Trace Redis commands and stamp log records with the trace id, when tracing is on
    (requests: `telemetry_config`; statements: `instrument_engine`; emails:
    `TracedEmailSender`)."""
    if not settings.tracing_enabled:
        return
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    instrumentor = RedisInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider(settings))
    stamp_trace_ids()


def stamp_trace_ids() -> None:
    """Every log record gets `trace_id` and `span_id` (`-` outside a span)."""
    from opentelemetry import trace

    base = logging.getLogRecordFactory()
    if getattr(base, "_agora_trace_ids", False):
        return
    current_span = trace.get_current_span

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        context = current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        else:
            record.trace_id = record.span_id = "-"
        return record

    factory._agora_trace_ids = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
    show_trace_ids()


def instrument_engine(engine: AsyncEngine, settings: Settings) -> None:
    """A CLIENT span per statement of `engine`, named by its first keyword (`SELECT`...)."""
    from opentelemetry.trace import SpanKind, Status, StatusCode

    tracer = tracer_provider(settings).get_tracer(INSTRUMENTATION)
    sync_engine = engine.sync_engine
    attributes = {
        "db.system.name": sync_engine.dialect.name,
        "db.namespace": str(sync_engine.url.database or ""),
    }
    if sync_engine.url.host:
        attributes["server.address"] = sync_engine.url.host
    error = Status(StatusCode.ERROR)

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _start(
        _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = tracer.start_span(
            operation,
            kind=SpanKind.CLIENT,
            attributes={**attributes, "db.operation.name": operation, "db.query.text": statement},
        )
        if context is not None:
            context._agora_span = span
        else:
            span.end()

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _end(
        _conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        span = getattr(context, "_agora_span", None)
        if span is not None:
            span.end()
            context._agora_span = None

    @event.listens_for(sync_engine, "handle_error")
    def _failed(exception_context: Any) -> None:
        context = exception_context.execution_context
        span = getattr(context, "_agora_span", None)
        if span is not None:
            span.record_exception(exception_context.original_exception)
            span.set_status(error)
            span.end()
            context._agora_span = None


class TracedEmailSender:
    """Wraps the app's email sender: one span per message sent."""

    def __init__(self, sender: EmailSender, settings: Settings) -> None:
        from opentelemetry.trace import SpanKind

        self.sender = sender
        self.tracer = tracer_provider(settings).get_tracer(INSTRUMENTATION)
        self._client = SpanKind.CLIENT
        self.attributes: dict[str, str] = {"email.backend": settings.EMAIL_BACKEND}
        if settings.EMAIL_BACKEND == "smtp":
            self.attributes["server.address"] = settings.SMTP_HOST

    async def send(self, message: EmailMessage) -> None:
        with self.tracer.start_as_current_span(
            "email send", kind=self._client, attributes=self.attributes
        ):
            await self.sender.send(message)
