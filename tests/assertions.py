"""Assertions for the contract's error answers (docs/api.md, Conventions).

An error the app raises is `{"detail": "<message>", "code": "<snake_case>"}`; a request
validation error keeps FastAPI's 422 shape, `{"detail": [{"loc", "msg", "type"}, ...]}`, with
no `code`. `assert_error` and `assert_invalid` check a response against one or the other, with
the headers the contract ties to some of them.
"""

from __future__ import annotations

from typing import Any

import httpx


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """`response` is the error `status` with `code` and a human `detail`. A 401 carries
    `WWW-Authenticate: Bearer`, a 405 `Allow`, a 429 and a 503 `database_unavailable` a
    `Retry-After` in whole seconds. Returns the body, for checks of the detail."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body.get("code") == code, body
    assert isinstance(body.get("detail"), str), body
    assert body["detail"], body
    if status == 401:
        assert response.headers.get("WWW-Authenticate") == "Bearer"
    if status == 405:
        assert response.headers.get("Allow")
    if status == 429 or code == "database_unavailable":
        assert response.headers.get("Retry-After", "").isdigit(), response.headers
    return body


def assert_invalid(response: httpx.Response, *fields: str | int) -> list[dict[str, Any]]:
    """`response` is a request validation error: 422, FastAPI's shape, no `code`, and each of
    `fields` named in the `loc` of one of the errors (`"title"` for `["body", "title"]`,
    `"limit"` for `["query", "limit"]`). Returns the errors."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert "code" not in body, body
    errors: list[dict[str, Any]] = body["detail"]
    assert isinstance(errors, list), body
    assert errors, body
    for error in errors:
        assert {"loc", "msg", "type"} <= error.keys(), error
    named = {part for error in errors for part in error["loc"]}
    missing = [name for name in fields if name not in named]
    assert not missing, f"no error names {missing}: {errors}"
    return errors


def assert_not_ready(response: httpx.Response, *failing: str) -> dict[str, Any]:
    """`/health/ready` refusing: 503 `{"status": "unavailable", "detail", "checks"}` (the
    contract's readiness shape, not an error `code`), each of `failing` an `"error"` check that
    the detail names. Returns the body."""
    assert response.status_code == 503, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "unavailable", body
    for name in failing:
        assert body["checks"][name] == "error", body
        assert name in body["detail"], body
    return body
