"""The security events of the account lifecycle: email_verified, password_reset_requested,
password_reset, email_changed, each with the request's address and agent."""

from __future__ import annotations

import httpx
import pytest

from app.users.models import User
from tests.accounts.conftest import FORGOT, ME, RESEND, RESET, VERIFY_EMAIL, link_in, wait_for_mail
from tests.conftest import HeadersFor, UserFactory
from tests.notifications.smtp import SmtpServer

pytestmark = pytest.mark.timeout(60)

EVENTS = "/api/v1/security-events"
AGENT = {"User-Agent": "links-test/1"}


@pytest.fixture
async def uma(user_factory: UserFactory) -> User:
    return await user_factory("uma", "uma@example.com")


async def events(
    http: httpx.AsyncClient, superuser_headers: dict[str, str], user: User
) -> list[dict[str, str]]:
    response = await http.get(EVENTS, params={"user_id": str(user.id)}, headers=superuser_headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, str]] = response.json()["items"]
    return [item for item in items if item["event"] != "login"]  # the test's own sign-ins


async def test_forgot_password_records_password_reset_requested(
    http: httpx.AsyncClient, uma: User, superuser_headers: dict[str, str]
) -> None:
    await http.post(FORGOT, json={"email": "uma@example.com"}, headers=AGENT)

    [event] = await events(http, superuser_headers, uma)
    assert event["event"] == "password_reset_requested"
    assert event["user_id"] == event["actor_id"] == str(uma.id)
    assert (event["ip"], event["user_agent"]) == ("127.0.0.1", "links-test/1")


async def test_forgot_password_for_nobody_records_nothing(
    http: httpx.AsyncClient, superuser: User, superuser_headers: dict[str, str]
) -> None:
    await http.post(FORGOT, json={"email": "nobody@example.com"})

    response = await http.get(
        EVENTS, params={"event": "password_reset_requested"}, headers=superuser_headers
    )
    assert response.json()["total"] == 0


async def test_a_reset_records_password_reset(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User, superuser_headers: dict[str, str]
) -> None:
    await http.post(FORGOT, json={"email": "uma@example.com"})
    [mail] = await wait_for_mail(smtp_server, "Reset your password")

    await http.post(
        RESET,
        json={"token": link_in(mail, "reset-password"), "new_password": "a new password"},
        headers=AGENT,
    )

    newest = (await events(http, superuser_headers, uma))[0]
    assert newest["event"] == "password_reset"
    assert newest["user_agent"] == "links-test/1"


async def test_a_refused_reset_records_nothing(
    http: httpx.AsyncClient, uma: User, superuser_headers: dict[str, str]
) -> None:
    await http.post(RESET, json={"token": "x" * 43, "new_password": "a new password"})

    assert await events(http, superuser_headers, uma) == []


async def test_verifying_records_email_verified(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User, superuser_headers: dict[str, str]
) -> None:
    await http.post(RESEND, json={"email": "uma@example.com"})
    [mail] = await wait_for_mail(smtp_server, "Verify your email")

    await http.post(VERIFY_EMAIL, json={"token": link_in(mail, "verify-email")}, headers=AGENT)

    [event] = await events(http, superuser_headers, uma)
    assert (event["event"], event["user_agent"]) == ("email_verified", "links-test/1")


async def test_changing_my_email_records_email_changed(
    http: httpx.AsyncClient, uma: User, headers_for: HeadersFor, superuser_headers: dict[str, str]
) -> None:
    await http.patch(
        ME, json={"email": "new@example.com"}, headers={**await headers_for(uma), **AGENT}
    )

    [event] = await events(http, superuser_headers, uma)
    assert event["event"] == "email_changed"
    assert event["actor_id"] == str(uma.id)


async def test_a_superuser_changing_an_email_is_the_actor_of_email_changed(
    http: httpx.AsyncClient, uma: User, superuser: User, superuser_headers: dict[str, str]
) -> None:
    await http.patch(
        f"/api/v1/users/{uma.id}", json={"email": "new@example.com"}, headers=superuser_headers
    )

    by_kind = {e["event"]: e for e in await events(http, superuser_headers, uma)}
    assert set(by_kind) == {"email_changed", "user_updated_by_admin"}
    assert by_kind["email_changed"]["actor_id"] == str(superuser.id)
