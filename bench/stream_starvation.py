"""Benchmark: streams whose clients stop reading must not starve the other requests.

Workload (PostgreSQL only: BENCH_DATABASE_URL or TEST_DATABASE_URL names the server; a fresh
database is created and dropped): a uvicorn process (one worker, 127.0.0.1) with
DB_POOL_SIZE=10 and DB_POOL_TIMEOUT=2 serves a table of USERS users (default 20,000, about
5 MB of JSON). CLIENTS raw sockets (default 10), one after the other, each with a 4 KiB
receive buffer, send `GET /api/v1/users/stream` and never read. After each one, a reading
client asks `GET /api/v1/users/me` and `GET /health/ready`: reported are their statuses and
times, what the stuck client got (a status line, if any), and how many PostgreSQL sessions of
the app are "idle in transaction". Then a reading client asks for one more stream (its status,
and whether the body it got is complete JSON), and, when STREAM_SEND_TIMEOUT (set to 5 s
here) has passed, whether the stuck streams gave their connections back. The whole run is bounded by
BENCH_TIMEOUT_SECONDS (default 300).

Run: `.venv/bin/python bench/stream_starvation.py` (APP_DIR=/path/to/checkout measures another
checkout's app with this environment; USERS, CLIENTS to change the workload).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stream_users import ADMIN, fresh_database, server  # noqa: E402

USERS = int(os.environ.get("USERS", "20000"))
CLIENTS = int(os.environ.get("CLIENTS", "10"))
APP_DIR = os.environ.get("APP_DIR")
DEADLINE = time.monotonic() + float(os.environ.get("BENCH_TIMEOUT_SECONDS", "300"))
SEND_TIMEOUT = 5.0
SERVER_SETTINGS = {
    "DB_POOL_SIZE": "10",
    "DB_POOL_TIMEOUT": "2",
    "STREAM_SEND_TIMEOUT": str(SEND_TIMEOUT),
}


def remaining() -> float:
    left = DEADLINE - time.monotonic()
    if left <= 0:
        raise TimeoutError("benchmark time limit reached")
    return left


async def fill(database_url: str, count: int) -> None:
    engine = create_async_engine(database_url)
    first = datetime(2024, 1, 1, tzinfo=UTC)
    rows: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "username": f"user{i:07d}",
            "email": f"user{i:07d}@example.com",
            "hashed_password": "not-a-hash",
            "full_name": f"User Number {i}",
            "is_active": True,
            "is_superuser": False,
            "permissions": [],
            "created_at": first + timedelta(seconds=i),
            "updated_at": first + timedelta(seconds=i),
        }
        for i in range(count)
    ]
    try:
        async with engine.begin() as conn:
            from app.users.models import User

            for start in range(0, count, 5000):
                await conn.execute(insert(User), rows[start : start + 5000])
    finally:
        await engine.dispose()


def stuck_client(port: int, token: str) -> socket.socket:
    """Send the stream request and never read: a 4 KiB receive window, soon full."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        (
            "GET /api/v1/users/stream HTTP/1.1\r\nHost: bench\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    return sock


def status_line(sock: socket.socket) -> str:
    """What the stuck client was sent first (peeked, so its window stays full)."""
    try:
        head = sock.recv(64, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return "(nothing yet)"
    return head.split(b"\r\n", 1)[0].decode(errors="replace") or "(closed)"


async def idle_in_transaction(admin: AsyncEngine, database: str) -> int:
    async with admin.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :db "
                "AND application_name = 'agora' AND state = 'idle in transaction'"
            ),
            {"db": database},
        )
        return int(result.scalar_one())


async def probe(http: httpx.AsyncClient, path: str, headers: dict[str, str]) -> str:
    started = time.perf_counter()
    try:
        response = await http.get(path, headers=headers)
        outcome = str(response.status_code)
    except httpx.HTTPError as exc:
        outcome = type(exc).__name__
    return f"{outcome} in {time.perf_counter() - started:.2f}s"


async def read_stream(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    started = time.perf_counter()
    body = b""
    status = 0
    try:
        async with http.stream("GET", "/api/v1/users/stream", headers=headers) as response:
            status = response.status_code
            async for chunk in response.aiter_bytes():
                body += chunk
        error = ""
    except httpx.HTTPError as exc:
        error = f", then {type(exc).__name__}"
    try:
        json.loads(body)
        complete = "complete JSON"
    except ValueError:
        complete = f"cut off after {body[:20]!r}"
    took = time.perf_counter() - started
    return f"{status} in {took:.2f}s, {len(body):,} bytes, {complete}{error}"


async def main() -> int:
    print(__doc__.split("\n\nRun:")[0], flush=True)
    base_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base_url or make_url(base_url).get_backend_name() != "postgresql":
        print("\nskipped: needs PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL)")
        return 0
    if APP_DIR:
        print(f"\napp: {APP_DIR}", flush=True)
    os.environ.update(SERVER_SETTINGS)
    admin = create_async_engine(
        make_url(base_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    sockets: list[socket.socket] = []
    first_failure: int | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="agora-bench-") as tmp_name:
            tmp = Path(tmp_name)
            async with (
                fresh_database(base_url, tmp, "starve") as database_url,
                server(database_url, tmp, app_dir=APP_DIR) as (_pid, base),
            ):
                database = make_url(database_url).database or ""
                await fill(database_url, USERS)
                port = int(base.rsplit(":", 1)[1])
                async with httpx.AsyncClient(base_url=base, timeout=remaining()) as http:
                    login = await http.post(
                        "/api/v1/auth/login", data={"username": ADMIN[0], "password": ADMIN[2]}
                    )
                    login.raise_for_status()
                    token = login.json()["access_token"]
                    headers = {"Authorization": f"Bearer {token}"}
                    print(f"\n{USERS:,} users; DB_POOL_SIZE=10, DB_POOL_TIMEOUT=2", flush=True)
                    for k in range(1, CLIENTS + 1):
                        remaining()
                        sockets.append(stuck_client(port, token))
                        await asyncio.sleep(1.0)  # the stream runs until the window is full
                        me = await probe(http, "/api/v1/users/me", headers)
                        ready = await probe(http, "/health/ready", {})
                        stuck = await idle_in_transaction(admin, database)
                        print(
                            f"  {k:2} non-reading: /users/me {me:14}  /health/ready {ready:14}"
                            f"  client {k} got {status_line(sockets[-1])!r:28}"
                            f"  idle in transaction: {stuck}",
                            flush=True,
                        )
                        if first_failure is None and not me.startswith("200"):
                            first_failure = k
                    print(f"  one more stream, read: {await read_stream(http, headers)}")
                    await asyncio.sleep(SEND_TIMEOUT + 1.0)
                    me = await probe(http, "/api/v1/users/me", headers)
                    stuck = await idle_in_transaction(admin, database)
                    print(
                        f"  {SEND_TIMEOUT + 1:.0f}s later: /users/me {me}; "
                        f"idle in transaction: {stuck}",
                        flush=True,
                    )
    finally:
        for sock in sockets:
            sock.close()
        await admin.dispose()
    verdict = (
        f"other requests failed from {first_failure} non-reading clients on"
        if first_failure
        else f"other requests were served with {CLIENTS} non-reading clients"
    )
    print(f"  -> {verdict}", flush=True)
    return 1 if first_failure else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
