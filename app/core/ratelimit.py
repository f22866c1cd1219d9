"""Rate limiting: GCRA over an in-memory or a Redis store, applied by pure ASGI middleware.

The algorithm is GCRA (the generic cell rate algorithm, a leaky bucket expressed as one
timestamp): a key's whole state is its *theoretical arrival time* (TAT), one float. A rate
of `limit` per `period` spaces requests `period / limit` apart and allows a burst of `limit`;
a request is refused while `TAT - period` lies in the future. When `TAT` is in the past the key
holds its full quota again and its state can be forgotten, which is how idle keys expire:

- `MemoryStore` (one process) keeps the keys in least-recently-updated order and drops
  expired ones from the front as it goes (O(1) memory per active key; a key idle for a
  whole period is always gone), with a hard cap as a safety net.
- `RedisStore` (every process and host) runs one Lua script per request, atomically, with
  Redis's clock; the key carries a TTL equal to its remaining state, so Redis expires it.
  If Redis cannot be reached the request is served (fail open), the failure is logged at
  most once per interval, and Redis is left alone for a short back-off.

`RATE_LIMIT_DEFAULT` applies per client address to every HTTP route except the exempt paths
(`RateLimitMiddleware`); `RATE_LIMIT_LOGIN` applies per address and username to the login
route (`login_rate_limit`, a dependency). The client address is `scope["client"]`, which
`ClientAddressMiddleware` (app/core/middleware.py), outermost in the app, rewrites from
`X-Forwarded-For` only when the peer is one of `FORWARDED_ALLOW_IPS`.

Why not the `limits` library: measured against it on the hot path (bench/ratelimit.py, figures
in bench/results/NOTES.md), a whole in-process GET / took 1.4-2.5x as long with it, and the
limiter alone 1.9-4x with Redis and 3-88x in memory. It needs two storage calls (`hit`, then
`get_window_stats`) for a decision plus the `RateLimit-*` values, where one GCRA step gives
both, and its memory storage re-scans every key in a background task while requests come.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Protocol

from fastapi import Form, Request
from redis.exceptions import RedisError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings, parse_rate
from app.core.errors import RateLimited, error_response
from app.core.state import state_of
from app.core.throttle import ThrottledLog

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("app.ratelimit")

EXEMPT_PATHS = frozenset({"/health", "/docs", "/redoc", "/openapi.json"})
# /admin/statics/: the console's CSS, JS and fonts (a dozen files a page); its pages and its
# sign-in (which also takes RATE_LIMIT_LOGIN) are limited like any route.
EXEMPT_PREFIXES = ("/health/", "/docs/", "/admin/statics/")


def is_exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES)


@dataclass(frozen=True, slots=True)
class Rate:
    limit: int
    period: float  # seconds

    @classmethod
    def parse(cls, value: str) -> Rate:
        limit, period = parse_rate(value)
        return cls(limit, period)

    @property
    def interval(self) -> float:
        """Seconds between two requests at the sustained rate (GCRA's emission interval)."""
        return self.period / self.limit


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: float  # seconds until the full quota is back
    retry_after: float  # seconds until the next request would be allowed (0 when allowed)

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(max(0, math.ceil(self.reset_after))),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers


def gcra(tat: float | None, now: float, rate: Rate) -> tuple[Decision, float | None]:
    """One GCRA step: the decision and the new TAT to store (None: leave the state as it is)."""
    interval = rate.interval
    tat = now if tat is None or tat < now else tat
    new_tat = tat + interval
    allow_at = new_tat - rate.period
    if now < allow_at:
        remaining_after = tat - now
        return Decision(False, rate.limit, 0, remaining_after, allow_at - now), None
    remaining = int((rate.period - (new_tat - now)) / interval + 1e-9)
    return Decision(True, rate.limit, max(0, remaining), new_tat - now, 0.0), new_tat


class RateLimitStore(Protocol):
    async def hit(self, key: str, rate: Rate) -> Decision | None:
        """Count one request for `key`; None when the store cannot decide (fail open)."""
        ...


class MemoryStore:
    """GCRA state of one process: `key -> TAT`, least recently updated first."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
        sweep_batch: int = 16,
    ) -> None:
        self._clock = clock
        self._tats: OrderedDict[str, float] = OrderedDict()
        self._max_keys = max_keys
        self._sweep_batch = sweep_batch

    def __len__(self) -> int:
        return len(self._tats)

    def _sweep(self, now: float) -> None:
        # A key's TAT is at most one period after its last update, so the least recently
        # updated keys are the first to expire: drop expired ones from the front. A key idle
        # for a full period is therefore always gone after the next few requests.
        for _ in range(self._sweep_batch):
            if not self._tats:
                return
            key, tat = next(iter(self._tats.items()))
            if tat > now and len(self._tats) <= self._max_keys:
                return
            del self._tats[key]

    async def hit(self, key: str, rate: Rate) -> Decision:
        now = self._clock()
        decision, new_tat = gcra(self._tats.get(key), now, rate)
        if new_tat is not None:
            self._tats[key] = new_tat
            self._tats.move_to_end(key)
        self._sweep(now)
        return decision


# KEYS[1]: the key. ARGV[1]: period in microseconds, ARGV[2]: limit.
# Returns {allowed, remaining, reset_after_us, retry_after_us}. Time comes from Redis, so every
# process agrees on it; microseconds since the epoch fit a Lua double exactly.
GCRA_LUA = """
local period = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local interval = period / limit
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if now < allow_at then
  return {0, 0, math.ceil(tat - now), math.ceil(allow_at - now)}
end
local ttl_ms = math.ceil((new_tat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl_ms)
local remaining = math.floor((period - (new_tat - now)) / interval + 1e-9)
return {1, remaining, math.ceil(new_tat - now), 0}
"""


class RedisStore:
    """GCRA shared by every process: one atomic Lua script per request."""

    def __init__(
        self,
        redis: Redis,
        prefix: str = "agora:rl:",
        backoff: float = 1.0,
        log_interval: float = 30.0,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(GCRA_LUA)
        self._backoff = backoff
        self._down_until = 0.0
        self._failures = ThrottledLog(logger, log_interval)

    async def hit(self, key: str, rate: Rate) -> Decision | None:
        now = time.monotonic()
        if now < self._down_until:
            return None  # Redis failed a moment ago: don't make every request wait on it
        try:
            allowed, remaining, reset_us, retry_us = await self._script(
                keys=[self._prefix + key],
                args=[round(rate.period * 1_000_000), rate.limit],
            )
        except (OSError, TimeoutError, RedisError) as exc:
            self._down_until = now + self._backoff
            self._failures.warning("rate limiting is off (fail open): Redis failed", exc)
            return None
        return Decision(
            bool(allowed),
            rate.limit,
            int(remaining),
            int(reset_us) / 1_000_000,
            int(retry_us) / 1_000_000,
        )


class RateLimiter:
    """The app's limits over its store (`AppState.rate_limiter`, built by the lifespan)."""

    def __init__(self, settings: Settings, store: RateLimitStore | None = None) -> None:
        self.enabled = settings.RATE_LIMIT_ENABLED
        self.default = Rate.parse(settings.RATE_LIMIT_DEFAULT)
        self.login = Rate.parse(settings.RATE_LIMIT_LOGIN)
        self.store: RateLimitStore = store or MemoryStore()

    async def hit_default(self, address: str) -> Decision | None:
        return await self.store.hit(f"ip:{address}", self.default)

    async def hit_login(self, address: str, username: str) -> Decision | None:
        # Hash the case-folded username: bounded key size whatever the client sends.
        digest = hashlib.sha256(username.casefold().encode()).hexdigest()[:32]
        return await self.store.hit(f"login:{address}:{digest}", self.login)


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def rate_limited(decision: Decision) -> RateLimited:
    retry = max(1, math.ceil(decision.retry_after))
    return RateLimited(f"Too many requests; retry in {retry} s", headers=decision.headers())


SCOPE_KEY = "agora.ratelimit"


class LimitHeaders:
    """The `RateLimit-*` headers a response will carry; a stricter limit may replace them."""

    __slots__ = ("headers",)

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


class RateLimitMiddleware:
    """`RATE_LIMIT_DEFAULT` per client address on every HTTP route but the exempt ones.

    Every response of a limited route carries `RateLimit-*`: the default limit's, or those of
    a stricter limit the route applied itself (login), which it leaves in
    `scope["agora.ratelimit"]` so they reach error responses too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # CORS preflights never get here: the CORS middleware, outside this one, answers them.
        if scope["type"] != "http" or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        limiter = state_of(scope).rate_limiter
        if not limiter.enabled:
            await self.app(scope, receive, send)
            return

        decision = await limiter.hit_default(client_address(scope))
        if decision is None:  # the store failed: serve the request (fail open)
            await self.app(scope, receive, send)
            return
        if not decision.allowed:
            await error_response(rate_limited(decision))(scope, receive, send)
            return

        limit_headers = LimitHeaders(decision.headers())
        scope[SCOPE_KEY] = limit_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in limit_headers.headers.items():
                    response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def login_rate_limit(request: Request, username: Annotated[str, Form()]) -> None:
    """`RATE_LIMIT_LOGIN` per client address and username (case-folded) on login.

    A dependency rather than middleware: the username is in the form body, which FastAPI
    parses for the route anyway. Middleware would have to buffer and parse the body itself
    (urlencoded and multipart) and replay it to the app through a wrapped `receive`,
    duplicating the framework's form handling; here the limit sits next to the route it guards.
    """
    await enforce_login_limit(request, username)


async def enforce_login_limit(request: Request, identity: str) -> None:
    """`RATE_LIMIT_LOGIN` for this client address and `identity` (a username as typed, or
    `mfa:<user id>` for the second step of a login, app/mfa/router.py)."""
    limiter = state_of(request.scope).rate_limiter
    if not limiter.enabled:
        return
    apply_route_limit(
        request.scope, await limiter.hit_login(client_address(request.scope), identity)
    )


def apply_route_limit(scope: Scope, decision: Decision | None) -> None:
    """The answer of a route's own, stricter limit (login, account emails): its headers
    replace the default limit's on the response, success or error alike; refused, 429.
    None (the store failed) lets the request through, as every limit fails open."""
    if decision is None:
        return
    limit_headers = scope.get(SCOPE_KEY)
    if isinstance(limit_headers, LimitHeaders):
        limit_headers.headers = decision.headers()
    if not decision.allowed:
        raise rate_limited(decision)
