"""Welcome and notify emails through a real SMTP server (aiosmtpd), as background tasks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from tests.conftest import HeadersFor, UserFactory
from tests.notifications.smtp import SmtpServer
from tests.servers import free_port
from tests.support import running

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_app_factory(
    make_settings: Callable[..., Settings], client: httpx.AsyncClient
) -> Callable[[int], FastAPI]:
    # `client` empties the database after the test.
    def factory(port: int, **overrides: Any) -> FastAPI:
        return create_app(
            make_settings(
                EMAIL_BACKEND="smtp",
                SMTP_HOST="127.0.0.1",
                SMTP_PORT=port,
                SMTP_TIMEOUT=5,
                EMAIL_FROM="Agora <noreply@agora.test>",
                **overrides,
            )
        )

    return factory


@pytest.fixture
async def smtp_client(
    smtp_app_factory: Callable[[int], FastAPI], smtp_server: SmtpServer
) -> AsyncIterator[httpx.AsyncClient]:
    application = smtp_app_factory(smtp_server.port)
    async with running(application) as served:
        http = served.client
        yield http


REGISTRATION = {"username": "dora", "email": "Dora@Example.com", "password": "s3cret pass!"}


async def test_register_sends_the_welcome_email(
    smtp_client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    response = await smtp_client.post("/api/v1/auth/register", json=REGISTRATION)
    assert response.status_code == 201, response.text

    mail, _verification = await smtp_server.collector.wait_for(2)
    assert mail.rcpt_tos == ["dora@example.com"]
    assert mail.mail_from == "noreply@agora.test"
    assert mail.message["To"] == "dora@example.com"
    assert mail.message["Subject"] == "Welcome!"
    assert "dora" in mail.body
    assert "s3cret" not in mail.body  # never the password


async def test_notify_sends_the_message(
    smtp_client: httpx.AsyncClient,
    smtp_server: SmtpServer,
    user_factory: UserFactory,
    headers_for: HeadersFor,
) -> None:
    user = await user_factory("erin", "erin@example.com")
    response = await smtp_client.post(
        f"/api/v1/users/{user.id}/notify",
        json={"message": "Your report is ready."},
        headers=await headers_for(user),
    )
    assert response.status_code == 202
    assert response.json() == {"message": "Notification will be sent"}

    [mail] = await smtp_server.collector.wait_for(1)
    assert mail.rcpt_tos == ["erin@example.com"]
    assert mail.message["Subject"] == "Notification"
    assert mail.body.strip() == "Your report is ready."


async def test_notify_default_message(
    smtp_client: httpx.AsyncClient,
    smtp_server: SmtpServer,
    user_factory: UserFactory,
    headers_for: HeadersFor,
) -> None:
    user = await user_factory("fay", "fay@example.com")
    response = await smtp_client.post(
        f"/api/v1/users/{user.id}/notify", headers=await headers_for(user)
    )
    assert response.status_code == 202
    [mail] = await smtp_server.collector.wait_for(1)
    assert mail.body.strip() == "Welcome to our platform!"


async def test_with_the_smtp_server_down_the_api_still_answers(
    smtp_app_factory: Callable[[int], FastAPI],
    user_factory: UserFactory,
    headers_for: HeadersFor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    application = smtp_app_factory(free_port())  # nothing listens there
    async with running(application) as served:
        http = served.client
        with caplog.at_level(logging.ERROR, logger="app.email"):
            registered = await http.post(
                "/api/v1/auth/register",
                json=REGISTRATION,
                headers={"X-Request-ID": "req-register-1"},
            )
            user = await user_factory("gil", "gil@example.com")
            notified = await http.post(
                f"/api/v1/users/{user.id}/notify",
                headers={**(await headers_for(user)), "X-Request-ID": "req-notify-1"},
            )
    assert registered.status_code == 201
    assert notified.status_code == 202
    failures = {
        getattr(record, "request_id", None): record
        for record in caplog.records
        if "failed" in record.getMessage()
    }
    # Each failure is logged with the id of the request that queued the email.
    assert {"req-register-1", "req-notify-1"} <= set(failures)
    assert failures["req-register-1"].exc_info is not None
