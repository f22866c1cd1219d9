"""The account emails go to a real SMTP server (aiosmtpd); tests read the links in them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app
from tests.notifications.smtp import Received, SmtpServer
from tests.servers import free_port
from tests.support import running

PUBLIC_URL = "https://agora.example"
VERIFY_EMAIL = "/api/v1/auth/verify-email"
RESEND = "/api/v1/auth/verify-email/resend"
FORGOT = "/api/v1/auth/forgot-password"
RESET = "/api/v1/auth/reset-password"
REGISTER = "/api/v1/auth/register"
ME = "/api/v1/users/me"

Serve = Callable[..., Any]  # serve(**settings) -> async context manager of a client


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def account_settings(
    make_settings: Callable[..., Settings], smtp_server: SmtpServer
) -> Callable[..., Settings]:
    """Settings that mail through the SMTP server, with links on PUBLIC_URL."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "EMAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_server.port,
            "SMTP_TIMEOUT": 5,
            "PUBLIC_URL": PUBLIC_URL,
        }
        values.update(overrides)
        return make_settings(**values)

    return make


@pytest.fixture
def serve(account_settings: Callable[..., Settings], client: httpx.AsyncClient) -> Serve:
    """An app of its own (account_settings, overridden) that mails through the SMTP server.
    `client` (the suite's) empties the shared database after the test."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        async with running(create_app(account_settings(**overrides))) as served:
            yield served.client

    return start


@pytest.fixture
async def http(serve: Serve) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with the default account settings, mailing through SMTP."""
    async with serve() as client:
        yield client


def mails(smtp_server: SmtpServer, subject: str, to: str | None = None) -> list[Received]:
    return [
        mail
        for mail in smtp_server.collector.received
        if mail.message["Subject"] == subject and (to is None or mail.rcpt_tos == [to])
    ]


def link_in(mail: Received, page: str) -> str:
    """The token of the `{PUBLIC_URL}/{page}?token=...` link in a delivered email."""
    match = re.search(rf"{re.escape(PUBLIC_URL)}/{page}\?token=([A-Za-z0-9_-]+)", mail.body)
    assert match, mail.body
    token = match[1]
    assert len(token) >= 32
    return token


async def wait_for_mail(
    smtp_server: SmtpServer, subject: str, to: str | None = None, *, count: int = 1
) -> list[Received]:
    """The first `count` emails with this subject (and recipient) the server received."""
    import asyncio

    for _ in range(500):
        found = mails(smtp_server, subject, to)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"expected {count} emails {subject!r} to {to}, got {len(found)}")
