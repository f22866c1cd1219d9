"""X-Request-ID, X-Process-Time and the 1 MiB body limit, on every response."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.assertions import assert_invalid

ONE_MIB = 1024 * 1024


async def test_every_response_carries_a_generated_request_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/health")
    second = await client.get("/health")
    assert first.headers["X-Request-ID"]
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_generated_request_id_is_a_random_uuid4_in_hex() -> None:
    from app.core.middleware import new_request_id

    ids = {new_request_id() for _ in range(1000)}

    assert len(ids) == 1000
    for request_id in ids:
        parsed = uuid.UUID(hex=request_id)
        assert parsed.hex == request_id
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


async def test_the_clients_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"


async def test_process_time_is_seconds_as_a_float(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    elapsed = float(response.headers["X-Process-Time"])
    assert 0 <= elapsed < 5


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/users/me"), ("POST", "/api/v1/auth/register"), ("GET", "/missing")],
)
async def test_error_responses_carry_the_headers_too(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={})
    assert response.status_code >= 400
    assert response.headers["X-Request-ID"]
    float(response.headers["X-Process-Time"])


async def test_body_over_one_mib_with_content_length_gets_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        content=b"x" * (ONE_MIB + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.headers["X-Request-ID"]


async def test_streamed_body_over_one_mib_gets_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536  # 1.25 MiB in all, no Content-Length

    response = await client.post(
        "/api/v1/auth/register", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_body_just_under_the_limit_is_read(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        content=b" " * (ONE_MIB - 10) + b"{}",
        headers={"Content-Type": "application/json"},
    )
    assert_invalid(response, "username")  # parsed, then refused for its content


async def test_headers_the_app_set_itself_are_replaced_not_doubled() -> None:
    """Where the app already wrote X-Request-ID or a Location on the request's own origin, the
    response carries one of each: ours, and the relative Location."""
    from starlette.types import Message, Receive, Scope, Send

    from app.core.middleware import RequestContextMiddleware

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"x-request-id", b"from-the-app"),
            (b"location", b"http://testserver/next?a=1"),
            (b"x-request-id", b"again"),
        ]
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {
        "type": "http", "method": "GET", "scheme": "http", "path": "/", "query_string": b"",
        "root_path": "", "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"x-request-id", b"client-id")],
    }  # fmt: skip
    await RequestContextMiddleware(app)(scope, receive, send)

    headers = sent[0]["headers"]
    assert [value for name, value in headers if name == b"x-request-id"] == [b"client-id"]
    assert [value for name, value in headers if name == b"location"] == [b"/next?a=1"]
    assert len([name for name, _ in headers if name == b"x-process-time"]) == 1
