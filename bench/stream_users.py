"""Benchmark: GET /api/v1/users/stream keeps the server's memory flat as the table grows.

Workload: for each backend (SQLite always; PostgreSQL too when BENCH_DATABASE_URL or
TEST_DATABASE_URL names one) and for each table size (20,000 and 200,000 users, in the same
run), a fresh database is migrated by a fresh uvicorn process (one worker, 127.0.0.1, a free
port), filled with precomputed user rows by multi-row INSERTs (not through the API), and then
every user is streamed once as a JSON array and once as NDJSON with httpx. Reported: rows/s of
each stream, and the server's peak RSS (VmHWM from /proc/<pid>/status) before and after the
streams. The table is 10x larger in the second run; a flat peak (within 10%) shows the rows are
not held in memory. The whole run is bounded by BENCH_TIMEOUT_SECONDS (default 600).

Run: `make bench` or `.venv/bin/python bench/stream_users.py` (SIZES="20000,200000" to change).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import app.models  # noqa: E402, F401  (every table on the metadata)
from app.core.security import PasswordHasher  # noqa: E402
from app.db.base import new_id  # noqa: E402
from app.db.sqlite import register_functions  # noqa: E402
from app.users.models import User  # noqa: E402

SIZES = [int(s) for s in os.environ.get("SIZES", "20000,200000").split(",")]
FILL_BATCH = 5000
ADMIN = ("bench_admin", "bench-admin@example.com", "bench-password-1")
DEADLINE = time.monotonic() + float(os.environ.get("BENCH_TIMEOUT_SECONDS", "600"))
SECRET_KEY = "bench-secret-key-that-is-long-enough-for-hs256!!"  # noqa: S105 (local run)


@dataclass
class Result:
    backend: str
    rows: int
    json_rows_per_s: float
    ndjson_rows_per_s: float
    rss_before_kib: int
    peak_kib: int
    sampled_peak_kib: int


def remaining() -> float:
    left = DEADLINE - time.monotonic()
    if left <= 0:
        raise TimeoutError("benchmark time limit reached")
    return left


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux: `5` into clear_refs), so the peak
    read afterwards is the streaming's own, not the start-up's (imports, Argon2's 64 MiB)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class RssSampler:
    """Samples the server's VmRSS every 20 ms: a second, independent peak measurement."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.peak = max(self.peak, proc_status_kib(self.pid, "VmRSS"))
            await asyncio.sleep(0.02)

    def __enter__(self) -> RssSampler:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


@asynccontextmanager
async def fresh_database(base_url: str | None, tmp: Path, label: str) -> AsyncIterator[str]:
    """An empty database: a new SQLite file, or a new PostgreSQL database dropped afterwards."""
    if base_url is None:
        yield f"sqlite+aiosqlite:///{tmp / f'bench_{label}.db'}"
        return
    url = make_url(base_url)
    name = f"agora_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@asynccontextmanager
async def server(
    database_url: str, tmp: Path, app_dir: str | None = None
) -> AsyncIterator[tuple[int, str]]:
    """uvicorn serving the app (of this checkout, or of `app_dir`) on 127.0.0.1; it migrates
    the database and adds the admin."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "DATA_DIR": str(tmp),
        "AUTO_MIGRATE": "true",
        "RATE_LIMIT_ENABLED": "false",
        "METRICS_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "FIRST_SUPERUSER_USERNAME": ADMIN[0],
        "FIRST_SUPERUSER_EMAIL": ADMIN[1],
        "FIRST_SUPERUSER_PASSWORD": ADMIN[2],
    }
    env.pop("REDIS_URL", None)
    command = [
        sys.executable, "-m", "uvicorn", "app.main:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    if app_dir is not None:
        command += ["--app-dir", app_dir]
    proc = await asyncio.create_subprocess_exec(*command, cwd=app_dir or ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:
            for _ in range(300):
                remaining()
                if proc.returncode is not None:
                    raise RuntimeError(f"the server exited with {proc.returncode}")
                try:
                    if (await http.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the server did not start")
        yield proc.pid, base
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout=15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def fill(database_url: str, count: int, hashed: str) -> float:
    """Insert `count` precomputed users in multi-row batches; returns the seconds it took."""
    started = time.perf_counter()
    engine = create_async_engine(database_url)
    if engine.dialect.name == "sqlite":
        register_functions(engine)  # fold_case, which the username index uses
    first = datetime(2024, 1, 1, tzinfo=UTC)
    try:
        async with engine.begin() as conn:
            for start in range(0, count, FILL_BATCH):
                remaining()
                rows: list[dict[str, Any]] = []
                for i in range(start, min(start + FILL_BATCH, count)):
                    at = first + timedelta(seconds=i)
                    rows.append(
                        {
                            "id": new_id(),
                            "username": f"user{i:07d}",
                            "email": f"user{i:07d}@example.com",
                            "hashed_password": hashed,
                            "full_name": f"User Number {i}",
                            "is_active": True,
                            "is_superuser": False,
                            "permissions": [],
                            "created_at": at,
                            "updated_at": at,
                        }
                    )
                await conn.execute(insert(User), rows)
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def stream_once(http: httpx.AsyncClient, token: str, ndjson: bool) -> tuple[int, float]:
    headers = {"Authorization": f"Bearer {token}"}
    if ndjson:
        headers["Accept"] = "application/x-ndjson"
    started = time.perf_counter()
    newlines = 0
    body = bytearray()
    async with http.stream("GET", "/api/v1/users/stream", headers=headers) as response:
        response.raise_for_status()
        async for chunk in response.aiter_bytes():
            if ndjson:
                newlines += chunk.count(b"\n")
            else:
                body += chunk
            remaining()
    elapsed = time.perf_counter() - started
    if ndjson:
        return newlines, elapsed
    return len(json.loads(body)), elapsed


async def run_one(backend: str, base_url: str | None, count: int, hashed: str) -> Result:
    with tempfile.TemporaryDirectory(prefix="agora-bench-") as tmp_name:
        tmp = Path(tmp_name)
        async with (
            fresh_database(base_url, tmp, f"{count}") as database_url,
            server(database_url, tmp) as (pid, base),
        ):
            fill_seconds = await fill(database_url, count, hashed)
            async with httpx.AsyncClient(base_url=base, timeout=remaining()) as http:
                login = await http.post(
                    "/api/v1/auth/login", data={"username": ADMIN[0], "password": ADMIN[2]}
                )
                login.raise_for_status()
                token = login.json()["access_token"]
                await http.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
                start_up_peak = proc_status_kib(pid, "VmHWM")
                if not reset_peak(pid):
                    print("  (cannot reset VmHWM: the peak includes start-up)", flush=True)
                before = proc_status_kib(pid, "VmRSS")
                with RssSampler(pid) as sampler:
                    json_rows, json_s = await stream_once(http, token, ndjson=False)
                    nd_rows, nd_s = await stream_once(http, token, ndjson=True)
                peak = proc_status_kib(pid, "VmHWM")
    expected = count + 1  # and the admin
    assert json_rows == expected, (json_rows, expected)
    assert nd_rows == expected, (nd_rows, expected)
    print(
        f"  {backend:10} {count:>8,} rows  fill {fill_seconds:5.1f}s  "
        f"json {json_rows / json_s:>8,.0f} rows/s ({json_s:5.2f}s)  "
        f"ndjson {nd_rows / nd_s:>8,.0f} rows/s ({nd_s:5.2f}s)\n"
        f"  {'':10} RSS before streaming {before / 1024:6.1f} MiB; peak while streaming "
        f"{peak / 1024:6.1f} MiB (VmHWM), {sampler.peak / 1024:6.1f} MiB (sampled VmRSS); "
        f"start-up peak {start_up_peak / 1024:6.1f} MiB",
        flush=True,
    )
    return Result(backend, count, json_rows / json_s, nd_rows / nd_s, before, peak, sampler.peak)


async def main() -> int:
    print(__doc__.split("\n\nRun:")[0], flush=True)
    print(f"\nsizes: {SIZES}; batch of the server's cursor: 1000 rows", flush=True)
    hashed = await PasswordHasher().hash("not-used-for-login")
    backends: list[tuple[str, str | None]] = [("sqlite", None)]
    pg = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if pg and make_url(pg).get_backend_name() == "postgresql":
        backends.append(("postgresql", pg))
    status = 0
    for backend, base_url in backends:
        results = [await run_one(backend, base_url, count, hashed) for count in SIZES]
        small, large = results[0], results[-1]
        ratio = large.peak_kib / small.peak_kib
        sampled = large.sampled_peak_kib / small.sampled_peak_kib
        verdict = "flat (within 10%)" if ratio <= 1.10 else "GROWS"
        print(
            f"  {backend}: peak RSS while streaming, {large.rows:,} vs {small.rows:,} rows: "
            f"{large.peak_kib / 1024:.1f} / {small.peak_kib / 1024:.1f} MiB = {ratio:.3f}x "
            f"(sampled {sampled:.3f}x) -> {verdict}\n",
            flush=True,
        )
        if ratio > 1.10:
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
