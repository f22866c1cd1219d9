"""GET /users/stream cannot take the service down (issue 13, class 3).

Streams read through a small pool of their own (DB_STREAM_POOL_SIZE), take their connection
before the response starts (so a stream that cannot have one is a clean 503), and give it
back when a client takes no data for STREAM_SEND_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from app.db.base import new_id
from app.db.sqlite import register_functions
from app.main import create_app
from app.users import stream
from app.users.models import User
from tests.servers import Server, server_env, start_server
from tests.support import Running, running

URL = "/api/v1/users/stream"
STALL_SECONDS = 5.0
ADMIN_PASSWORD = "admin-password-1"


@asynccontextmanager
async def app_with(
    make_settings: Callable[..., Settings], **overrides: Any
) -> AsyncIterator[Running]:
    async with running(create_app(make_settings(**overrides))) as served:
        yield served


def raw_request(headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": URL,
        "raw_path": URL.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
    }


# --- in process, on both backends ------------------------------------------------------------


async def test_a_stream_that_cannot_have_a_connection_answers_503_before_any_byte(
    make_settings, superuser_headers
) -> None:
    limits = {"DB_STREAM_POOL_SIZE": 1, "DB_STREAM_POOL_TIMEOUT": 0.2}
    async with app_with(make_settings, **limits) as app:
        held = app.state.db.stream_engine.connect()  # the stream pool's only connection
        async with held:
            response = await app.client.get(URL, headers=superuser_headers)
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert int(response.headers["retry-after"]) > 0


async def test_a_streamed_response_gives_its_connection_back(
    make_settings, superuser_headers
) -> None:
    async with app_with(make_settings, DB_STREAM_POOL_SIZE=1) as app:
        for accept in ("application/json", stream.NDJSON):
            headers = {**superuser_headers, "Accept": accept}
            assert (await app.client.get(URL, headers=headers)).status_code == 200
            assert app.state.db.stream_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_streams_do_not_use_the_connections_of_other_requests(
    make_settings, superuser_headers
) -> None:
    async with app_with(make_settings, DB_STREAM_POOL_SIZE=1) as app:
        assert app.state.db.stream_engine is not app.state.db.engine
        async with app.state.db.stream_engine.connect():
            response = await app.client.get("/api/v1/users/me", headers=superuser_headers)
    assert response.status_code == 200


async def test_a_client_that_takes_no_data_is_dropped_after_the_send_timeout(
    make_settings, session, superuser_headers, monkeypatch
) -> None:
    """Driven as raw ASGI: the client takes "[" and the first batch, then nothing more."""
    monkeypatch.setattr(stream, "STREAM_BATCH", 10)
    await insert_users(session.bind.url.render_as_string(hide_password=False), 45)
    async with app_with(make_settings, STREAM_SEND_TIMEOUT=0.3) as app:
        messages: list[dict[str, Any]] = []
        never = asyncio.Event()
        requested: list[bool] = []

        async def receive() -> dict[str, Any]:
            if not requested:
                requested.append(True)
                return {"type": "http.request", "body": b"", "more_body": False}
            await never.wait()  # connected, never disconnects
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)
            if sum(1 for m in messages if m["type"] == "http.response.body") == 3:
                await asyncio.sleep(STALL_SECONDS)  # stops reading, for longer than the timeout

        scope = {**raw_request(superuser_headers), "state": app.state.lifespan_state()}
        started = time.monotonic()
        await asyncio.wait_for(app.app(scope, receive, send), timeout=30)
        took = time.monotonic() - started
        assert messages[0]["status"] == 200
        assert not any(m.get("more_body") is False for m in messages[1:]), "never finished"
        assert took < STALL_SECONDS
        assert app.state.db.stream_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


# --- a real server and clients that stop reading (PostgreSQL) ---------------------------------

# About 6 MB of JSON: more than a loopback socket's buffers take in (the kernel's send buffer
# grows up to 4 MiB, net.ipv4.tcp_wmem), so a stream whose client stops reading stalls.
STREAMED_USERS = 20_000


async def insert_users(database_url: str, count: int, admin_hash: str | None = None) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows: list[dict[str, Any]] = [
        {
            "id": new_id(),
            "username": f"bulk{i:05d}",
            "email": f"bulk{i:05d}@example.com",
            "hashed_password": "x",
            "full_name": f"User number {i} of the table, with a name of some length",
            "is_active": True,
            "is_superuser": False,
            "permissions": [],
            "created_at": start + timedelta(seconds=i),
            "updated_at": start + timedelta(seconds=i),
        }
        for i in range(count)
    ]
    if admin_hash is not None:
        rows.append({**rows[0], "id": new_id(), "username": "admin", "email": "admin@example.com"})
        rows[-1].update(hashed_password=admin_hash, is_superuser=True)
    engine = create_async_engine(database_url)
    if engine.dialect.name == "sqlite":
        register_functions(engine)  # fold_case, which the username index uses
    try:
        async with engine.begin() as conn:
            for begin in range(0, len(rows), 1000):
                await conn.execute(insert(User).values(rows[begin : begin + 1000]))
    finally:
        await engine.dispose()


class NonReadingClient:
    """Sends the stream request and never reads (a 4 KiB receive window, soon full)."""

    def __init__(self, port: int, token: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        request = f"GET {URL} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\r\n"
        self.sock.sendall(request.encode())

    def status_line(self) -> bytes:
        """What it was sent first, peeked (its window stays full); b"" while nothing came."""
        try:
            head = self.sock.recv(64, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return b""
        return head.split(b"\r\n", 1)[0]

    def close(self) -> None:
        self.sock.close()


async def stalled_streams(database_url: str, *, deadline: float) -> int:
    """The app's sessions left "idle in transaction" (a stream waiting on its client), once
    their number has stopped changing for a second (or at the deadline)."""
    url = make_url(database_url)
    conn = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, database="postgres"
    )
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
        " AND application_name = 'agora' AND state = 'idle in transaction'"
    )
    try:
        counts = [-1]
        while time.monotonic() < deadline:
            counts.append(await conn.fetchval(query, url.database))
            if len(counts) > 10 and len(set(counts[-10:])) == 1:
                break
            await asyncio.sleep(0.1)
        return counts[-1]
    finally:
        await conn.close()


@pytest.fixture
def postgres_url(database_url: str, app) -> str:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("DB_POOL_SIZE sizes the PostgreSQL pool only (SQLite's is the driver's)")
    return database_url


@pytest.mark.timeout(120)
async def test_clients_that_stop_reading_streams_leave_other_requests_served(
    postgres_url: str,
    client: httpx.AsyncClient,
    default_password_hash: str,
    tmp_path: Path,
    servers: list[Server],
) -> None:
    """More non-reading streams than the pool has connections; then an ordinary request and
    the readiness check are answered at once, not with 503 after the pool timeout."""
    pool_size, pool_timeout = 3, 2.0
    overrides = {
        "DB_POOL_SIZE": str(pool_size),
        "DB_POOL_TIMEOUT": str(pool_timeout),
        "STREAM_SEND_TIMEOUT": "60",  # the stuck streams stay stuck for the whole test
    }
    server = start_server(tmp_path, server_env(tmp_path, overrides))
    servers.append(server)
    await insert_users(postgres_url, STREAMED_USERS, admin_hash=default_password_hash)
    stuck: list[NonReadingClient] = []
    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as http:
        login = await http.post(
            "/api/v1/auth/login",
            data={"username": "admin", "password": "correct horse battery"},
        )
        token = login.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        try:
            for _ in range(pool_size + 2):
                stuck.append(NonReadingClient(server.port, token))
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if all(c.status_line() for c in stuck):
                    break
                await asyncio.sleep(0.1)
            assert all(c.status_line() for c in stuck), "every stream request was answered"
            # The streams that were let through stall, holding their connections.
            assert await stalled_streams(postgres_url, deadline=time.monotonic() + 20) > 0

            started = time.monotonic()
            me = await http.get("/api/v1/users/me", headers=headers)
            took = time.monotonic() - started
            ready = await http.get("/health/ready")
        finally:
            for c in stuck:
                c.close()
    assert me.status_code == 200, me.text
    assert took < pool_timeout
    assert ready.status_code == 200, ready.text
