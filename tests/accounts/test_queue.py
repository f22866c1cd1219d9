"""With REDIS_URL the account emails go through the durable queue, like the welcome email:
the API queues them, `agora worker` sends them, and their links work."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from app.core.config import Settings
from app.notifications.queue import build_worker
from tests.accounts.conftest import FORGOT, RESET, Serve, link_in, wait_for_mail
from tests.conftest import UserFactory, login
from tests.notifications.smtp import SmtpServer
from tests.notifications.test_queue import working

pytestmark = pytest.mark.timeout(60)


async def test_a_reset_email_goes_through_the_queue_and_its_link_works(
    serve: Serve,
    account_settings: Callable[..., Settings],
    smtp_server: SmtpServer,
    user_factory: UserFactory,
    redis_url: str,
) -> None:
    await user_factory("uma", "uma@example.com")
    async with serve(REDIS_URL=redis_url) as http:
        response = await http.post(FORGOT, json={"email": "uma@example.com"})
        assert response.status_code == 202
        await asyncio.sleep(0.3)
        assert smtp_server.collector.received == []  # queued, not sent by the API

        async with working(build_worker(account_settings(REDIS_URL=redis_url))):
            [mail] = await wait_for_mail(smtp_server, "Reset your password", "uma@example.com")

        token = link_in(mail, "reset-password")
        reset = await http.post(RESET, json={"token": token, "new_password": "a new password"})
        assert reset.status_code == 204
        assert (await login(http, "uma", "a new password")).status_code == 200
