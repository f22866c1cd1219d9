"""POST /auth/verify-email/resend: one answer for every address; only an active, unverified
account gets a link."""

from __future__ import annotations

import httpx
import pytest

from tests.accounts.conftest import RESEND, VERIFY_EMAIL, link_in, mails, wait_for_mail
from tests.assertions import assert_invalid
from tests.conftest import UserFactory
from tests.notifications.smtp import SmtpServer

pytestmark = pytest.mark.timeout(60)


async def test_resend_gives_the_same_202_for_an_address_without_an_account(
    http: httpx.AsyncClient, smtp_server: SmtpServer, user_factory: UserFactory
) -> None:
    await user_factory("uma", "uma@example.com")

    known = await http.post(RESEND, json={"email": "uma@example.com"})
    unknown = await http.post(RESEND, json={"email": "nobody@example.com"})

    assert (known.status_code, unknown.status_code) == (202, 202)
    assert known.json() == unknown.json()
    assert set(known.json()) == {"message"}
    assert mails(smtp_server, "Verify your email", "nobody@example.com") == []


async def test_resend_mails_a_working_link_to_an_unverified_account(
    http: httpx.AsyncClient, smtp_server: SmtpServer, user_factory: UserFactory
) -> None:
    await user_factory("uma", "uma@example.com")

    await http.post(RESEND, json={"email": "Uma@Example.COM"})

    [mail] = await wait_for_mail(smtp_server, "Verify your email", "uma@example.com")
    response = await http.post(VERIFY_EMAIL, json={"token": link_in(mail, "verify-email")})
    assert (response.status_code, response.json()["is_verified"]) == (200, True)


async def test_resend_mails_nothing_to_a_verified_account(
    http: httpx.AsyncClient, smtp_server: SmtpServer, user_factory: UserFactory
) -> None:
    await user_factory("uma", "uma@example.com", is_verified=True)

    response = await http.post(RESEND, json={"email": "uma@example.com"})

    assert response.status_code == 202
    assert smtp_server.collector.received == []


async def test_resend_mails_nothing_to_a_deactivated_account(
    http: httpx.AsyncClient, smtp_server: SmtpServer, user_factory: UserFactory
) -> None:
    await user_factory("uma", "uma@example.com", is_active=False)

    response = await http.post(RESEND, json={"email": "uma@example.com"})

    assert response.status_code == 202
    assert smtp_server.collector.received == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing"),
        pytest.param({"email": "not-an-address"}, id="invalid"),
        pytest.param({"email": "a@example.com", "extra": 1}, id="unknown-field"),
    ],
)
async def test_a_malformed_resend_body_is_422(client: httpx.AsyncClient, body: dict) -> None:
    assert_invalid(await client.post(RESEND, json=body))
