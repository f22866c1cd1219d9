"""Graceful shutdown of `agora serve` on SIGTERM: an in-flight request finishes, WebSockets get
a 1001 close, background sends are awaited up to --graceful-timeout, and the process exits 0.

Each test starts its own server process on 127.0.0.1 (a free port, a temporary SQLite
database unless TEST_DATABASE_URL is set) and stops only that process, by its PID.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.core.shutdown import DrainOnSignal
from tests.servers import EXIT_TIMEOUT, Server, server_env, start_server


@pytest.fixture
def serve(tmp_path: Path, servers: list[Server]) -> Callable[..., Server]:
    """`agora serve *args` with these settings on top of the test defaults (INFO logs)."""

    def start(*args: str, **env_overrides: str) -> Server:
        env = server_env(tmp_path, {"LOG_LEVEL": "INFO", **env_overrides})
        server = start_server(tmp_path, env, agora_args=args)
        servers.append(server)
        return server

    return start


def registration(name: str) -> bytes:
    """A unique account (the database may be shared by several tests, on PostgreSQL)."""
    name = f"{name}_{uuid.uuid4().hex[:8]}"
    return json.dumps(
        {"username": name, "email": f"{name}@example.com", "password": "long enough password"}
    ).encode()


def start_request(port: int, body: bytes, sent: int) -> socket.socket:
    """A POST /auth/register whose body is only partly sent: the request is in flight."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=EXIT_TIMEOUT)
    head = (
        "POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock.sendall(head + body[:sent])
    return sock


def read_status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


def test_sigterm_lets_an_in_flight_request_finish_and_exits_0(serve) -> None:
    server = serve()
    body = registration("inflight")
    sock = start_request(server.port, body, sent=10)
    try:
        time.sleep(0.3)
        server.terminate()
        time.sleep(0.5)
        assert server.process.poll() is None, "the server exited with a request in flight"
        sock.sendall(body[10:])
        status = read_status(sock)
    finally:
        sock.close()

    assert status == 201
    assert server.wait_exit() == 0, server.log()


def test_sigterm_refuses_new_connections_once_the_server_is_draining(serve) -> None:
    server = serve()
    body = registration("holder")
    sock = start_request(server.port, body, sent=5)  # keeps the server in its shutdown
    try:
        time.sleep(0.3)
        server.terminate()
        time.sleep(0.5)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.http_url}/health", timeout=2)
        sock.sendall(body[5:])
        assert read_status(sock) == 201
    finally:
        sock.close()
    assert server.wait_exit() == 0


async def test_sigterm_closes_websockets_with_1001(serve) -> None:
    server = serve()
    async with connect(f"{server.ws_url}/ws/leaver", open_timeout=10) as ws:
        await ws.send("hello")
        assert await asyncio.wait_for(ws.recv(), 5) == "Client leaver: hello"
        server.terminate()
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1001
    assert await asyncio.to_thread(server.wait_exit) == 0


def stalled_smtp_server() -> socket.socket:
    """A listening socket that never greets: an SMTP send to it hangs until SMTP_TIMEOUT."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


def register_then_terminate(server: Server) -> float:
    """Register (its welcome email goes out in the background), SIGTERM at once; the time
    from the signal to the process's exit."""
    response = httpx.post(
        f"{server.http_url}/api/v1/auth/register",
        content=registration("mailed"),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 201
    signalled = time.monotonic()
    server.terminate()
    assert server.wait_exit() == 0, server.log()
    return time.monotonic() - signalled


def test_background_sends_are_awaited_before_exit(serve) -> None:
    smtp = stalled_smtp_server()
    try:
        port = str(smtp.getsockname()[1])
        server = serve(
            EMAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT="3"
        )
        elapsed = register_then_terminate(server)
    finally:
        smtp.close()

    assert elapsed >= 2.5  # it waited for the send to give up (SMTP_TIMEOUT=3)


def test_background_sends_are_awaited_at_most_graceful_timeout(serve) -> None:
    smtp = stalled_smtp_server()
    try:
        port = str(smtp.getsockname()[1])
        server = serve(
            "--graceful-timeout",
            "1",
            EMAIL_BACKEND="smtp",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=port,
            SMTP_TIMEOUT="30",
        )
        elapsed = register_then_terminate(server)
    finally:
        smtp.close()

    assert elapsed < 10  # not the 30 s the send would have taken


# --- DrainOnSignal, in this process ----------------------------------------------------------


class ServerHandler:
    """Stands in for the ASGI server's SIGTERM handler (uvicorn's `handle_exit`)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.called = asyncio.Event()

    def __call__(self, sig: int, frame: FrameType | None) -> None:
        self.calls.append("server")
        self.called.set()

    async def wait(self) -> None:
        async with asyncio.timeout(5):
            await self.called.wait()


@pytest.fixture
def server_handler() -> Iterator[ServerHandler]:
    handler = ServerHandler()
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield handler
    finally:
        signal.signal(signal.SIGTERM, previous)


async def test_drain_runs_before_the_servers_handler(server_handler) -> None:
    async def drain() -> None:
        await asyncio.sleep(0.05)
        server_handler.calls.append("drain")

    with DrainOnSignal(drain):
        os.kill(os.getpid(), signal.SIGTERM)
        await server_handler.wait()

    assert server_handler.calls == ["drain", "server"]


async def test_a_drain_that_hangs_is_cut_off_by_its_timeout(server_handler) -> None:
    async def drain() -> None:
        await asyncio.sleep(60)

    started = time.monotonic()
    with DrainOnSignal(drain, timeout=0.2):
        os.kill(os.getpid(), signal.SIGTERM)
        await server_handler.wait()

    assert server_handler.calls == ["server"]
    assert time.monotonic() - started < 5


async def test_the_servers_handler_is_restored_afterwards(server_handler) -> None:
    before = signal.getsignal(signal.SIGTERM)

    async def drain() -> None:
        return None

    with DrainOnSignal(drain):
        assert signal.getsignal(signal.SIGTERM) != before

    assert signal.getsignal(signal.SIGTERM) == before
