"""Logging: a console format for people, `LOG_FORMAT=json` for one JSON object a line.

Every record carries the id of the request it belongs to (from a context variable set by the
request middleware), so a failure in a background task can be traced to its request.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime"}
)


_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Stamp every record with the current request's id, whichever handler formats it."""
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id_var.get() or "-"
    return record


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


CONSOLE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"
# With tracing on (app/core/tracing.py), records also carry `trace_id` and `span_id`.
CONSOLE_FORMAT_WITH_TRACE = (
    "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s trace=%(trace_id)s] %(message)s"
)


def configure_logging(level: str, fmt: str) -> None:
    logging.setLogRecordFactory(_record_with_request_id)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(CONSOLE_FORMAT))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_agora", False):
            root.removeHandler(existing)
    handler._agora = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Our request middleware writes the access line; uvicorn's own would be a duplicate.
    logging.getLogger("uvicorn.access").disabled = True


def show_trace_ids() -> None:
    """Console lines show the trace id too (JSON lines carry every field of the record)."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_agora", False) and not isinstance(handler.formatter, JsonFormatter):
            handler.setFormatter(logging.Formatter(CONSOLE_FORMAT_WITH_TRACE))
