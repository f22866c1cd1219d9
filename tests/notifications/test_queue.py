"""With REDIS_URL, emails go through the saq job queue and `agora worker` sends them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from saq import Worker

from app.core.config import Settings
from app.core.state import AppState
from app.main import create_app
from app.notifications.queue import EmailContext, build_worker
from tests.notifications.smtp import SmtpServer
from tests.servers import free_port
from tests.support import running

pytestmark = pytest.mark.timeout(60)

REGISTRATION = {"username": "hana", "email": "hana@example.com", "password": "s3cret pass!"}


@pytest.fixture
def queue_settings(
    make_settings: Callable[..., Settings],
    redis_url: str,
    client: httpx.AsyncClient,  # empties the database afterwards
) -> Callable[..., Settings]:
    def factory(smtp_port: int, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "REDIS_URL": redis_url,
            "EMAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_port,
            "SMTP_TIMEOUT": 5,
            **overrides,
        }
        return make_settings(**values)

    return factory


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[AppState, httpx.AsyncClient]]:
    async with running(create_app(settings)) as served:
        yield served.state, served.client


@asynccontextmanager
async def working(worker: Worker[EmailContext]) -> AsyncIterator[Worker[EmailContext]]:
    task = asyncio.create_task(worker.start())
    try:
        yield worker
    finally:
        await worker.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_emails_are_queued_and_the_worker_sends_them(
    queue_settings: Callable[..., Settings],
) -> None:
    smtp = SmtpServer(free_port())
    smtp.start()
    try:
        settings = queue_settings(smtp.port)
        async with serving(settings) as (state, http):
            assert state.email_queue is not None
            response = await http.post("/api/v1/auth/register", json=REGISTRATION)
            assert response.status_code == 201
            await asyncio.sleep(0.3)
            assert smtp.collector.received == []  # queued, not sent by the API
            async with working(build_worker(settings)):
                received = await smtp.collector.wait_for(2)  # the worker's order is its own
        by_subject = {m.message["Subject"]: m for m in received}
        assert set(by_subject) == {"Welcome!", "Verify your email"}
        mail = by_subject["Welcome!"]
        assert mail.rcpt_tos == ["hana@example.com"]
        assert "hana" in mail.body
    finally:
        smtp.stop()


async def test_a_failed_send_is_retried_until_it_goes_through(
    queue_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    settings = queue_settings(port)
    smtp = SmtpServer(port)
    async with serving(settings) as (state, http):
        queue = state.email_queue
        queue.retry_delay, queue.max_retry_delay = 0.2, 0.5
        with caplog.at_level(logging.WARNING, logger="app.email"):
            response = await http.post(
                "/api/v1/auth/register", json=REGISTRATION, headers={"X-Request-ID": "req-q-1"}
            )
            assert response.status_code == 201
            async with working(build_worker(settings)):
                # The SMTP server is down: the first attempt fails...
                for _ in range(250):
                    if any("attempt 1 of" in r.getMessage() for r in caplog.records):
                        break
                    await asyncio.sleep(0.02)
                else:
                    raise AssertionError("the first attempt did not fail")
                # ...and once it is up, a retry delivers the email.
                smtp.start()
                try:
                    [mail, *_] = await smtp.collector.wait_for(2, within=20)
                finally:
                    smtp.stop()
    assert mail.rcpt_tos == ["hana@example.com"]
    failed = [r for r in caplog.records if "attempt 1 of" in r.getMessage()]
    assert getattr(failed[0], "request_id", None) == "req-q-1"


async def test_with_the_queue_unreachable_the_api_sends_directly(
    make_settings: Callable[..., Settings], client: httpx.AsyncClient
) -> None:
    smtp = SmtpServer(free_port())
    smtp.start()
    try:
        settings = make_settings(
            REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            EMAIL_BACKEND="smtp",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp.port,
        )
        async with serving(settings) as (_, http):
            response = await http.post("/api/v1/auth/register", json=REGISTRATION)
            assert response.status_code == 201
            [mail, *_] = await smtp.collector.wait_for(2)
        assert mail.rcpt_tos == ["hana@example.com"]
    finally:
        smtp.stop()
