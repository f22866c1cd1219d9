"""Changing an account's email: unverified again, a link to the new address, a notice to the
old one, and the earlier verification links end."""

from __future__ import annotations

import httpx
import pytest

from app.core.state import AppState
from app.users.models import User
from tests.accounts.conftest import ME, RESEND, VERIFY_EMAIL, link_in, mails, wait_for_mail
from tests.assertions import assert_error
from tests.conftest import HeadersFor, UserFactory, stored_user
from tests.notifications.smtp import SmtpServer

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def uma(user_factory: UserFactory) -> User:
    return await user_factory("uma", "uma@example.com", is_verified=True)


async def test_changing_my_email_makes_it_unverified(
    http: httpx.AsyncClient, uma: User, headers_for: HeadersFor
) -> None:
    response = await http.patch(
        ME, json={"email": "New@Example.com"}, headers=await headers_for(uma)
    )

    assert response.status_code == 200, response.text
    assert (response.json()["email"], response.json()["is_verified"]) == (
        "new@example.com",
        False,
    )


async def test_changing_my_email_mails_a_link_to_the_new_address_that_verifies_it(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User, headers_for: HeadersFor
) -> None:
    await http.patch(ME, json={"email": "new@example.com"}, headers=await headers_for(uma))

    [mail] = await wait_for_mail(smtp_server, "Verify your email", "new@example.com")
    response = await http.post(VERIFY_EMAIL, json={"token": link_in(mail, "verify-email")})
    assert response.status_code == 200
    assert (response.json()["email"], response.json()["is_verified"]) == (
        "new@example.com",
        True,
    )


async def test_changing_my_email_sends_a_notice_to_the_old_address(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User, headers_for: HeadersFor
) -> None:
    await http.patch(ME, json={"email": "new@example.com"}, headers=await headers_for(uma))

    [notice] = await wait_for_mail(smtp_server, "Your email was changed", "uma@example.com")
    assert "new@example.com" in notice.body
    assert "token=" not in notice.body
    assert mails(smtp_server, "Verify your email", "uma@example.com") == []


async def test_changing_my_email_ends_the_earlier_verification_links(
    http: httpx.AsyncClient,
    smtp_server: SmtpServer,
    user_factory: UserFactory,
    headers_for: HeadersFor,
) -> None:
    unverified = await user_factory("una", "una@example.com")
    await http.post(RESEND, json={"email": "una@example.com"})
    [old_mail] = await wait_for_mail(smtp_server, "Verify your email", "una@example.com")

    await http.patch(ME, json={"email": "new@example.com"}, headers=await headers_for(unverified))

    response = await http.post(VERIFY_EMAIL, json={"token": link_in(old_mail, "verify-email")})
    assert_error(response, 400, "token_invalid")


async def test_the_same_email_in_another_case_is_no_change(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User, headers_for: HeadersFor
) -> None:
    response = await http.patch(
        ME, json={"email": "UMA@Example.com"}, headers=await headers_for(uma)
    )

    assert response.json()["is_verified"] is True
    assert smtp_server.collector.received == []


async def test_changing_another_field_keeps_the_email_verified(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User, headers_for: HeadersFor
) -> None:
    response = await http.patch(ME, json={"full_name": "Uma"}, headers=await headers_for(uma))

    assert response.json()["is_verified"] is True
    assert smtp_server.collector.received == []


async def test_a_superuser_changing_someones_email_makes_it_unverified_and_mails_both(
    http: httpx.AsyncClient,
    smtp_server: SmtpServer,
    uma: User,
    superuser_headers: dict[str, str],
) -> None:
    response = await http.patch(
        f"/api/v1/users/{uma.id}", json={"email": "new@example.com"}, headers=superuser_headers
    )

    assert response.json()["is_verified"] is False
    await wait_for_mail(smtp_server, "Verify your email", "new@example.com")
    await wait_for_mail(smtp_server, "Your email was changed", "uma@example.com")


async def test_a_superuser_may_change_an_email_and_mark_it_verified_at_once(
    http: httpx.AsyncClient,
    smtp_server: SmtpServer,
    uma: User,
    superuser_headers: dict[str, str],
    state: AppState,
) -> None:
    response = await http.patch(
        f"/api/v1/users/{uma.id}",
        json={"email": "new@example.com", "is_verified": True},
        headers=superuser_headers,
    )

    assert response.json()["is_verified"] is True
    stored = await stored_user(state, uma.id)
    assert stored is not None
    assert (stored.email, stored.is_verified) == ("new@example.com", True)
    assert mails(smtp_server, "Verify your email") == []
    await wait_for_mail(smtp_server, "Your email was changed", "uma@example.com")


async def test_an_email_change_refused_with_409_mails_nothing(
    http: httpx.AsyncClient,
    smtp_server: SmtpServer,
    uma: User,
    user: User,
    headers_for: HeadersFor,
) -> None:
    response = await http.patch(ME, json={"email": user.email}, headers=await headers_for(uma))

    assert_error(response, 409, "conflict")
    assert smtp_server.collector.received == []
