"""WebSocket fan-out benchmark: messages/s with N connected clients (127.0.0.1 only, bounded).

Modes:
  one    one uvicorn process, the in-process broker
  redis  two uvicorn processes sharing Redis (clients split between them; the sender is on
         the first, so every message also crosses Redis to the second)

One client sends `--messages` messages as fast as it can, with at most 256 in flight; every
client (the sender too) receives every message. The figures are messages/s through the
system (each delivered to all clients) and deliveries/s (messages x clients). The bench's own
client, a single asyncio process reading all sockets on the same machine, competes for the
CPU and can be the bottleneck: the figures are lower bounds.

    .venv/bin/python bench/ws_fanout.py --mode both --clients 100 --messages 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_SECONDS = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(workdir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    log = (workdir / f"uvicorn-{port}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--app-dir",
            str(ROOT),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--no-proxy-headers",
            "--log-level",
            "warning",
        ],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited: see {log.name}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process, port
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError("uvicorn did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# At most this many messages in flight (sent, not yet back at the sender): well under the
# server's per-client queue (1,024), so the bench measures sustained throughput instead of
# flooding the queues until the server drops a reader as too slow.
WINDOW = 256


class Progress:
    def __init__(self) -> None:
        self.received = 0
        self.changed = asyncio.Event()


async def read_until(
    ws: ClientConnection, prefix: str, count: int, progress: Progress | None = None
) -> None:
    got = 0
    while got < count:
        message = await ws.recv()
        if isinstance(message, str) and message.startswith(prefix):
            got += 1
            if progress is not None:
                progress.received = got
                progress.changed.set()


async def run(ports: list[int], clients: int, messages: int, size: int) -> float:
    """Seconds from the first send until every client has every message."""
    sockets: list[ClientConnection] = []
    try:
        for index in range(clients):
            port = ports[index % len(ports)]
            sockets.append(
                await connect(
                    f"ws://127.0.0.1:{port}/ws/bench{index}", compression=None, max_queue=None
                )
            )
        await asyncio.sleep(0.5)  # let the join traffic settle
        sender = sockets[0]
        prefix = "Client bench0: "
        payload = "m" * size
        async with asyncio.timeout(RUN_TIMEOUT_SECONDS):
            start = time.perf_counter()
            progress = Progress()
            readers = [asyncio.create_task(read_until(sender, prefix, messages, progress))]
            readers += [asyncio.create_task(read_until(ws, prefix, messages)) for ws in sockets[1:]]
            for sent in range(messages):
                while sent - progress.received >= WINDOW:
                    progress.changed.clear()
                    await progress.changed.wait()
                await sender.send(payload)
            await asyncio.gather(*readers)
            return time.perf_counter() - start
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


async def bench(mode: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "RATE_"))},
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "DATA_DIR": str(workdir / "data"),
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_ENABLED": "false",
            # The sender sends as fast as the window allows: fan-out capacity, not the
            # per-client inbound pace (WS_MESSAGES_PER_SECOND, 20 by default), is measured.
            "WS_MESSAGES_PER_SECOND": "1e9",
        }
        if mode == "redis":
            env["REDIS_URL"] = args.redis_url
            redis = Redis.from_url(args.redis_url, socket_connect_timeout=2)
            try:
                await redis.ping()
            except (RedisError, OSError) as exc:
                print(f"2 processes over Redis   skipped: no Redis at {args.redis_url} ({exc!r})")
                return
            finally:
                await redis.aclose()
        processes = []
        try:
            for _ in range(2 if mode == "redis" else 1):
                processes.append(start_server(workdir, env))  # one after the other: migrations
            ports = [port for _, port in processes]
            seconds = await run(ports, args.clients, args.messages, args.size)
        finally:
            for process, _ in processes:
                stop(process)
    label = "1 process, in-memory" if mode == "one" else "2 processes over Redis"
    print(
        f"{label:<24} {args.clients} clients, {args.messages} messages of {args.size} B: "
        f"{seconds:.2f} s, {args.messages / seconds:,.0f} messages/s, "
        f"{args.messages * args.clients / seconds:,.0f} deliveries/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["one", "redis", "both"], default="both")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", type=int, default=100, help="payload bytes")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        help="Redis for --mode redis (pub/sub only; nothing is stored)",
    )
    args = parser.parse_args()
    if not (1 <= args.clients <= 1000 and 1 <= args.messages <= 100_000):
        parser.error("--clients 1..1000, --messages 1..100000")
    for mode in ["one", "redis"] if args.mode == "both" else [args.mode]:
        asyncio.run(bench(mode, args))


if __name__ == "__main__":
    main()
