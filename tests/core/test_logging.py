from __future__ import annotations

import json
import logging

import pytest

from app.core.logging import JsonFormatter, configure_logging, request_id_var


def test_json_format_writes_one_object_a_line_with_request_id() -> None:
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
