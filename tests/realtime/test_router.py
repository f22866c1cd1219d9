"""`/ws/{client_id}` against a real uvicorn, with the `websockets` client library."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import ClientConnection, connect

from app.realtime.manager import DEFAULT_SEND_TIMEOUT_SECONDS
from tests.realtime.helpers import close_code, next_about
from tests.servers import Server, server_env, start_server

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp_path = tmp_path_factory.mktemp("ws-server")
    running = start_server(tmp_path, server_env(tmp_path))
    yield running
    running.stop()


def new_id(prefix: str = "c") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def url(server: Server, client_id: str) -> str:
    return f"{server.ws_url}/ws/{client_id}"


async def test_broadcast_reaches_everyone_including_the_sender(server: Server) -> None:
    a, b, c = new_id("a"), new_id("b"), new_id("c")
    async with (
        connect(url(server, a)) as ws_a,
        connect(url(server, b)) as ws_b,
        connect(url(server, c)) as ws_c,
    ):
        await ws_a.send("hello, world")
        for ws in (ws_a, ws_b, ws_c):
            assert await next_about(ws, [a]) == f"Client {a}: hello, world"
        await ws_b.send("ünïcödé ✓")
        for ws in (ws_a, ws_b, ws_c):
            assert await next_about(ws, [b]) == f"Client {b}: ünïcödé ✓"


async def test_leave_message_goes_to_the_others(server: Server) -> None:
    stay, leave = new_id("stay"), new_id("leave")
    async with connect(url(server, stay)) as ws_stay:
        async with connect(url(server, leave)) as ws_leave:
            await ws_leave.send("bye")
            assert await next_about(ws_stay, [leave]) == f"Client {leave}: bye"
        assert await next_about(ws_stay, [leave]) == f"Client {leave} left"


@pytest.mark.parametrize(
    "client_id",
    ["bad%20id", "x" * 65, "caf%C3%A9", "semi%3Bcolon", "dot.ted"],
)
async def test_invalid_client_id_is_closed_with_1008(server: Server, client_id: str) -> None:
    async with connect(url(server, client_id)) as ws:  # accepted, then closed
        assert await close_code(ws) == 1008


async def test_valid_client_id_edges_are_accepted(server: Server) -> None:
    for client_id in ["x", "A-z_0-9", "y" * 64]:
        async with connect(url(server, client_id)) as ws:
            await ws.send("ping")
            assert await next_about(ws, [client_id]) == f"Client {client_id}: ping"


async def test_65536_bytes_are_delivered_and_more_closes_with_1009(server: Server) -> None:
    sender, watcher = new_id("big"), new_id("watch")
    exactly = "é" * 32768  # 65,536 bytes of UTF-8 in 32,768 characters
    async with connect(url(server, watcher)) as ws_watch, connect(url(server, sender)) as ws:
        await ws.send(exactly)
        assert await next_about(ws_watch, [sender]) == f"Client {sender}: {exactly}"
        await ws.send("a" * 65537)
        assert await close_code(ws) == 1009
        assert await next_about(ws_watch, [sender]) == f"Client {sender} left"


async def _read_n(ws: ClientConnection, prefix: str, count: int) -> float:
    got = 0
    async with asyncio.timeout(30):
        while got < count:
            message = await ws.recv()
            if isinstance(message, str) and message.startswith(prefix):
                got += 1
    return time.perf_counter()


async def _broadcast_run(server: Server, readers: list[ClientConnection], count: int) -> float:
    """Seconds until every reader has all `count` messages of a fresh sender."""
    sender_id = new_id("burst")
    payload = "z" * 8000
    async with connect(url(server, sender_id)) as sender:
        prefix = f"Client {sender_id}: "
        start = time.perf_counter()
        readers_done = [
            asyncio.create_task(_read_n(ws, prefix, count)) for ws in [*readers, sender]
        ]
        for _ in range(count):
            await sender.send(payload)
        finished = await asyncio.gather(*readers_done)
        return max(finished) - start


@pytest.fixture(scope="module")
def unpaced_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose clients may send as fast as they like (WS_MESSAGES_PER_SECOND huge)."""
    tmp_path = tmp_path_factory.mktemp("ws-unpaced")
    running = start_server(tmp_path, server_env(tmp_path, {"WS_MESSAGES_PER_SECOND": "1e9"}))
    yield running
    running.stop()


async def test_a_client_that_never_reads_does_not_delay_the_others(unpaced_server: Server) -> None:
    server = unpaced_server
    count = 1000
    async with (
        connect(url(server, new_id("r"))) as r1,
        connect(url(server, new_id("r"))) as r2,
        connect(url(server, new_id("r"))) as r3,
    ):
        baseline = await _broadcast_run(server, [r1, r2, r3], count)
        # The slow client never calls recv(): its buffers fill and the server stalls on it.
        # A small receive buffer (no autotuning) so that the server's side fills up for real.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", server.port))
        async with connect(
            url(server, new_id("slow")), max_queue=1, sock=sock, compression=None
        ) as slow:
            with_slow = await _broadcast_run(server, [r1, r2, r3], count)
            assert with_slow - baseline < 1.0, (baseline, with_slow)
            # Still not reading past the send timeout, the server gives up on it: once it
            # reads again it finds the close (1013, try again later) after what was buffered.
            await asyncio.sleep(DEFAULT_SEND_TIMEOUT_SECONDS + 1.5)
            assert await close_code(slow, within=30) == 1013


# API.md, Settings: WS_MESSAGES_PER_SECOND defaults to 20 a connection, in bursts of twice that.
RATE = 20


async def test_a_flooder_is_slowed_and_a_prompt_reader_keeps_every_message_in_order(
    server: Server,
) -> None:
    flooder_id = new_id("flood")
    prefix = f"Client {flooder_id}: "
    received: list[int] = []
    async with connect(url(server, new_id("reader"))) as reader:

        async def read() -> None:
            async for message in reader:
                if isinstance(message, str) and message.startswith(prefix):
                    received.append(int(message.removeprefix(prefix)))

        reading = asyncio.create_task(read())
        # Its close frame waits behind what the server has not read yet: do not wait long.
        async with connect(url(server, flooder_id), close_timeout=1) as flooder:

            async def flood() -> None:
                for number in range(3000):  # as fast as the socket takes them
                    await flooder.send(str(number))

            async def drain_own_echoes() -> None:
                async for _ in flooder:
                    pass

            flooding = [asyncio.create_task(job()) for job in (flood, drain_own_echoes)]
            start = time.perf_counter()
            await asyncio.sleep(3.0)
            elapsed = time.perf_counter() - start
            count = len(received)
            reader_code, flooder_code = reader.close_code, flooder.close_code
            for task in flooding:
                task.cancel()
            await asyncio.gather(*flooding, return_exceptions=True)
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)

    assert reader_code is None  # the reader was never disconnected
    assert flooder_code is None  # the flooder is slowed down, not cut off
    assert received[:count] == list(range(count))  # in order, none lost
    # A burst of twice the rate at once, then the rate (a second of slack for timing).
    assert 2 * RATE <= count <= 2 * RATE + RATE * (elapsed + 1.0), (count, elapsed)
