"""GET /api/v1/users/me with a personal access token against the same with a JWT, in-process.

Workload: a fresh PostgreSQL database (BENCH_DATABASE_URL, default agora_bench_pat on the local
server; dropped and created anew), migrated by Agora, with one user who has a login (JWT access
token) and a personal access token (scopes read+write). The app is driven as a bare ASGI
callable (bench/cpu_per_request.py's Caller: no server, no client library), one request at a
time: REQUESTS requests per credential after a warm-up, in ROUNDS rounds that alternate which
credential goes first. Both paths cost one query per request (the JWT: its login and user;
the personal token: its digest and owner), and the personal token writes `last_used_at` at
most once a minute, so not inside a round. Prints, per credential, the median wall time and
CPU time (`time.process_time`, the app's own cost; the database is another process) per
request, and the ratios personal token / JWT (a SHA-256 and an indexed lookup instead of an
HMAC check: expected close to 1; the target is <= 1.2).

Run: `make bench`, or `.venv/bin/python bench/pat_vs_jwt.py` (REQUESTS=500 ROUNDS=7 to change).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/agora_bench_pat"
)
import cpu_per_request as base  # noqa: E402 (reads BENCH_DATABASE_URL when imported)

REQUESTS = int(os.environ.get("REQUESTS", "500"))
ROUNDS = int(os.environ.get("ROUNDS", "7"))
TARGET_RATIO = 1.2


async def measure(call: base.Caller, token: str) -> tuple[float, float]:
    """(wall ms, CPU ms) per GET /users/me with `token`."""
    for _ in range(max(50, REQUESTS // 10)):
        status, _ = await call("GET", "/api/v1/users/me", token)
        assert status == 200, status
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(REQUESTS):
        await call("GET", "/api/v1/users/me", token)
    return (
        (time.perf_counter() - wall) / REQUESTS * 1000,
        (time.process_time() - cpu) / REQUESTS * 1000,
    )


async def main() -> None:
    print(__doc__.split("\n\nRun:")[0], flush=True)
    await base.reset_database()
    from app.core.config import Settings
    from app.main import create_app

    settings = Settings(
        _env_file=None, DATABASE_URL=base.DATABASE_URL, SECRET_KEY=base.SECRET_KEY,  # type: ignore[call-arg]
        RATE_LIMIT_ENABLED=False, LOG_LEVEL="WARNING", DATA_DIR=Path(tempfile.mkdtemp()),
    )  # fmt: skip
    app = create_app(settings)
    async with app.router.lifespan_context(app) as lifespan_state:
        call = base.Caller(app, dict(lifespan_state or {}))
        registration = json.dumps(
            {"username": "bench", "email": "bench@example.com", "password": "bench password"}
        ).encode()
        status, _ = await call("POST", "/api/v1/auth/register", None, registration)
        assert status == 201, status
        _, body = await base._login(call, b"username=bench&password=bench+password")
        jwt = json.loads(body)["access_token"]
        request = json.dumps({"name": "bench", "scopes": ["read", "write"]}).encode()
        status, body = await call("POST", "/api/v1/auth/tokens", jwt, request)
        assert status == 201, status
        pat = json.loads(body)["token"]

        results: dict[str, list[tuple[float, float]]] = {"jwt": [], "pat": []}
        for round_ in range(ROUNDS):
            order = [("jwt", jwt), ("pat", pat)]
            for name, token in order if round_ % 2 == 0 else reversed(order):
                results[name].append(await measure(call, token))

    wall = {name: statistics.median(r[0] for r in rows) for name, rows in results.items()}
    cpu = {name: statistics.median(r[1] for r in rows) for name, rows in results.items()}
    print(f"\n{'credential':<24}{'wall ms/request':>18}{'CPU ms/request':>18}")
    print(f"{'JWT access token':<24}{wall['jwt']:>18.3f}{cpu['jwt']:>18.3f}")
    print(f"{'personal access token':<24}{wall['pat']:>18.3f}{cpu['pat']:>18.3f}")
    wall_ratio, cpu_ratio = wall["pat"] / wall["jwt"], cpu["pat"] / cpu["jwt"]
    print(f"{'ratio token / JWT':<24}{wall_ratio:>18.2f}{cpu_ratio:>18.2f}")
    verdict = "met" if max(wall_ratio, cpu_ratio) <= TARGET_RATIO else "MISSED"
    print(f"target <= {TARGET_RATIO}: {verdict}")


if __name__ == "__main__":
    # Keep the database URL the app reads in its own form (as cpu_per_request does).
    os.environ["DATABASE_URL"] = (
        make_url(base.DATABASE_URL).set(drivername="postgresql").render_as_string(False)
    )
    os.environ["SECRET_KEY"] = base.SECRET_KEY
    asyncio.run(main())
