"""SQLite under many writers at once: how many requests fail (5xx), how long writes and reads take.

Workload, on one fresh SQLite file served by WORKERS uvicorn processes (started one after the
other, each on its own port; the writers are spread over them in turn), 127.0.0.1 only:
  register  WRITERS parallel POST /api/v1/auth/register (a read, Argon2 in a thread, 2 INSERTs)
  login     the same users log in in parallel (a read, Argon2, 2 INSERTs)
  post      each user creates a post, all in parallel (the auth read, then an INSERT)
  patch     each user renames itself, all in parallel (a uniqueness read, then an UPDATE)
During `post` and `patch`, READERS clients loop on GET /api/v1/posts (reads must go on while
the writers queue). With `--accounts direct`, the users and their logins are made in-process
before the servers start (one shared password hash) and only `post` and `patch` run: a quick
A/B of the write path alone. For each phase: the status codes, the number of 5xx and the
p50/p99/max latency; then the database errors the servers logged.

    .venv/bin/python bench/sqlite_writers.py --workers both --writers 200

Target: zero 5xx in every phase, with 1 and 2 workers. Bounded by --timeout (default 600 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-password-1"  # noqa: S105


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


class Phase:
    def __init__(self, name: str) -> None:
        self.name = name
        self.statuses: Counter[int | str] = Counter()
        self.seconds: list[float] = []

    async def timed(self, request: Awaitable[httpx.Response]) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            response = await request
        except httpx.HTTPError as exc:
            self.statuses[type(exc).__name__] += 1
            return None
        self.seconds.append(time.perf_counter() - start)
        self.statuses[response.status_code] += 1
        return response

    @property
    def server_errors(self) -> int:
        return sum(
            n for code, n in self.statuses.items() if not isinstance(code, int) or code >= 500
        )

    def line(self) -> str:
        ms = sorted(s * 1000 for s in self.seconds) or [0.0]
        p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
        codes = " ".join(f"{code}x{n}" for code, n in sorted(self.statuses.items(), key=str))
        return (
            f"  {self.name:<8} 5xx={self.server_errors:<3} [{codes}]  "
            f"p50 {statistics.median(ms):7.1f} ms  p99 {p99:7.1f} ms  max {ms[-1]:7.1f} ms"
        )


async def read_loop(
    client: httpx.AsyncClient, base: str, phase: Phase, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        await phase.timed(client.get(f"{base}/api/v1/posts", params={"limit": 5}))


async def direct_accounts(env: dict[str, str], count: int) -> list[dict[str, str]]:
    """`count` users and a login each, made in-process; their Authorization headers."""
    from sqlalchemy import select, update
    from sqlmodel import col

    import app.models  # noqa: F401  (every table on the metadata)
    from app.auth.service import AuthService
    from app.core.config import Settings
    from app.core.security import PasswordHasher, TokenCodec
    from app.db.engine import create_engine, create_sessionmaker
    from app.db.migrate import migrate
    from app.seed import seed
    from app.users.models import User

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=env["DATABASE_URL"],
        SECRET_KEY=env["SECRET_KEY"],
        DATA_DIR=Path(env["DATA_DIR"]),
    )
    engine = create_engine(settings.DATABASE_URL, settings)
    try:
        await migrate(engine)
        await seed(engine, users=count, posts=0, teams=0)
        async with engine.begin() as conn:  # the seed deactivates a few: not here
            await conn.execute(update(User).values(is_active=True))
        codec = TokenCodec(settings.secret_key, settings.JWT_ALGORITHM)
        headers = []
        async with create_sessionmaker(engine)() as session:
            users = (await session.scalars(select(User).order_by(col(User.username)))).all()
            service = AuthService(session, PasswordHasher(), codec, settings)
            for user in users:
                token = await service.start_session(user)
                headers.append({"Authorization": f"Bearer {token.access_token}"})
            await session.commit()
        return headers
    finally:
        await engine.dispose()


async def accounts_over_http(
    client: httpx.AsyncClient, base: Callable[[int], str], names: list[str], phases: list[Phase]
) -> list[dict[str, str]]:
    register = Phase("register")
    await asyncio.gather(
        *(
            register.timed(
                client.post(
                    f"{base(i)}/api/v1/auth/register",
                    json={"username": n, "email": f"{n}@example.com", "password": PASSWORD},
                )
            )
            for i, n in enumerate(names)
        )
    )
    phases.append(register)

    login = Phase("login")
    responses = await asyncio.gather(
        *(
            login.timed(
                client.post(
                    f"{base(i)}/api/v1/auth/login", data={"username": n, "password": PASSWORD}
                )
            )
            for i, n in enumerate(names)
        )
    )
    phases.append(login)
    headers = [
        {"Authorization": f"Bearer {r.json()['access_token']}"}
        for r in responses
        if r is not None and r.status_code == 200
    ]

    return headers


async def run(
    bases: list[str], writers: int, readers: int, headers: list[dict[str, str]] | None
) -> list[Phase]:
    limits = httpx.Limits(max_connections=writers + readers, max_keepalive_connections=writers)
    tag = uuid.uuid4().hex[:6]
    names = [f"w{tag}{i}" for i in range(writers)]
    phases: list[Phase] = []
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:

        def base(i: int) -> str:
            return bases[i % len(bases)]

        if headers is None:
            headers = await accounts_over_http(client, base, names, phases)

        async def with_reads(
            phase: Phase, request: Callable[[int, dict[str, str]], Awaitable[httpx.Response]]
        ) -> None:
            reads = Phase(f"reads/{phase.name}")
            stop = asyncio.Event()
            loops = [
                asyncio.create_task(read_loop(client, base(i), reads, stop)) for i in range(readers)
            ]
            await asyncio.gather(*(phase.timed(request(i, h)) for i, h in enumerate(headers)))
            stop.set()
            await asyncio.gather(*loops)
            phases.extend([phase, reads])

        await with_reads(
            Phase("post"),
            lambda i, h: client.post(
                f"{base(i)}/api/v1/posts",
                json={"title": f"post {i}", "content": "x" * 200, "is_published": True},
                headers=h,
            ),
        )
        await with_reads(
            Phase("patch"),
            lambda i, h: client.patch(
                f"{base(i)}/api/v1/users/me", json={"username": f"r{tag}{i}"}, headers=h
            ),
        )
    return phases


def server_log_causes(workdir: Path, workers: int, log_dir: Path | None) -> Counter[str]:
    """The database errors the servers logged (their last traceback line), by count."""
    logs = sorted(workdir.glob("uvicorn-*.log"))
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        for log in logs:
            (log_dir / f"{workers}w-{log.name}").write_bytes(log.read_bytes())
    return Counter(
        line.strip()[:160]
        for log in logs
        for line in log.read_text(errors="replace").splitlines()
        if line.startswith(("sqlalchemy.exc.", "sqlite3.", "TimeoutError"))
    )


def bench(workers: int, args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("REDIS_", "RATE_", "DATABASE_", "EMAIL_"))
            },
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "DATA_DIR": str(workdir / "data"),
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_ENABLED": "false",
            "EMAIL_BACKEND": "console",
        }
        headers = None
        if args.accounts == "direct":
            headers = asyncio.run(direct_accounts(env, args.writers))
        processes = []
        try:
            for _ in range(workers):
                processes.append(start_server(workdir, env))  # one after the other: migrations
            bases = [f"http://127.0.0.1:{port}" for _, port in processes]
            start = time.perf_counter()
            phases = asyncio.run(
                asyncio.wait_for(run(bases, args.writers, args.readers, headers), args.timeout)
            )
            seconds = time.perf_counter() - start
        finally:
            for process, _ in processes:
                stop(process)
        causes = server_log_causes(workdir, workers, args.log_dir)
    errors = sum(p.server_errors for p in phases)
    print(f"{workers} worker(s), {args.writers} writers, {args.readers} readers: {seconds:.1f} s")
    for phase in phases:
        print(phase.line())
    print(f"  total 5xx: {errors}")
    for cause, count in causes.most_common():
        print(f"  server log: {count} x {cause}")
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", choices=["1", "2", "both"], default="both")
    parser.add_argument("--writers", type=int, default=200)
    parser.add_argument("--readers", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--accounts", choices=["http", "direct"], default="http")
    parser.add_argument("--log-dir", type=Path, help="keep the servers' logs here")
    args = parser.parse_args()
    if not (1 <= args.writers <= 2000 and 0 <= args.readers <= 200):
        parser.error("--writers 1..2000, --readers 0..200")
    counts = [1, 2] if args.workers == "both" else [int(args.workers)]
    errors = sum(bench(workers, args) for workers in counts)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
