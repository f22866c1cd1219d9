"""docs/api.md, Conventions: HEAD is answered wherever GET is (same status and headers, no
body), and a 405 lists HEAD wherever it lists GET. The OpenAPI schema stays as it is (GET
operations only): HEAD is answered below the routes, not declared for each."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.assertions import assert_error
from tests.servers import Server, server_env, start_server

# Headers that differ between any two responses.
PER_RESPONSE = {"x-request-id", "x-process-time", "date"}
# GET routes the schema does not show.
UNLISTED_GET_PATHS = ["/docs", "/redoc", "/openapi.json", "/metrics"]
# Bodies that change from one request to the next (counters), and so their length.
CHANGING_BODIES = {"/metrics"}


def get_paths(app: FastAPI) -> list[str]:
    """Every GET path of the schema (an id in it made up: a 404, or a 422 for a bad id) and
    the GET routes the schema leaves out."""
    paths = [
        re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        for path, operations in app.openapi()["paths"].items()
        if "get" in operations
    ]
    return paths + UNLISTED_GET_PATHS


def comparable(response: httpx.Response, path: str) -> dict[str, str]:
    varying = PER_RESPONSE | ({"content-length"} if path in CHANGING_BODIES else set())
    return {k: v for k, v in response.headers.items() if k.lower() not in varying}


async def assert_head_mirrors_get(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> httpx.Response:
    got = await client.get(path, headers=headers)
    head = await client.head(path, headers=headers)
    assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
    assert comparable(head, path) == comparable(got, path), path
    assert head.content == b"", path
    return got


async def test_head_answers_every_get_route_as_get_does(
    client: httpx.AsyncClient, app: FastAPI, superuser_headers: dict[str, str]
) -> None:
    for path in get_paths(app):
        await assert_head_mirrors_get(client, path, superuser_headers)


@pytest.mark.parametrize("signed_in", [True, False])
async def test_head_of_a_resource_that_exists_is_200_with_its_length(
    client: httpx.AsyncClient,
    user_headers: dict[str, str],
    team_factory: Callable[..., Awaitable[Any]],
    signed_in: bool,
) -> None:
    team = await team_factory()
    headers = user_headers if signed_in else {}

    got = await assert_head_mirrors_get(client, f"/api/v1/teams/{team.id}", headers)

    assert got.status_code == 200
    assert got.headers["content-length"] == str(len(got.content))


async def test_head_of_the_user_stream_sends_no_body(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.head("/api/v1/users/stream", headers=superuser_headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.content == b""


async def test_head_where_there_is_no_get_is_405(client: httpx.AsyncClient) -> None:
    response = await client.head("/api/v1/auth/login")

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.content == b""


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/v1/posts", "GET, HEAD, POST"),
        ("POST", "/api/v1/users/me/profile", "GET, HEAD, PUT"),
        ("DELETE", "/health", "GET, HEAD"),
        ("POST", "/docs", "GET, HEAD"),
    ],
)
async def test_a_405_lists_head_wherever_it_lists_get(
    client: httpx.AsyncClient, user_headers: dict[str, str], method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path, headers=user_headers)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == allow


def test_the_schema_declares_no_head_operation(app: FastAPI) -> None:
    methods = {method for operations in app.openapi()["paths"].values() for method in operations}
    assert "head" not in methods
    assert "get" in methods


def test_uvicorn_serves_head_without_a_body_on_a_reused_connection(
    tmp_path: Path,
    servers: list[Server],
) -> None:
    """Through a real server: the HEAD's headers announce the GET's length, no body follows,
    and the same connection serves the next request (the framing stayed right)."""
    server = start_server(tmp_path, server_env(tmp_path))
    servers.append(server)
    with httpx.Client(base_url=server.http_url) as http:
        got = http.get("/api/v1/teams")
        head = http.head("/api/v1/teams")
        again = http.get("/api/v1/teams")

    assert head.status_code == got.status_code == again.status_code == 200
    assert head.headers["content-length"] == str(len(got.content))
    assert head.content == b""
    assert again.json() == got.json()
