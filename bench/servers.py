"""Benchmark: Agora under uvicorn against Agora under Granian, over HTTP with wrk.

Workload: bench/http_api.py's (a fresh PostgreSQL database, BENCH_DATABASE_URL, with USERS
users and POSTS posts; wrk at 32 connections and 2 threads on the same machine). The same
Agora runs twice side by side, one worker each, no access log, LOG_LEVEL=WARNING:
- uvicorn with uvloop and httptools (`bench/http_api.py`'s command line);
- Granian (ASGI interface, uvloop, one runtime thread, its defaults otherwise);
- with SERVERS=uvicorn,granian,granian-rust, also Granian with its Rust task implementation
  (`--task-impl rust`, Python < 3.12 only).
GET /health and GET /api/v1/users/me, ROUNDS rounds of DURATION seconds each after a
warm-up, the servers alternating (the order rotates each round); each run is printed with
the load average at its start (`/proc/loadavg`), then the medians and Granian / uvicorn.

Run: `.venv/bin/python bench/servers.py` (ROUNDS=4 DURATION=8 WARMUP=3 USERS=1000 POSTS=10000
as in bench/http_api.py). Results go to bench/results/servers-<UTC time>.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_api as bench

ROUNDS = int(os.environ.get("ROUNDS", "4"))
SERVERS = os.environ.get("SERVERS", "uvicorn,granian").split(",")


def start_granian(*options: str) -> bench.Process:
    port = bench.free_port()
    command = [
        sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1", "--loop", "uvloop", "--no-access-log",
        "--log-level", "warning", *options, "app.main:app",
    ]  # fmt: skip
    return bench.Process("agora-granian", command, bench.agora_env(), port)


GRANIANS = {"granian": (), "granian-rust": ("--task-impl", "rust")}


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    bench.ensure_wrk()
    bench.RESULTS.mkdir(parents=True, exist_ok=True)
    asyncio.run(bench.reset_database())
    if SERVERS[0] != "uvicorn" or not set(SERVERS[1:]) <= set(GRANIANS):
        raise SystemExit(f"SERVERS: uvicorn first, then any of {', '.join(GRANIANS)}")
    servers = {"uvicorn": bench.start_agora()}
    results: dict[str, Any] = {"machine": bench.machine(), "when": datetime.now(UTC).isoformat()}
    try:
        bench.say(f"filling: {bench.USERS} users, {bench.POSTS} posts")
        first, _ = asyncio.run(bench.fill())
        for name in SERVERS[1:]:
            servers[name] = start_granian(*GRANIANS[name])
        token, _ = bench.login(servers["uvicorn"].url, first)
        chosen = bench.scenarios("unused")[:2]  # GET /health, GET /users/me
        table = []
        for scenario in chosen:
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
            for index in range(ROUNDS):
                order = list(servers.items())
                order = order[index % len(order) :] + order[: index % len(order)]
                for name, process in order:
                    bench.wrk(process.url, scenario, token, bench.WARMUP)
                    load = load_average()
                    run = bench.wrk(process.url, scenario, token, bench.DURATION)
                    runs[name].append({"load": load, **asdict(run)})
                    bench.say(
                        f"  {scenario.name:<14} round {index + 1} {name:<13}{run.rps:>8.0f} r/s"
                        f"  p50 {run.p50_ms:.2f}  p99 {run.p99_ms:.2f}  load {load}"
                        + (f"  errors {run.errors}" if run.errors else "")
                    )
            row: dict[str, Any] = {"scenario": scenario.name, "runs": runs}
            for name, server_runs in runs.items():
                for key in ("rps", "p50_ms", "p99_ms"):
                    row[f"{name}_{key}"] = statistics.median(run[key] for run in server_runs)
            for name in SERVERS[1:]:
                row[f"{name}_over_uvicorn"] = round(row[f"{name}_rps"] / row["uvicorn_rps"], 3)
            table.append(row)
    finally:
        for process in servers.values():
            process.stop()

    results["scenarios"] = table
    bench.say(f"\n{'scenario':<16}{'server':<14}{'r/s':>8}{'p50 ms':>8}{'p99 ms':>8}")
    for row in table:
        for name in servers:
            bench.say(
                f"{row['scenario']:<16}{name:<14}{row[f'{name}_rps']:>8.0f}"
                f"{row[f'{name}_p50_ms']:>8.2f}{row[f'{name}_p99_ms']:>8.2f}"
            )
        for name in SERVERS[1:]:
            bench.say(f"{'':<16}{name} / uvicorn req/s: {row[f'{name}_over_uvicorn']:.3f}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = bench.RESULTS / f"servers-{stamp}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    bench.say(f"results: {out.relative_to(bench.ROOT)}")


if __name__ == "__main__":
    main()
