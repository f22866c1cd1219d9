"""Logging: a console format for people, `LOG_FORMAT=json` for one JSON object a line.

Every record carries the id of the request it belongs to (from a context variable set by the
request middleware), so a failure in a background task can be traced to its request.

Logged values come from clients (a path, a notify message, a WebSocket client id), so no value
may start a line of its own, rewrite one or drive the terminal: both formats escape control
characters and Unicode line breaks. In the console format a record is one line, and only its
traceback continues it, each of its lines behind `  | ` so that a line at column 0 is always a
record's first.
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


# C0 and C1 controls, DEL, and what `str.splitlines` and some viewers take for a line break.
_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_ESCAPES.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
_ESCAPES.update({0x2028: "\\u2028", 0x2029: "\\u2029"})
# orjson escapes the C0 controls; JSON allows DEL, the C1 controls and the Unicode line
# breaks raw, which terminals and line-splitting readers do not take as plain text.
_JSON_ESCAPES = {code: f"\\u{code:04x}" for code in (0x7F, *range(0x80, 0xA0), 0x2028, 0x2029)}
CONTINUATION = "  | "


def escape_controls(text: str) -> str:
    """`text` with every control character and line break written as an escape (`\\n`)."""
    return text.translate(_ESCAPES)


CONSOLE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"
# With tracing on (app/core/tracing.py), records also carry `trace_id` and `span_id`.
CONSOLE_FORMAT_WITH_TRACE = (
    "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s trace=%(trace_id)s] %(message)s"
)


class ConsoleFormatter(logging.Formatter):
    """`CONSOLE_FORMAT` (or the one with trace ids), one line a record, every value escaped; a
    traceback follows on lines of its own, each behind `CONTINUATION` (and escaped too)."""

    def __init__(self, fmt: str = CONSOLE_FORMAT) -> None:
        super().__init__(fmt)
        self.console_format = fmt

    def format(self, record: logging.LogRecord) -> str:
        # Unlike logging.Formatter.format, nothing is cached on the record: other handlers
        # (pytest's, an operator's) see it as it was.
        values = {
            key: escape_controls(value) if isinstance(value, str) else value
            for key, value in vars(record).items()
        }
        values["message"] = escape_controls(record.getMessage())
        values["asctime"] = self.formatTime(record, self.datefmt)
        text = self.console_format % values
        if record.exc_info:
            text += self._continued(self.formatException(record.exc_info))
        elif record.exc_text:
            text += self._continued(record.exc_text)
        if record.stack_info:
            text += self._continued(self.formatStack(record.stack_info))
        return text

    @staticmethod
    def _continued(block: str) -> str:
        return "".join(f"\n{CONTINUATION}{escape_controls(line)}" for line in block.splitlines())


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
        return orjson.dumps(entry, default=str).decode().translate(_JSON_ESCAPES)


def configure_logging(level: str, fmt: str) -> None:
    logging.setLogRecordFactory(_record_with_request_id)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
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
            handler.setFormatter(ConsoleFormatter(CONSOLE_FORMAT_WITH_TRACE))
