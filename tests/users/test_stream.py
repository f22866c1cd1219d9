"""GET /users/stream: every user from a server-side cursor, as a JSON array or NDJSON."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from app.db.base import new_id
from app.users import stream
from app.users.models import User
from tests.assertions import assert_error

URL = "/api/v1/users/stream"
NDJSON = "application/x-ndjson"


async def insert_users(session, count: int, prefix: str = "bulk") -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = [
        {
            "id": new_id(),
            "username": f"{prefix}{i:05d}",
            "email": f"{prefix}{i:05d}@example.com",
            "hashed_password": "x",
            "full_name": None,
            "is_active": True,
            "is_superuser": False,
            "permissions": [],
            "created_at": start + timedelta(seconds=i),
            "updated_at": start + timedelta(seconds=i),
        }
        for i in range(count)
    ]
    await session.execute(insert(User).values(rows))
    await session.commit()


async def test_streams_every_user_as_a_json_array(client, session, superuser_headers) -> None:
    await insert_users(session, 25)
    response = await client.get(URL, headers=superuser_headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    users = response.json()
    assert len(users) == 26  # and the superuser
    assert set(users[0]) == {
        "id",
        "username",
        "email",
        "full_name",
        "is_active",
        "is_superuser",
        "is_verified",
        "permissions",
        "mfa_enabled",
        "created_at",
        "updated_at",
    }
    assert "hashed_password" not in response.text


async def test_streams_newest_first(client, session, superuser_headers) -> None:
    await insert_users(session, 3)
    names = [u["username"] for u in (await client.get(URL, headers=superuser_headers)).json()]
    assert names == ["root", "bulk00002", "bulk00001", "bulk00000"]


async def test_streams_ndjson_when_asked(client, session, superuser_headers) -> None:
    await insert_users(session, 5)
    response = await client.get(URL, headers={**superuser_headers, "Accept": NDJSON})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(NDJSON)
    lines = response.text.splitlines()
    assert len(lines) == 6
    assert response.text.endswith("\n")
    assert all(json.loads(line)["username"] for line in lines)


async def test_array_spans_several_batches_correctly(
    client, session, superuser_headers, monkeypatch
) -> None:
    monkeypatch.setattr(stream, "STREAM_BATCH", 7)
    await insert_users(session, 30)
    users = (await client.get(URL, headers=superuser_headers)).json()
    assert len(users) == 31
    assert len({u["id"] for u in users}) == 31


async def test_body_is_sent_in_chunks_as_rows_arrive(
    app, state, session, superuser_headers, monkeypatch
) -> None:
    """Driven as raw ASGI: one body message per batch, not one buffered body."""
    monkeypatch.setattr(stream, "STREAM_BATCH", 10)
    await insert_users(session, 45)
    messages: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": URL,
        "raw_path": URL.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"test"),
            (b"authorization", superuser_headers["Authorization"].encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
        "state": state.lifespan_state(),
    }

    finished = asyncio.Event()
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()  # the client stays connected until the body is complete
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    bodies = [m for m in messages if m["type"] == "http.response.body" and m.get("body")]
    assert len(bodies) >= 5  # "[", then 46 users in batches of 10, then "]"
    users = json.loads(b"".join(m["body"] for m in bodies))
    assert len(users) == 46


async def test_reads_with_one_query_whatever_the_row_count(
    client, session, superuser_headers, count_statements, monkeypatch
) -> None:
    monkeypatch.setattr(stream, "STREAM_BATCH", 10)

    async def statements() -> int:
        count_statements.reset()
        assert (await client.get(URL, headers=superuser_headers)).status_code == 200
        return count_statements.count

    await insert_users(session, 5, "few")
    few = await statements()
    await insert_users(session, 95, "many")
    assert await statements() == few


async def test_requires_a_superuser(client, user_headers) -> None:
    response = await client.get(URL, headers=user_headers)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


async def test_requires_a_signed_in_caller(client) -> None:
    assert_error(await client.get(URL), 401, "not_authenticated")


@pytest.mark.parametrize("media_type", ["application/json", NDJSON])
async def test_openapi_documents_both_media_types(client, media_type: str) -> None:
    operation = (await client.get("/openapi.json")).json()["paths"][URL]["get"]
    assert media_type in operation["responses"]["200"]["content"]
    assert "403" in operation["responses"]
