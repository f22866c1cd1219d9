"""CPU per request, in-process: Agora against the FastAPI floor, without HTTP or a load tool.

Workload: a fresh PostgreSQL database (BENCH_DATABASE_URL, default agora_bench_cpu on the local
server; dropped and created anew), migrated by Agora, with one user, 50 posts and a login. Each
app is driven as a bare ASGI callable (a minimal scope, receive and send: no server, no client
library), one request at a time, for REQUESTS requests per endpoint after a warm-up, in
ROUNDS alternating rounds. CPU time (`time.process_time`) per request is what the app itself
costs, which wrk's req/s mixes with the load generator and the network stack; the database's
own time is not counted (it is another process). Prints ms of CPU per request for each app
and the ratio Agora / FastAPI floor (lower is better; 1.33 is the inverse of 0.75).

Run: .venv/bin/python bench/cpu_per_request.py [--profile ENDPOINT]
(ENDPOINTS=me,user measures only those; REQUESTS and ROUNDS set the size of a round;
CONCURRENCY=32 runs that many requests at once, past the pools' 10 connections, as wrk does)
(with --profile, cProfile of Agora on that endpoint instead: `me`, `user`, `posts`, `create`;
SORT orders it, LINES bounds it, CALLERS=regex prints who called the functions it matches).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/agora_bench_cpu"
)
SECRET_KEY = "bench-secret-key-that-is-long-enough-for-hs256!!"  # noqa: S105 (local run)
REQUESTS = int(os.environ.get("REQUESTS", "500"))
ROUNDS = int(os.environ.get("ROUNDS", "9"))
CONCURRENCY = int(os.environ.get("CONCURRENCY", "1"))
ENDPOINTS = os.environ.get("ENDPOINTS", "health,me,user,posts,create").split(",")

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class Caller:
    """Calls an ASGI app like a server would, with the lifespan state it was started with."""

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state

    async def __call__(
        self, method: str, path: str, token: str | None, body: bytes = b""
    ) -> tuple[int, bytes]:
        raw_path, _, query = path.partition("?")
        headers = [(b"host", b"bench"), (b"user-agent", b"bench")]
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        if body:
            headers += [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ]
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": raw_path,
            "raw_path": raw_path.encode(), "query_string": query.encode(), "root_path": "",
            "headers": headers, "client": ("127.0.0.1", 40000), "server": ("bench", 80),
            "state": self.state.copy(),
        }  # fmt: skip
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


async def reset_database() -> None:
    url = make_url(DATABASE_URL)
    connection = await asyncpg.connect(
        host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
        password=url.password, database="postgres",
    )  # fmt: skip
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{url.database}"')
    finally:
        await connection.close()


def endpoints(user_id: str) -> dict[str, tuple[str, str, bytes]]:
    post = json.dumps({"title": "Benchmark", "content": "A post.", "is_published": True})
    return {
        "health": ("GET", "/health", b""),
        "me": ("GET", "/api/v1/users/me", b""),
        "user": ("GET", f"/api/v1/users/{user_id}", b""),
        "posts": ("GET", "/api/v1/posts?limit=20", b""),
        "create": ("POST", "/api/v1/posts", post.encode()),
    }


async def cpu_ms(call: Caller, method: str, path: str, token: str, body: bytes) -> float:
    for _ in range(max(50, REQUESTS // 10)):
        status, _ = await call(method, path, token, body)
        assert status in (200, 201), (path, status)

    async def one_after_another(count: int) -> None:
        for _ in range(count):
            await call(method, path, token, body)

    # CONCURRENCY clients at once (each app's pool holds DB_POOL_SIZE=10 connections: past
    # 10, requests wait for one, as under wrk's 32 connections).
    share, extra = divmod(REQUESTS, CONCURRENCY)
    start = time.process_time()
    await asyncio.gather(
        *(one_after_another(share + (index < extra)) for index in range(CONCURRENCY))
    )
    return (time.process_time() - start) / REQUESTS * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", choices=["health", "me", "user", "posts", "create"])
    args = parser.parse_args()
    print(__doc__.split("\n\nRun:")[0], flush=True)
    await reset_database()
    os.environ.update({"SECRET_KEY": SECRET_KEY, "DB_POOL_SIZE": "10"})
    os.environ["DATABASE_URL"] = (
        make_url(DATABASE_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    )

    from app.core.config import Settings
    from app.main import create_app

    settings = Settings(
        _env_file=None, DATABASE_URL=DATABASE_URL, SECRET_KEY=SECRET_KEY,  # type: ignore[call-arg]
        RATE_LIMIT_ENABLED=False, LOG_LEVEL="WARNING", DATA_DIR=Path(tempfile.mkdtemp()),
    )  # fmt: skip
    agora = create_app(settings)
    floor_module = importlib.import_module("fastapi_floor")
    floor_app = floor_module.app
    async with (
        agora.router.lifespan_context(agora) as agora_state,
        floor_app.router.lifespan_context(floor_app),
    ):
        agora_call = Caller(agora, dict(agora_state or {}))
        floor_call = Caller(floor_app, {})
        registration = json.dumps(
            {"username": "bench", "email": "bench@example.com", "password": "bench password"}
        ).encode()
        status, _ = await agora_call("POST", "/api/v1/auth/register", None, registration)
        assert status == 201, status
        form = b"username=bench&password=bench+password"
        login_scope_call = agora_call
        status, body = await _login(login_scope_call, form)
        token = json.loads(body)["access_token"]
        _, me = await agora_call("GET", "/api/v1/users/me", token)
        user_id = json.loads(me)["id"]
        for _ in range(50):
            await agora_call("POST", "/api/v1/posts", token, endpoints(user_id)["create"][2])
        chosen = endpoints(user_id)
        if args.profile:
            method, path, body = chosen[args.profile]
            await cpu_ms(agora_call, method, path, token, body)
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for _ in range(REQUESTS):
                await agora_call(method, path, token, body)
            profiler.disable()
            stats = pstats.Stats(profiler)
            if os.environ.get("CALLERS"):
                stats.print_callers(os.environ["CALLERS"])
            stats.sort_stats(os.environ.get("SORT", "tottime")).print_stats(
                int(os.environ.get("LINES", "40"))
            )
            return
        print(
            f"\n{'endpoint':<10}{'FastAPI floor ms':>18}{'Agora ms':>10}"
            f"{'Agora/floor (median of paired rounds)':>40}"
        )
        for name in ENDPOINTS:
            method, path, body = chosen[name]
            floors, agoras = [], []
            for _ in range(ROUNDS):
                floors.append(await cpu_ms(floor_call, method, path, token, body))
                agoras.append(await cpu_ms(agora_call, method, path, token, body))
            floor_ms, agora_ms = statistics.median(floors), statistics.median(agoras)
            paired = statistics.median(a / f for a, f in zip(agoras, floors, strict=True))
            print(f"{name:<10}{floor_ms:>18.3f}{agora_ms:>10.3f}{paired:>40.2f}")


async def _login(call: Caller, form: bytes) -> tuple[int, bytes]:
    original = call.app

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-type"] + [
            (b"content-type", b"application/x-www-form-urlencoded")
        ]
        await original(scope, receive, send)

    return await Caller(app, call.state)("POST", "/api/v1/auth/login", None, form)


if __name__ == "__main__":
    asyncio.run(main())
