"""EMAIL_VERIFICATION_REQUIRED: an unverified user cannot sign in; the check follows the
password check, so it tells nothing to someone without the password."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.accounts.conftest import VERIFY_EMAIL, Serve, link_in, wait_for_mail
from tests.assertions import assert_error
from tests.conftest import DEFAULT_PASSWORD, UserFactory, login
from tests.notifications.smtp import SmtpServer

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def strict(serve: Serve) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(EMAIL_VERIFICATION_REQUIRED=True) as http:
        yield http


async def test_an_unverified_users_login_is_403_when_verification_is_required(
    strict: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory("una", "una@example.com")

    assert_error(await login(strict, "una"), 403, "email_not_verified")


async def test_a_wrong_password_of_an_unverified_user_is_still_401(
    strict: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory("una", "una@example.com")

    response = await login(strict, "una", "not the password")

    assert_error(response, 401, "invalid_credentials")


async def test_a_verified_user_logs_in_when_verification_is_required(
    strict: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory("vic", "vic@example.com", is_verified=True)

    assert (await login(strict, "vic")).status_code == 200


async def test_following_the_link_lets_a_new_user_log_in(
    strict: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    body = {"username": "nia", "email": "nia@example.com", "password": DEFAULT_PASSWORD}
    assert (await strict.post("/api/v1/auth/register", json=body)).status_code == 201
    assert_error(await login(strict, "nia"), 403, "email_not_verified")
    [mail] = await wait_for_mail(smtp_server, "Verify your email", "nia@example.com")

    await strict.post(VERIFY_EMAIL, json={"token": link_in(mail, "verify-email")})

    assert (await login(strict, "nia")).status_code == 200


async def test_an_unverified_user_logs_in_when_verification_is_not_required(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory("una", "una@example.com")

    assert (await login(client, "una")).status_code == 200
