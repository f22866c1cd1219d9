"""Rate limiting: GCRA, idle-key expiry, and the middleware and login limit on both stores."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from app.core.config import Settings
from app.core.ratelimit import MemoryStore, Rate, gcra
from app.main import create_app
from tests.assertions import assert_error, assert_not_ready
from tests.servers import free_port
from tests.support import running

pytestmark = pytest.mark.timeout(60)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the algorithm ---------------------------------------------------------------------------


def test_gcra_allows_a_burst_of_limit_then_refuses() -> None:
    rate = Rate(limit=5, period=10.0)
    tat: float | None = None
    remaining = []
    for _ in range(5):
        decision, tat = gcra(tat, 0.0, rate)
        assert decision.allowed
        remaining.append(decision.remaining)
    assert remaining == [4, 3, 2, 1, 0]
    refused, unchanged = gcra(tat, 0.0, rate)
    assert not refused.allowed
    assert unchanged is None
    assert refused.retry_after == pytest.approx(2.0)  # one emission interval
    assert refused.headers()["Retry-After"] == "2"
    # One interval later exactly one request is allowed again.
    again, _ = gcra(tat, 2.0, rate)
    assert again.allowed
    assert again.remaining == 0


def test_gcra_quota_comes_back_fully_after_a_period() -> None:
    rate = Rate(limit=3, period=60.0)
    tat: float | None = None
    for _ in range(3):
        _, tat = gcra(tat, 0.0, rate)
    decision, _ = gcra(tat, 60.0, rate)
    assert decision.allowed
    assert decision.remaining == 2
    assert decision.headers() == {
        "RateLimit-Limit": "3",
        "RateLimit-Remaining": "2",
        "RateLimit-Reset": "20",
    }


async def test_memory_store_evicts_idle_keys() -> None:
    """Memory does not grow with the number of distinct clients seen once."""
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    rate = Rate(limit=10, period=1.0)
    sizes = []
    for i in range(20_000):
        clock.now += 0.001  # 1,000 new clients a second, each seen once
        assert (await store.hit(f"client-{i}", rate)).allowed
        sizes.append(len(store))
    # A key seen once holds state for one interval (0.1 s): about 100 live keys at a time.
    assert max(sizes) <= 150
    clock.now += 10
    for _ in range(10):
        await store.hit("late", rate)
    assert len(store) <= 1


async def test_memory_store_caps_its_size() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock, max_keys=100)
    rate = Rate(limit=1, period=3600.0)  # nothing expires during the test
    for i in range(1000):
        await store.hit(f"k{i}", rate)
    assert len(store) <= 101


async def test_memory_store_counts_per_key() -> None:
    store = MemoryStore(clock=FakeClock())
    rate = Rate(limit=2, period=60.0)
    assert (await store.hit("a", rate)).allowed
    assert (await store.hit("a", rate)).allowed
    assert not (await store.hit("a", rate)).allowed
    assert (await store.hit("b", rate)).allowed


# --- the middleware and the login limit, on both stores --------------------------------------


@pytest.fixture(params=["memory", "redis"])
def store_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "redis":
        return {"REDIS_URL": request.getfixturevalue("redis_url")}
    return {}


@pytest.fixture
def limited_app_factory(
    make_settings: Callable[..., Settings], store_overrides: dict[str, Any]
) -> Callable[..., Any]:
    def factory(**overrides: Any) -> Any:
        values: dict[str, Any] = {
            "RATE_LIMIT_ENABLED": True,
            "RATE_LIMIT_DEFAULT": "20/minute",
            "RATE_LIMIT_LOGIN": "5/minute",
            **store_overrides,
            **overrides,
        }
        return create_app(make_settings(**values))

    return factory


@pytest.fixture
async def limited(limited_app_factory: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    application = limited_app_factory()
    async with running(application) as served:
        yield served.client


def assert_integer_headers(response: httpx.Response) -> None:
    for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
        assert response.headers[name].isdigit(), (name, response.headers.get(name))


async def test_default_limit_headers_then_429(limited: httpx.AsyncClient) -> None:
    for expected_remaining in range(19, -1, -1):
        response = await limited.get("/")
        assert response.status_code == 200
        assert_integer_headers(response)
        assert response.headers["RateLimit-Limit"] == "20"
        assert int(response.headers["RateLimit-Remaining"]) == expected_remaining
        assert 0 < int(response.headers["RateLimit-Reset"]) <= 60

    refused = await limited.get("/")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["detail"]
    assert refused.headers["Retry-After"].isdigit()
    assert 1 <= int(refused.headers["Retry-After"]) <= 3  # one interval of 60/20 s
    assert_integer_headers(refused)
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert refused.headers["X-Request-ID"]
    # Every route is limited, not only the one that used the quota up.
    assert_error(await limited.get("/api/v1/users/me"), 429, "rate_limited")


async def test_limit_is_per_client_address(limited: httpx.AsyncClient) -> None:
    # The ASGI transport's peer is 127.0.0.1, a trusted proxy by default.
    for _ in range(20):
        assert (await limited.get("/", headers={"X-Forwarded-For": "203.0.113.7"})).is_success
    refused = await limited.get("/", headers={"X-Forwarded-For": "203.0.113.7"})
    assert_error(refused, 429, "rate_limited")
    other = await limited.get("/", headers={"X-Forwarded-For": "203.0.113.8"})
    assert other.status_code == 200
    assert other.headers["RateLimit-Remaining"] == "19"


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    limited_app_factory: Callable[..., Any],
) -> None:
    application = limited_app_factory(FORWARDED_ALLOW_IPS="10.1.2.3")
    async with running(application) as served:
        http = served.client
        for i in range(20):
            response = await http.get("/", headers={"X-Forwarded-For": f"198.51.100.{i}"})
            assert response.status_code == 200
        spoofed = await http.get("/", headers={"X-Forwarded-For": "198.51.100.200"})
        assert_error(spoofed, 429, "rate_limited")


async def test_exempt_paths_are_never_limited(limited: httpx.AsyncClient) -> None:
    for _ in range(21):
        await limited.get("/")
    assert_error(await limited.get("/"), 429, "rate_limited")
    for path in ("/health", "/health/ready", "/docs", "/redoc", "/openapi.json"):
        for _ in range(3):
            response = await limited.get(path)
            assert response.status_code == 200, path
            assert "RateLimit-Limit" not in response.headers, path


async def test_login_limit_per_address_and_username(limited: httpx.AsyncClient) -> None:
    form = {"username": "Mallory", "password": "wrong password"}
    for expected_remaining in range(4, -1, -1):
        response = await limited.post("/api/v1/auth/login", data=form)
        assert_error(response, 401, "invalid_credentials")
        # The stricter login limit's headers replace the default limit's.
        assert response.headers["RateLimit-Limit"] == "5"
        assert int(response.headers["RateLimit-Remaining"]) == expected_remaining
    # Case-folded: MALLORY is the same username.
    refused = await limited.post(
        "/api/v1/auth/login", data={"username": "MALLORY", "password": "x"}
    )
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Limit"] == "5"
    # Another username from the same address, and the same username from another address.
    other_user = await limited.post(
        "/api/v1/auth/login", data={"username": "trudy", "password": "x"}
    )
    assert_error(other_user, 401, "invalid_credentials")
    other_address = await limited.post(
        "/api/v1/auth/login", data=form, headers={"X-Forwarded-For": "192.0.2.99"}
    )
    assert_error(other_address, 401, "invalid_credentials")


async def test_login_still_works_under_the_limit(
    limited: httpx.AsyncClient, user_factory: Any
) -> None:
    await user_factory("carol", "carol@example.com")
    response = await limited.post(
        "/api/v1/auth/login", data={"username": "Carol", "password": "correct horse battery"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"
    assert response.headers["RateLimit-Limit"] == "5"


async def test_disabled_means_no_limit_and_no_headers(
    make_settings: Callable[..., Settings],
) -> None:
    application = create_app(make_settings(RATE_LIMIT_ENABLED=False, RATE_LIMIT_DEFAULT="1/hour"))
    async with running(application) as served:
        http = served.client
        for _ in range(3):
            response = await http.get("/")
            assert response.status_code == 200
            assert "RateLimit-Limit" not in response.headers


# --- Redis down: fail open, log once, readiness says so ---------------------------------------


async def test_redis_down_fails_open_and_logs_once(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    application = create_app(
        make_settings(RATE_LIMIT_ENABLED=True, RATE_LIMIT_DEFAULT="2/minute", REDIS_URL=dead)
    )
    async with running(application) as served:
        # Don't let the back-off hide the repeated failures: every request tries Redis.
        served.state.rate_limiter.store._backoff = 0.0  # type: ignore[attr-defined]
        http = served.client
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="app.ratelimit"):
            for _ in range(10):
                response = await http.get("/")
                assert response.status_code == 200
        failures = [r for r in caplog.records if "fail open" in r.getMessage()]
        assert len(failures) == 1

        ready = await http.get("/health/ready")
        assert_not_ready(ready, "redis")
        assert ready.json()["checks"]["database"] == "ok"
