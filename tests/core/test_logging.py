from __future__ import annotations

import json
import logging

import httpx
import pytest

from app.core.logging import JsonFormatter, configure_logging, request_id_var, show_trace_ids


def test_json_format_writes_one_object_a_line_with_request_id() -> None:
    configure_logging("WARNING", "console")  # installs the record factory that stamps the id
    token = request_id_var.set("req-7")
    try:
        record = logging.getLogger("app.test").makeRecord(
            "app.test",
            logging.INFO,
            __file__,
            1,
            "hello %s",
            ("world",),
            None,
            extra={"status": 201},
        )
    finally:
        request_id_var.reset(token)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "hello world"
    assert entry["request_id"] == "req-7"
    assert entry["status"] == 201
    assert entry["level"] == "INFO"


def test_access_line_has_method_path_status_duration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    try:
        logging.getLogger("app.access").info(
            "GET / 200 1.0ms",
            extra={"method": "GET", "path": "/", "status": 200, "duration_ms": 1.0},
        )
        entry = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/", 200)
        assert "duration_ms" in entry
    finally:
        configure_logging("WARNING", "console")


# What a client can put in a logged value to start a line of its own, rewrite one, or drive
# the terminal: newlines, carriage returns, escape sequences, Unicode line separators.
FORGERIES = [
    "\n",
    "\r",
    "\r\n",
    "\x1b[2J",
    "\x1b]0;pwned\x07",
    "\u2028",
    "\u2029",
    "\x85",
    "\x0b",
    "\x9b2J",
]
FORGED = "2030-01-01 00:00:00,000 INFO    app.access [-] GET / 200 0.1ms"


def formatted(fmt: str, message: str, *args: object, exc: BaseException | None = None) -> str:
    configure_logging("INFO", fmt)
    try:
        handler = next(h for h in logging.getLogger().handlers if getattr(h, "_agora", False))
        exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
        record = logging.getLogger("app.test").makeRecord(
            "app.test", logging.INFO, __file__, 1, message, args, exc_info
        )
        assert handler.formatter is not None
        return handler.formatter.format(record)
    finally:
        configure_logging("WARNING", "console")


@pytest.mark.parametrize("control", FORGERIES)
@pytest.mark.parametrize("fmt", ["console", "json"])
def test_a_logged_value_cannot_start_or_rewrite_a_line(fmt: str, control: str) -> None:
    line = formatted(fmt, "GET %s 404", f"/x{control}{FORGED}")

    assert len(line.splitlines()) == 1, line
    assert control not in line
    assert "\x1b" not in line
    assert "\x07" not in line


def test_the_console_format_shows_the_escaped_characters() -> None:
    line = formatted("console", "path=%s", "/a\nb\r\x1b[31mc\u2028")

    assert line.endswith("path=/a\\nb\\r\\x1b[31mc\\u2028")


def test_a_forged_line_in_an_exception_message_stays_inside_its_record() -> None:
    try:
        raise ValueError(f"boom\n{FORGED}\x1b[2J")
    except ValueError as error:
        text = formatted("console", "failed", exc=error)

    first, *rest = text.splitlines()
    assert first.endswith("failed")
    assert rest
    assert all(line.startswith("  | ") for line in rest), rest
    assert "\x1b" not in text


async def test_a_newline_in_a_path_does_not_forge_an_access_line(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "console")
    try:
        await client.get("/api/v1/nothing%0A" + FORGED.replace(" ", "%20"))
        lines = capsys.readouterr().out.splitlines()
    finally:
        configure_logging("WARNING", "console")

    access = [line for line in lines if " app.access " in line]
    assert len(access) == 1, lines
    assert "/api/v1/nothing\\n2030-01-01" in access[0]


def test_the_console_format_with_trace_ids_escapes_values_too() -> None:
    configure_logging("INFO", "console")
    try:
        show_trace_ids()
        handler = next(h for h in logging.getLogger().handlers if getattr(h, "_agora", False))
        record = logging.getLogger("app.test").makeRecord(
            "app.test", logging.INFO, __file__, 1, "GET %s", (f"/x\n{FORGED}",), None
        )
        record.trace_id = "0af7651916cd43dd8448eb211c80319c"
        assert handler.formatter is not None
        line = handler.formatter.format(record)
    finally:
        configure_logging("WARNING", "console")

    assert len(line.splitlines()) == 1, line
    assert "trace=0af7651916cd43dd8448eb211c80319c] GET /x\\n2030" in line
