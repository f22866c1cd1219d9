"""Rate-limit hot path: Agora's hand-written GCRA against the `limits` library, same run.

Issue 11: "Measure `limits` against it on the hot path; switch if it is within 10%."

A request costs one decision plus the values of its `RateLimit-*` headers. Both sides go
through the same `RateLimiter` and middleware; only the store differs:

  current   `MemoryStore` / `RedisStore` (app/core/ratelimit.py): GCRA, one dict update or
            one Lua script (EVALSHA) per request
  limits-*  an adapter over `limits.aio` (the one the app would use after a switch):
            `strategy.hit(item, key)` then `strategy.get_window_stats(item, key)` (the
            library's only way to get `remaining` and the reset time), on
            `limits.aio.storage.MemoryStorage` or `RedisStorage(implementation="redispy")`
            sharing the app's `redis.asyncio` connection pool; strategies moving-window,
            sliding-window-counter and fixed-window

Workload, `RATE_LIMIT_DEFAULT=100/minute`, uvloop, one process:
  many keys   10,000 distinct client addresses in turn (each well under its limit: allowed)
  hot key     one address (over its limit after the first 100: refused, with Retry-After)
  in-process  `await limiter.hit_default(address)` + the header values, then one
              `await asyncio.sleep(0)` (a server turns the loop at least once a request, and
              `limits`' memory storage expires keys in a background task that needs it);
              Redis also with 32 requests in flight
  HTTP        GET / called in-process as ASGI through the app's whole middleware stack
              (no socket), the client address varying as in "many keys"

Each scenario runs every contestant for `--seconds` per round, `--rounds` rounds, the order
rotating every round, after a discarded warm-up round; the figure is the median time per
request, and the ratio is limits / current (1.10 = 10% slower). Redis parts are skipped when
`BENCH_REDIS_URL` (default redis://127.0.0.1:6379/14) does not answer; the bench's keys are
deleted at the end. About 2 minutes with the defaults.

    .venv/bin/python bench/ratelimit.py [--rounds 5] [--seconds 0.5] [--only memory,redis,http]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop
from asgi_lifespan import LifespanManager
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import STRATEGIES
from limits.aio.strategies import RateLimiter as LimitsStrategy
from redis.asyncio import Redis
from redis.exceptions import RedisError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.config import Settings  # noqa: E402
from app.core.ratelimit import (  # noqa: E402
    Decision,
    MemoryStore,
    Rate,
    RateLimiter,
    RateLimitStore,
    RedisStore,
)
from app.main import create_app  # noqa: E402

DEFAULT_RATE = "100/minute"
ADDRESSES = [f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" for i in range(10_000)]
HOT = ["192.0.2.1"]
CONCURRENCY = 32
BENCH_PREFIX = "agora:rlbench:"
TOTAL_TIMEOUT_SECONDS = 600.0


class LimitsStore:
    """A `RateLimitStore` over a `limits.aio` strategy: what the app would run after a switch."""

    def __init__(self, strategy: LimitsStrategy) -> None:
        self.strategy = strategy
        self._items: dict[Rate, RateLimitItem] = {}

    def item(self, rate: Rate) -> RateLimitItem:
        item = self._items.get(rate)
        if item is None:
            item = self._items[rate] = RateLimitItemPerSecond(rate.limit, int(rate.period))
        return item

    async def hit(self, key: str, rate: Rate) -> Decision | None:
        item = self.item(rate)
        try:
            allowed = await self.strategy.hit(item, key)
            stats = await self.strategy.get_window_stats(item, key)
        except (OSError, TimeoutError, RedisError):
            return None
        reset_after = max(0.0, stats.reset_time - time.time())
        retry_after = 0.0 if allowed else reset_after
        return Decision(allowed, rate.limit, stats.remaining, reset_after, retry_after)


def settings(data_dir: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        DATABASE_URL=f"sqlite+aiosqlite:///{data_dir}/bench.db",
        DATA_DIR=Path(data_dir),
        SECRET_KEY="bench-secret-key-that-is-long-enough-for-hs256!",  # noqa: S106 (local run)
        RATE_LIMIT_ENABLED=True,
        RATE_LIMIT_DEFAULT=DEFAULT_RATE,
        LOG_LEVEL="WARNING",
        EMAIL_BACKEND="console",
    )


def limits_store(storage: Storage, strategy: str) -> LimitsStore:
    return LimitsStore(STRATEGIES[strategy](storage))


def memory_stores() -> dict[str, Callable[[], RateLimitStore]]:
    stores: dict[str, Callable[[], RateLimitStore]] = {"current": MemoryStore}
    for name in STRATEGIES:
        stores[f"limits-{name}"] = lambda name=name: limits_store(MemoryStorage(), name)
    return stores


def redis_stores(redis: Redis) -> dict[str, Callable[[], RateLimitStore]]:
    def limits_redis(name: str) -> LimitsStore:
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            connection_pool=redis.connection_pool,
            key_prefix=BENCH_PREFIX + name,  # one key space per strategy
        )
        return limits_store(storage, name)

    stores: dict[str, Callable[[], RateLimitStore]] = {
        "current": lambda: RedisStore(redis, prefix=BENCH_PREFIX + "gcra:")
    }
    for name in STRATEGIES:
        stores[f"limits-{name}"] = lambda name=name: limits_redis(name)
    return stores


# --- one round: a contestant for a fixed time --------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    allowed: int = 0


Request = Callable[[str], Awaitable[bool]]  # serve one request from this address: allowed?


async def worker(request: Request, addresses: list[str], deadline: float, tally: Tally) -> None:
    for n, address in enumerate(itertools.cycle(addresses), 1):
        allowed = await request(address)  # not `tally.allowed += await ...`: workers interleave
        tally.allowed += allowed
        tally.requests += 1
        await asyncio.sleep(0)
        if n % 64 == 0 and time.perf_counter() >= deadline:
            return


async def one_round(
    request: Request, addresses: list[str], seconds: float, concurrency: int
) -> tuple[float, Tally]:
    tally = Tally()
    start = time.perf_counter()
    deadline = start + seconds
    # Workers start at different places of the address list, so they don't hit the same key.
    step = max(1, len(addresses) // concurrency)
    await asyncio.gather(
        *(
            worker(request, addresses[i * step :] + addresses[: i * step], deadline, tally)
            for i in range(concurrency)
        )
    )
    elapsed = time.perf_counter() - start
    return elapsed / tally.requests * 1e6, tally


@dataclass
class Result:
    us: list[float] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)


async def settle(stores: list[RateLimitStore]) -> None:
    """Let `limits`' memory expiry sweep finish, so that it does not run in the next round."""
    for store in stores:
        if isinstance(store, LimitsStore) and isinstance(store.strategy.storage, MemoryStorage):
            timer = store.strategy.storage.timer
            if timer is not None:
                await timer


async def scenario(
    title: str,
    contestants: dict[str, Request],
    stores: list[RateLimitStore],
    addresses: list[str],
    args: argparse.Namespace,
    concurrency: int = 1,
) -> dict[str, Result]:
    names = list(contestants)
    results = {name: Result() for name in names}
    for name in names:  # warm-up, discarded
        await one_round(contestants[name], addresses, args.seconds / 2, concurrency)
        await settle(stores)
    for r in range(args.rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            us, tally = await one_round(contestants[name], addresses, args.seconds, concurrency)
            await settle(stores)
            results[name].us.append(us)
            results[name].tally.requests += tally.requests
            results[name].tally.allowed += tally.allowed
    report(title, results)
    return results


def report(title: str, results: dict[str, Result]) -> None:
    print(f"\n{title}")
    base = statistics.median(results["current"].us)
    print(
        f"  {'store':<30} {'us/request':>10} {'min..max':>15} {'limits/current':>14} {'allowed':>8}"
    )
    for name, result in results.items():
        median = statistics.median(result.us)
        spread = f"{min(result.us):.1f}..{max(result.us):.1f}"
        ratio = "" if name == "current" else f"{median / base:.2f}"
        allowed = result.tally.allowed / max(1, result.tally.requests)
        print(f"  {name:<30} {median:>10.1f} {spread:>15} {ratio:>14} {allowed:>8.0%}")


# --- the three parts ---------------------------------------------------------------------------


def limiter_requests(
    base: Settings, stores: dict[str, Callable[[], RateLimitStore]]
) -> tuple[dict[str, Request], dict[str, RateLimitStore]]:
    requests: dict[str, Request] = {}
    built: dict[str, RateLimitStore] = {}
    for name, make in stores.items():
        limiter = RateLimiter(base, store=make())
        built[name] = limiter.store

        async def request(address: str, limiter: RateLimiter = limiter) -> bool:
            decision = await limiter.hit_default(address)
            assert decision is not None
            decision.headers()
            return decision.allowed

        requests[name] = request
    return requests, built


def held_keys(store: RateLimitStore) -> int:
    if isinstance(store, MemoryStore):
        return len(store)
    if isinstance(store, LimitsStore) and isinstance(store.strategy.storage, MemoryStorage):
        storage = store.strategy.storage
        return len(storage.events) + len(storage.storage)
    return -1


async def bench_memory(base: Settings, args: argparse.Namespace) -> None:
    for title, addresses in (("many keys", ADDRESSES), ("hot key", HOT)):
        requests, built = limiter_requests(base, memory_stores())
        stores = list(built.values())
        await scenario(f"memory, {title}, in-process", requests, stores, addresses, args)
        if addresses is ADDRESSES:
            held = ", ".join(f"{name} {held_keys(store)}" for name, store in built.items())
            print(f"  keys held at the end: {held}")


async def bench_redis(base: Settings, args: argparse.Namespace, redis: Redis) -> None:
    for title, addresses, concurrency in (
        ("many keys", ADDRESSES, 1),
        ("hot key", HOT, 1),
        (f"many keys, {CONCURRENCY} in flight", ADDRESSES, CONCURRENCY),
    ):
        requests, built = limiter_requests(base, redis_stores(redis))
        stores = list(built.values())
        await scenario(
            f"Redis, {title}, in-process", requests, stores, addresses, args, concurrency
        )
        await delete_bench_keys(redis)


@contextlib.asynccontextmanager
async def running_app(base: Settings) -> AsyncIterator[Any]:
    application = create_app(base)
    async with LifespanManager(application, startup_timeout=60):
        yield application


def http_request(application: Any, store: RateLimitStore) -> Request:
    limiter: RateLimiter = application.state.rate_limiter

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def request(address: str) -> bool:
        limiter.store = store
        status = 0

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/",
            "raw_path": b"/",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"bench"), (b"user-agent", b"bench")],
            "client": (address, 40000),
            "server": ("127.0.0.1", 8000),
        }
        await application(scope, receive, send)
        assert status in (200, 429), status
        return status == 200

    return request


async def bench_http(base: Settings, args: argparse.Namespace, redis: Redis | None) -> None:
    async with running_app(base) as application:
        parts = [("memory", memory_stores())]
        if redis is not None:
            parts.append(("Redis", redis_stores(redis)))
        for title, stores in parts:
            built = {name: make() for name, make in stores.items()}
            requests = {name: http_request(application, store) for name, store in built.items()}
            await scenario(
                f"HTTP GET / in-process (ASGI), {title}, many keys",
                requests,
                list(built.values()),
                ADDRESSES,
                args,
            )
            if redis is not None:
                await delete_bench_keys(redis)


async def delete_bench_keys(redis: Redis) -> None:
    batch: list[bytes] = []
    async for key in redis.scan_iter(match=BENCH_PREFIX + "*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            await redis.delete(*batch)
            batch.clear()
    if batch:
        await redis.delete(*batch)


async def connect_redis(url: str) -> Redis | None:
    redis = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
    try:
        await redis.ping()
    except (OSError, RedisError) as exc:
        print(f"Redis parts skipped: no Redis at {url} ({exc!r})")
        await redis.aclose()
        return None
    return redis


async def main(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)
    parts = set(args.only.split(","))
    with tempfile.TemporaryDirectory(prefix="bench-rl-") as data_dir:
        base = settings(data_dir)
        redis = await connect_redis(args.redis_url) if parts & {"redis", "http"} else None
        try:
            if "memory" in parts:
                await bench_memory(base, args)
            if "redis" in parts and redis is not None:
                await bench_redis(base, args, redis)
            if "http" in parts:
                await bench_http(base, args, redis)
        finally:
            if redis is not None:
                await delete_bench_keys(redis)
                await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.5, help="length of one round")
    parser.add_argument("--only", default="memory,redis,http")
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    arguments = parser.parse_args()
    print(
        f"rate limit {DEFAULT_RATE}; {len(ADDRESSES):,} addresses or 1; {arguments.rounds} rounds"
        f" of {arguments.seconds} s per contestant, alternating; Python {sys.version.split()[0]},"
        f" uvloop"
    )

    async def bounded() -> None:
        async with asyncio.timeout(TOTAL_TIMEOUT_SECONDS):
            await main(arguments)

    uvloop.run(bounded())
