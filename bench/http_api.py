"""Benchmark: Agora's HTTP hot path against two floors, with wrk.

Workload: a fresh PostgreSQL database (BENCH_DATABASE_URL, default agora_bench on the
machine's PostgreSQL; dropped and created anew) is migrated by Agora and filled with USERS
users and POSTS posts. Three servers run side by side, each one uvicorn worker (uvloop,
httptools, no access log):
- the raw floor (bench/floor.py: Starlette + asyncpg, same JWT, same SQL, no ORM, no
  validation);
- the FastAPI floor (bench/fastapi_floor.py: the same SQL served the FastAPI way, with a
  Depends-based OAuth2 auth that loads the caller, Pydantic models, a connection and
  transaction per request);
- Agora.
wrk drives each scenario at 32 connections (2 threads) after a warm-up: GET /health,
GET /api/v1/users/me, GET /api/v1/users/{id}, GET /api/v1/posts?limit=20, POST /api/v1/posts.
The three run alternately (the order rotates each round), ROUNDS rounds of DURATION seconds
each; the table shows the median req/s and p50/p99 latency of the rounds, and the ratios
Agora/FastAPI floor and Agora/raw floor.
Then: a soak of SOAK_REQUESTS GET /users/me whose RSS after warm-up must stay within 5% (before
the logins, whose Argon2 memory would be in its baseline); login alone (Argon2 by design, no
floor); and the same read with 2 workers against 1, with the cores Agora and PostgreSQL used
(from /proc): wrk and PostgreSQL share the 2 cores, so the requests per core of Agora tell its
own scaling apart from the machine's.

Targets (one worker, 32 connections): Agora >= 0.75 of the FastAPI floor's req/s on the
database endpoints and >= 0.9 on GET /health; Agora's p99 <= 3 x its p50 on every endpoint;
2 workers / 1 worker >= 1.7; soak RSS drift <= 5%.

Results go to bench/results/http_api-<UTC time>.json with a description of the machine; the
previous result file, if any, is printed beside the new numbers.

Run: `make bench`, or `.venv/bin/python bench/http_api.py` (ROUNDS=3 DURATION=8 WARMUP=3
USERS=1000 POSTS=10000 SOAK_REQUESTS=100000 to change). Needs wrk: installed with apt-get when
missing (as root), else the run stops with a clear line. Bounded by BENCH_TIMEOUT_SECONDS
(default 1500).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.seed import DEFAULT_PASSWORD, seed  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "3"))
DURATION = int(os.environ.get("DURATION", "8"))
WARMUP = int(os.environ.get("WARMUP", "3"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "32"))
THREADS = int(os.environ.get("THREADS", "2"))
USERS = int(os.environ.get("USERS", "1000"))
POSTS = int(os.environ.get("POSTS", "10000"))
SOAK_REQUESTS = int(os.environ.get("SOAK_REQUESTS", "100000"))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/agora_bench"
)
DEADLINE = time.monotonic() + float(os.environ.get("BENCH_TIMEOUT_SECONDS", "1500"))
SECRET_KEY = "bench-secret-key-that-is-long-enough-for-hs256!!"  # noqa: S105 (local run)
RESULTS = ROOT / "bench" / "results"
# Agora / FastAPI floor, by kind of scenario.
TARGET = {"health": 0.9, "read": 0.75, "write": 0.75}
P99_OVER_P50_TARGET = 3.0
SERVERS = ("floor", "fastapi", "agora")
WORKERS_TARGET = 1.7
RSS_DRIFT_TARGET = 0.05


@dataclass
class Scenario:
    name: str
    kind: str  # read | write
    method: str
    path: str
    body: str | None = None
    content_type: str = "application/json"
    auth: bool = True


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int = 0


@dataclass
class Row:
    name: str
    kind: str
    runs: dict[str, list[Run]] = field(default_factory=lambda: {name: [] for name in SERVERS})

    def median(self, server: str, attribute: str) -> float:
        runs = self.runs[server]
        return statistics.median(getattr(run, attribute) for run in runs) if runs else 0.0

    def summary(self) -> dict[str, Any]:
        figures: dict[str, Any] = {"scenario": self.name, "kind": self.kind}
        for server in SERVERS:
            for attribute in ("rps", "p50_ms", "p99_ms"):
                figures[f"{server}_{attribute}"] = round(self.median(server, attribute), 2)
        agora = figures["agora_rps"]
        ratio = agora / figures["fastapi_rps"] if figures["fastapi_rps"] else None
        figures["ratio"] = round(ratio, 3) if ratio is not None else None
        figures["ratio_raw"] = (
            round(agora / figures["floor_rps"], 3) if figures["floor_rps"] else None
        )
        p50, p99 = figures["agora_p50_ms"], figures["agora_p99_ms"]
        figures["p99_over_p50"] = round(p99 / p50, 2) if p50 else None
        figures["errors"] = sum(run.errors for runs in self.runs.values() for run in runs)
        figures["target_met"] = (
            None
            if ratio is None
            else ratio >= TARGET[self.kind] and p99 <= P99_OVER_P50_TARGET * p50
        )
        return figures


def say(message: str) -> None:
    print(message, flush=True)


def check_deadline() -> None:
    if time.monotonic() > DEADLINE:
        raise SystemExit("bench/http_api.py: BENCH_TIMEOUT_SECONDS reached; stopping")


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("wrk is missing: installing it with apt-get (the system package)")
        subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)  # noqa: S607
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"],  # noqa: S607
            check=False,
            capture_output=True,
        )
        found = shutil.which("wrk")
    if not found:
        raise SystemExit(
            "bench/http_api.py needs wrk: install it (apt-get install wrk) and run again"
        )
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        mem_kib = int(info.readline().split()[1])
    wrk_version = subprocess.run(  # noqa: S603
        [shutil.which("wrk") or "wrk", "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[:1]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version[0] if wrk_version else "",
        "connections": CONNECTIONS,
        "threads": THREADS,
        "rounds": ROUNDS,
        "duration_s": DURATION,
        "users": USERS,
        "posts": POSTS,
    }


def _cpu_and_parents() -> dict[int, tuple[int, str, float]]:
    """Every process: its parent, its command name and its CPU seconds so far (/proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                raw = stat.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        found[int(entry)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / tick)
    return found


def cores_used(server_pid: int, run: Any) -> tuple[Any, float, float]:
    """`run()` (a wrk run), and the cores the server (with its workers) and PostgreSQL used
    meanwhile: on this 2-core machine they, and wrk, share the cores."""
    before = _cpu_and_parents()
    start = time.monotonic()
    result = run()
    after = _cpu_and_parents()
    elapsed = time.monotonic() - start
    tree = {server_pid} | {pid for pid, (parent, _, _) in after.items() if parent == server_pid}
    server = postgres = 0.0
    for pid, (_, name, seconds) in after.items():
        used = seconds - (before[pid][2] if pid in before else 0.0)
        if pid in tree:
            server += used
        elif name == "postgres":
            postgres += used
    return result, server / elapsed, postgres / elapsed


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Process:
    def __init__(self, name: str, command: list[str], env: dict[str, str], port: int) -> None:
        self.name = name
        self.port = port
        self.log = Path(tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".log")[1])
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{name} exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{name} did not start:\n{self.log.read_text()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def agora_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DATABASE_"))}
    env.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "SECRET_KEY": SECRET_KEY,
            "RATE_LIMIT_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "console",
            "DATA_DIR": tempfile.mkdtemp(prefix="bench-data-"),
        }
    )
    return env


def start_agora(workers: int = 1) -> Process:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--loop", "uvloop",
        "--http", "httptools", "--no-access-log", "--no-proxy-headers",
        "--log-level", "warning",
    ]  # fmt: skip
    return Process(f"agora-{workers}w", command, agora_env(), port)


def start_floor(script: str = "floor.py") -> Process:
    port = free_port()
    env = agora_env()
    env["DATABASE_URL"] = (
        make_url(DATABASE_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    command = [sys.executable, str(ROOT / "bench" / script), "--port", str(port)]
    return Process(script.removesuffix(".py"), command, env, port)


async def reset_database() -> None:
    url = make_url(DATABASE_URL)
    connection = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database="postgres",
    )
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{url.database}"')
    finally:
        await connection.close()


async def fill() -> tuple[str, str]:
    """Seed USERS users and POSTS posts; the usernames of two of them."""
    engine = create_async_engine(DATABASE_URL)
    try:
        await seed(engine, users=USERS, posts=POSTS, teams=0, random_seed=1)
        async with engine.connect() as connection:
            from sqlalchemy import text

            rows = (
                await connection.execute(text("SELECT username FROM users ORDER BY id LIMIT 2"))
            ).all()
    finally:
        await engine.dispose()
    return rows[0][0], rows[1][0]


def login(url: str, username: str) -> tuple[str, str]:
    response = httpx.post(
        f"{url}/api/v1/auth/login",
        data={"username": username, "password": DEFAULT_PASSWORD},
        timeout=30,
    )
    response.raise_for_status()
    token = response.json()["access_token"]
    me = httpx.get(f"{url}/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    return token, me.json()["id"]


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    assert match, value
    return float(match.group(1)) * _UNIT[match.group(2)]


def lua_script(directory: Path, scenario: Scenario, token: str) -> Path:
    lines = [f'wrk.method = "{scenario.method}"']
    if scenario.auth:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    if scenario.body is not None:
        lines.append(f'wrk.headers["Content-Type"] = "{scenario.content_type}"')
        lines.append(f"wrk.body = {json.dumps(scenario.body)}")
    path = directory / f"{scenario.name.replace(' ', '_').replace('/', '_')}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def wrk(url: str, scenario: Scenario, token: str, seconds: int) -> Run:
    check_deadline()
    with tempfile.TemporaryDirectory() as directory:
        script = lua_script(Path(directory), scenario, token)
        command = [
            shutil.which("wrk") or "wrk", "-t", str(THREADS), "-c", str(CONNECTIONS),
            "-d", f"{seconds}s", "--timeout", "10s", "--latency", "-s", str(script),
            url + scenario.path,
        ]  # fmt: skip
        output = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, check=True, timeout=seconds + 600
        ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    errors_match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*", output)
    errors = int(errors_match.group(1)) if errors_match else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(0)))
    total = re.search(r"(\d+) requests in", output)
    return Run(
        rps=rps, p50_ms=p50, p99_ms=p99, errors=errors, requests=int(total.group(1)) if total else 0
    )


def scenarios(other_id: str) -> list[Scenario]:
    post = json.dumps({"title": "Benchmark", "content": "A post from wrk.", "is_published": True})
    return [
        Scenario("GET /health", "health", "GET", "/health", auth=False),
        Scenario("GET /users/me", "read", "GET", "/api/v1/users/me"),
        Scenario("GET /users/{id}", "read", "GET", f"/api/v1/users/{other_id}"),
        Scenario("GET /posts?limit=20", "read", "GET", "/api/v1/posts?limit=20"),
        Scenario("POST /posts", "write", "POST", "/api/v1/posts", body=post),
    ]


def compare(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    previous = sorted(RESULTS.glob("http_api-*.json"))
    if not previous:
        return None
    data: dict[str, Any] = json.loads(previous[-1].read_text())
    data["file"] = previous[-1].name
    return data


def print_table(rows: list[dict[str, Any]], before: dict[str, Any] | None) -> None:
    old = {row["scenario"]: row for row in (before or {}).get("scenarios", [])}
    say("")
    say(
        f"{'scenario':<20}{'raw r/s':>9}{'fastapi r/s':>12}{'p50':>7}{'p99':>7}"
        f"{'agora r/s':>10}{'p50':>7}{'p99':>7}{'p99/p50':>8}{'/fastapi':>9}{'/raw':>7}"
        f"{'target':>12}{'prev':>7}"
    )
    for row in rows:
        target = TARGET[row["kind"]]
        met = "-" if row["target_met"] is None else ("ok" if row["target_met"] else "MISS")
        prev = old.get(row["scenario"], {}).get("ratio")
        say(
            f"{row['scenario']:<20}{row['floor_rps']:>9.0f}{row['fastapi_rps']:>12.0f}"
            f"{row['fastapi_p50_ms']:>7.1f}{row['fastapi_p99_ms']:>7.1f}{row['agora_rps']:>10.0f}"
            f"{row['agora_p50_ms']:>7.1f}{row['agora_p99_ms']:>7.1f}"
            f"{(row['p99_over_p50'] or 0):>8.2f}{(row['ratio'] or 0):>9.3f}"
            f"{(row['ratio_raw'] or 0):>7.3f}{f'>={target} {met}':>12}{(prev or 0):>7.3f}"
        )
    say(
        "(latencies in ms; /fastapi and /raw = Agora req/s over each floor's; target: "
        f"Agora/FastAPI floor and p99 <= {P99_OVER_P50_TARGET:g} x p50; prev = /fastapi of the "
        "last run)"
    )


def main() -> None:
    ensure_wrk()
    RESULTS.mkdir(parents=True, exist_ok=True)
    say(f"database {make_url(DATABASE_URL).render_as_string(hide_password=True)}")
    asyncio.run(reset_database())
    agora = start_agora()
    floors: list[Process] = []
    results: dict[str, Any] = {"machine": machine(), "when": datetime.now(UTC).isoformat()}
    try:
        say(f"filling: {USERS} users, {POSTS} posts")
        first, _second = asyncio.run(fill())
        token, _ = login(agora.url, first)
        other = httpx.get(
            f"{agora.url}/api/v1/users",
            params={"limit": 2},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["items"]
        other_id = next(user["id"] for user in other if user["username"] != first)
        floors = [start_floor("floor.py"), start_floor("fastapi_floor.py")]
        servers = dict(zip(SERVERS, [*floors, agora], strict=True))
        rows: list[Row] = []
        for scenario in scenarios(other_id):
            row = Row(scenario.name, scenario.kind)
            for index in range(ROUNDS):
                order = list(servers.items())
                order = order[index % len(order) :] + order[: index % len(order)]
                for label, process in order:
                    wrk(process.url, scenario, token, WARMUP)
                    run = wrk(process.url, scenario, token, DURATION)
                    row.runs[label].append(run)
                    say(
                        f"  {scenario.name:<22} round {index + 1} {label:<6}"
                        f"{run.rps:>9.0f} r/s  p50 {run.p50_ms:.2f}  p99 {run.p99_ms:.2f}"
                        + (f"  errors {run.errors}" if run.errors else "")
                    )
            rows.append(row)
        table = [row.summary() for row in rows]
        results["scenarios"] = table

        # Soak on the one-worker server: RSS after a warm-up, then after SOAK_REQUESTS more
        # (wrk runs for as long as that many take at the rate just measured).
        soak = scenarios(other_id)[1]
        rate = statistics.median(run.rps for run in rows[1].runs["agora"])
        wrk(agora.url, soak, token, max(5, round(10_000 / rate)))
        rss_warm = rss_kib(agora.pid)
        # A margin over the measured rate, so that the soak makes at least SOAK_REQUESTS.
        soak_run = wrk(agora.url, soak, token, max(10, math.ceil(SOAK_REQUESTS * 1.15 / rate)))
        rss_after = rss_kib(agora.pid)
        results["soak"] = {
            "scenario": soak.name,
            "requests": soak_run.requests,
            "rps": round(soak_run.rps, 1),
            "errors": soak_run.errors,
            "rss_after_warmup_kib": rss_warm,
            "rss_after_kib": rss_after,
            "drift": round((rss_after - rss_warm) / rss_warm, 4),
        }
        # The scaling scenario once more on one worker, with the cores each process used.
        scaling = scenarios(other_id)[2]
        one_run, one_cores, _ = cores_used(
            agora.pid, lambda: wrk(agora.url, scaling, token, DURATION)
        )

        login_body = f"username={first}&password={DEFAULT_PASSWORD.replace(' ', '+')}"
        login_scenario = Scenario(
            "POST /auth/login",
            "write",
            "POST",
            "/api/v1/auth/login",
            body=login_body,
            content_type="application/x-www-form-urlencoded",
            auth=False,
        )
        wrk(agora.url, login_scenario, token, WARMUP)
        # At least 10 s: 32 logins queued behind Argon2 take about 5 s to come back at all.
        login_run = wrk(agora.url, login_scenario, token, max(DURATION, 10))
        results["login"] = asdict(login_run)

    finally:
        agora.stop()
        for process in floors:
            process.stop()

    # Two workers against one, on the same read (the load generator and PostgreSQL share the
    # cores: the cores each server used tell its scaling per core apart from the machine's).
    one = statistics.median(run.rps for run in rows[2].runs["agora"])
    two_workers = start_agora(workers=2)
    try:
        token2, _ = login(two_workers.url, first)
        wrk(two_workers.url, scaling, token2, WARMUP)
        runs = [wrk(two_workers.url, scaling, token2, DURATION).rps for _ in range(ROUNDS - 1)]
        last, two_cores, postgres_cores = cores_used(
            two_workers.pid, lambda: wrk(two_workers.url, scaling, token2, DURATION)
        )
        two = statistics.median([*runs, last.rps])
    finally:
        two_workers.stop()
    results["workers"] = {
        "scenario": scaling.name,
        "one_worker_rps": round(one, 1),
        "two_workers_rps": round(two, 1),
        "ratio": round(two / one, 3),
        "one_worker_cores": round(one_cores, 2),
        "two_workers_cores": round(two_cores, 2),
        "postgres_cores_with_two": round(postgres_cores, 2),
        "per_core_ratio": round((last.rps / two_cores) / (one_run.rps / one_cores), 3),
    }

    before = compare(table)
    print_table(table, before)
    say(
        f"\nlogin (Argon2 by design, Agora only): {login_run.rps:.0f} r/s, "
        f"p50 {login_run.p50_ms:.1f} ms, p99 {login_run.p99_ms:.1f} ms"
    )
    workers = results["workers"]
    say(
        f"2 workers / 1 worker ({scaling.name}): {workers['two_workers_rps']:.0f} / "
        f"{workers['one_worker_rps']:.0f} = {workers['ratio']:.2f} (target >= {WORKERS_TARGET}); "
        f"cores of Agora {workers['one_worker_cores']:.2f} -> {workers['two_workers_cores']:.2f} "
        f"(PostgreSQL {workers['postgres_cores_with_two']:.2f}, wrk besides): "
        f"{workers['per_core_ratio']:.2f} x the requests per core"
    )
    soak_result = results["soak"]
    say(
        f"soak: {soak_result['requests']} x {soak_result['scenario']} at "
        f"{soak_result['rps']:.0f} r/s, RSS {soak_result['rss_after_warmup_kib']} KiB after "
        f"warm-up -> {soak_result['rss_after_kib']} KiB ({soak_result['drift']:+.1%}, target "
        f"within {RSS_DRIFT_TARGET:.0%}), errors {soak_result['errors']}"
    )
    if before:
        say(f"previous results: bench/results/{before['file']}")
    results["targets"] = {
        "scenarios": all(row["target_met"] for row in table),
        "workers": workers["ratio"] >= WORKERS_TARGET,
        "soak": abs(soak_result["drift"]) <= RSS_DRIFT_TARGET,
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"http_api-{stamp}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    say(f"results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
