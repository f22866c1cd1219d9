"""Resend and forgot-password are limited per target email (whoever asks) and per client
address (whatever it asks for): `RATE_LIMIT_EMAIL`, `RATE_LIMIT_EMAIL_CLIENT`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.accounts.conftest import FORGOT, RESEND, Serve
from tests.assertions import assert_error
from tests.conftest import UserFactory
from tests.notifications.smtp import SmtpServer

pytestmark = pytest.mark.timeout(60)

PATHS = [pytest.param(RESEND, id="resend"), pytest.param(FORGOT, id="forgot-password")]
LIMITS: dict[str, Any] = {
    "RATE_LIMIT_ENABLED": True,
    "RATE_LIMIT_DEFAULT": "1000/minute",
    "RATE_LIMIT_EMAIL": "3/hour",
    "RATE_LIMIT_EMAIL_CLIENT": "5/hour",
}


def sent_from(address: str) -> dict[str, str]:
    # The ASGI transport's peer is 127.0.0.1, a trusted proxy by default.
    return {"X-Forwarded-For": address}


@pytest.fixture
async def limited(serve: Serve) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(**LIMITS) as http:
        yield http


@pytest.mark.parametrize("path", PATHS)
async def test_a_target_email_is_limited_whoever_asks(
    limited: httpx.AsyncClient, path: str
) -> None:
    for i in range(3):
        response = await limited.post(
            path, json={"email": "uma@example.com"}, headers=sent_from(f"203.0.113.{i}")
        )
        assert response.status_code == 202

    refused = await limited.post(
        path, json={"email": "UMA@example.com"}, headers=sent_from("203.0.113.99")
    )

    assert_error(refused, 429, "rate_limited")
    assert refused.headers["RateLimit-Limit"] == "3"
    assert refused.headers["RateLimit-Remaining"] == "0"
    other = await limited.post(
        path, json={"email": "ida@example.com"}, headers=sent_from("203.0.113.99")
    )
    assert other.status_code == 202


@pytest.mark.parametrize("path", PATHS)
async def test_a_client_address_is_limited_whatever_it_asks_for(
    limited: httpx.AsyncClient, path: str
) -> None:
    for i in range(5):
        response = await limited.post(
            path, json={"email": f"user{i}@example.com"}, headers=sent_from("203.0.113.7")
        )
        assert response.status_code == 202

    refused = await limited.post(
        path, json={"email": "user9@example.com"}, headers=sent_from("203.0.113.7")
    )

    assert_error(refused, 429, "rate_limited")
    elsewhere = await limited.post(
        path, json={"email": "user9@example.com"}, headers=sent_from("203.0.113.8")
    )
    assert elsewhere.status_code == 202


async def test_a_refused_request_mails_nothing(
    limited: httpx.AsyncClient, smtp_server: SmtpServer, user_factory: UserFactory
) -> None:
    await user_factory("uma", "uma@example.com")
    for _ in range(4):
        await limited.post(FORGOT, json={"email": "uma@example.com"})

    assert len(smtp_server.collector.received) == 3


async def test_the_two_routes_count_apart(limited: httpx.AsyncClient) -> None:
    for _ in range(3):
        await limited.post(FORGOT, json={"email": "uma@example.com"})

    assert (await limited.post(RESEND, json={"email": "uma@example.com"})).status_code == 202


async def test_an_invalid_body_does_not_count(limited: httpx.AsyncClient) -> None:
    for _ in range(5):
        assert (await limited.post(FORGOT, json={"email": "not an address"})).status_code == 422

    assert (await limited.post(FORGOT, json={"email": "uma@example.com"})).status_code == 202


async def test_a_success_carries_the_stricter_limits_headers(limited: httpx.AsyncClient) -> None:
    response = await limited.post(FORGOT, json={"email": "uma@example.com"})

    assert response.headers["RateLimit-Limit"] == "3"
    assert response.headers["RateLimit-Remaining"] == "2"


async def test_the_limit_is_shared_through_redis(
    serve: Serve,
    redis_url: str,
) -> None:
    async with serve(**LIMITS, REDIS_URL=redis_url) as first:
        for _ in range(3):
            assert (await first.post(FORGOT, json={"email": "uma@example.com"})).status_code == 202
    async with serve(**LIMITS, REDIS_URL=redis_url) as second:
        refused = await second.post(FORGOT, json={"email": "uma@example.com"})

    assert_error(refused, 429, "rate_limited")
