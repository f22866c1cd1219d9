"""Benchmark: GET /api/v1/users/me with tracing off against a baseline revision, and with it on.

Workload: the same PostgreSQL database as bench/http_api.py (BENCH_DATABASE_URL, recreated and
filled with USERS users and POSTS posts). Three one-worker uvicorn servers (uvloop, httptools,
no access log) serve it side by side:

- `baseline`: the app as of BENCH_BASELINE (default: the merge base with `main`), extracted
  with `git archive` and run from the same environment;
- `off`: this checkout, tracing off (no OTEL_* set: the default);
- `on`: this checkout with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a local sink that accepts
  every export (spans of the request, its statements, batched and sent over HTTP).

wrk drives each at 32 connections (2 threads) after a warm-up, ROUNDS rounds of DURATION
seconds, the order rotating every round; the table shows the median req/s, p50 and p99 of the
rounds, the ratio of the medians to the baseline's, and the median of the per-round ratios
(each round's runs are back to back, so that ratio is the one least moved by other load on the
machine), and the server's CPU time per request (user + system, from /proc: the figure other
load on a shared machine moves least). Target: `off` / `baseline` paired req/s >= 0.97 or CPU
per request <= 1/0.97 (no regression beyond noise). Results go to
bench/results/tracing-<UTC time>.json, with the load average.

Run: `make bench`, or `.venv/bin/python bench/tracing.py` (ROUNDS=5 DURATION=8 WARMUP=3
BENCH_BASELINE=<rev>). Needs wrk (see bench/http_api.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_api import (
    DURATION,
    RESULTS,
    ROOT,
    WARMUP,
    Process,
    Run,
    Scenario,
    agora_env,
    ensure_wrk,
    fill,
    free_port,
    login,
    machine,
    reset_database,
    say,
    wrk,
)

ROUNDS = int(os.environ.get("ROUNDS", "5"))
NO_REGRESSION = 0.97


class Sink(BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint that accepts every export and keeps nothing."""

    exports = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Sink.exports += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def baseline_revision() -> str:
    wanted = os.environ.get("BENCH_BASELINE")
    if wanted:
        return wanted
    merge_base = subprocess.run(
        ["git", "merge-base", "HEAD", "main"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return merge_base.stdout.strip()


def extract(revision: str) -> Path:
    directory = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    archive = subprocess.run(  # noqa: S603
        ["git", "archive", revision],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    subprocess.run(  # noqa: S603
        ["tar", "-x", "-C", str(directory)],  # noqa: S607
        input=archive.stdout,
        check=True,
    )
    return directory


def start(name: str, app_dir: Path, env: dict[str, str]) -> Process:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "app.main:app", "--app-dir", str(app_dir),
        "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--no-proxy-headers", "--log-level", "warning",
    ]  # fmt: skip
    return Process(name, command, env, port)


def main() -> None:
    ensure_wrk()
    RESULTS.mkdir(parents=True, exist_ok=True)
    revision = baseline_revision()
    baseline_dir = extract(revision)
    say(f"baseline {revision[:12]} in {baseline_dir}")
    asyncio.run(reset_database())

    sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    traced_env = agora_env()
    traced_env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{sink.server_address[1]}"

    servers: dict[str, Process] = {}
    runs: dict[str, list[Run]] = {}
    cpu_us: dict[str, list[float]] = {}
    try:
        servers["baseline"] = start("baseline", baseline_dir, agora_env())
        first, _ = asyncio.run(fill())
        servers["off"] = start("off", ROOT, agora_env())
        servers["on"] = start("on", ROOT, traced_env)
        assert httpx.get(f"{servers['baseline'].url}/docs/static/swagger-ui.css").status_code == (
            404
        ), "the baseline server runs this checkout, not the baseline"
        token, _ = login(servers["off"].url, first)
        me = Scenario("GET /users/me", "read", "GET", "/api/v1/users/me")
        runs: dict[str, list[Run]] = {name: [] for name in servers}
        cpu_us: dict[str, list[float]] = {name: [] for name in servers}
        names = list(servers)
        for index in range(ROUNDS):
            order = names[index % len(names) :] + names[: index % len(names)]
            for name in order:
                wrk(servers[name].url, me, token, WARMUP)
                before = cpu_seconds(servers[name].pid)
                run = wrk(servers[name].url, me, token, DURATION)
                cpu_us[name].append((cpu_seconds(servers[name].pid) - before) / run.requests * 1e6)
                runs[name].append(run)
                say(
                    f"  round {index + 1} {name:<9}{run.rps:>9.0f} r/s  p50 {run.p50_ms:.2f}"
                    f"  p99 {run.p99_ms:.2f}  cpu {cpu_us[name][-1]:.0f} us/request"
                    + (f"  errors {run.errors}" if run.errors else "")
                )
    finally:
        for server in servers.values():
            server.stop()
        sink.shutdown()

    def median(name: str, attribute: str) -> float:
        return statistics.median(getattr(run, attribute) for run in runs[name])

    base_rps = median("baseline", "rps")

    def paired(name: str) -> float:
        return statistics.median(
            run.rps / base.rps for run, base in zip(runs[name], runs["baseline"], strict=True)
        )

    rows = [
        {
            "variant": name,
            "rps": round(median(name, "rps"), 1),
            "p50_ms": round(median(name, "p50_ms"), 2),
            "p99_ms": round(median(name, "p99_ms"), 2),
            "ratio_to_baseline": round(median(name, "rps") / base_rps, 3),
            "paired_ratio": round(paired(name), 3),
            "cpu_us_per_request": round(statistics.median(cpu_us[name]), 1),
            "cpu_ratio": round(
                statistics.median(cpu_us[name]) / statistics.median(cpu_us["baseline"]), 3
            ),
            "errors": sum(run.errors for run in runs[name]),
            "rounds_rps": [round(run.rps, 1) for run in runs[name]],
        }
        for name in names
    ]
    say("")
    say(f"GET /api/v1/users/me, one worker, {ROUNDS} alternating rounds of {DURATION} s")
    say(
        f"{'variant':<10}{'r/s':>9}{'p50':>8}{'p99':>8}{'ratio':>8}{'paired':>8}"
        f"{'cpu us':>8}{'cpu x':>7}"
    )
    for row in rows:
        say(
            f"{row['variant']:<10}{row['rps']:>9.0f}{row['p50_ms']:>8.2f}{row['p99_ms']:>8.2f}"
            f"{row['ratio_to_baseline']:>8.3f}{row['paired_ratio']:>8.3f}"
            f"{row['cpu_us_per_request']:>8.0f}{row['cpu_ratio']:>7.3f}"
        )
    off = next(row for row in rows if row["variant"] == "off")
    # CPU time per request is what other load on the machine moves least.
    met = off["paired_ratio"] >= NO_REGRESSION or off["cpu_ratio"] <= 1 / NO_REGRESSION
    say(
        f"tracing off / baseline: req/s {off['ratio_to_baseline']:.3f}, paired "
        f"{off['paired_ratio']:.3f}, CPU per request {off['cpu_ratio']:.3f} (target: paired req/s "
        f">= {NO_REGRESSION} or CPU per request <= {1 / NO_REGRESSION:.3f}: "
        f"{'ok' if met else 'MISS'}); "
        f"{Sink.exports} OTLP exports received from the traced server"
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"tracing-{stamp}.json"
    result = {
        "machine": {**machine(), "rounds": ROUNDS, "load_average": os.getloadavg()},
        "when": datetime.now(UTC).isoformat(),
        "baseline": revision,
        "scenario": "GET /api/v1/users/me",
        "variants": rows,
        "otlp_exports": Sink.exports,
        "target_met": met,
    }
    out.write_text(json.dumps(result, indent=2) + "\n")
    say(f"results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
