"""Email verification: the link mailed at registration, confirming it, and the tokens that
must be refused (docs/api.md, Account lifecycle)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from app.accounts.models import LinkToken
from app.core.state import AppState
from app.db.base import utcnow
from tests.accounts.conftest import (
    FORGOT,
    ME,
    REGISTER,
    RESEND,
    VERIFY_EMAIL,
    Serve,
    link_in,
    wait_for_mail,
)
from tests.assertions import assert_error, assert_invalid
from tests.conftest import bearer, login
from tests.notifications.smtp import SmtpServer

pytestmark = pytest.mark.timeout(60)

PASSWORD = "s3cret pass!"
NEW_USER = {"username": "vera", "email": "Vera@Example.com", "password": PASSWORD}


async def register(http: httpx.AsyncClient, smtp_server: SmtpServer) -> str:
    """Register vera; the token of the verification link she was mailed."""
    response = await http.post(REGISTER, json=NEW_USER)
    assert response.status_code == 201, response.text
    [mail] = await wait_for_mail(smtp_server, "Verify your email", "vera@example.com")
    return link_in(mail, "verify-email")


async def test_registration_mails_a_verification_link_besides_the_welcome(
    http: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    response = await http.post(REGISTER, json=NEW_USER)

    assert response.json()["is_verified"] is False
    subjects = [m.message["Subject"] for m in smtp_server.collector.received]
    assert subjects == ["Welcome!", "Verify your email"]
    link_in(smtp_server.collector.received[1], "verify-email")
    assert PASSWORD not in smtp_server.collector.received[1].body


async def test_following_the_mailed_link_verifies_the_email(
    http: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    token = await register(http, smtp_server)

    response = await http.post(VERIFY_EMAIL, json={"token": token})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["username"], body["is_verified"]) == ("vera", True)
    assert "hashed_password" not in body
    tokens = (await login(http, "vera", PASSWORD)).json()
    me = await http.get(ME, headers=bearer(tokens["access_token"]))
    assert me.json()["is_verified"] is True


async def test_a_verification_link_works_once(
    http: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    token = await register(http, smtp_server)
    assert (await http.post(VERIFY_EMAIL, json={"token": token})).status_code == 200

    again = await http.post(VERIFY_EMAIL, json={"token": token})

    assert_error(again, 400, "token_invalid")


async def test_an_expired_verification_link_is_refused(
    http: httpx.AsyncClient, smtp_server: SmtpServer, state: AppState
) -> None:
    token = await register(http, smtp_server)
    async with state.db.sessionmaker() as session:
        await session.execute(update(LinkToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()

    response = await http.post(VERIFY_EMAIL, json={"token": token})

    assert_error(response, 400, "token_invalid")
    assert (await http.post(RESEND, json={"email": "vera@example.com"})).status_code == 202


async def test_a_link_expires_after_its_configured_lifetime(
    serve: Serve, smtp_server: SmtpServer
) -> None:
    import asyncio

    async with serve(EMAIL_VERIFY_TOKEN_HOURS=0.5 / 3600) as http:  # half a second
        token = await register(http, smtp_server)
        await asyncio.sleep(0.6)

        response = await http.post(VERIFY_EMAIL, json={"token": token})

    assert_error(response, 400, "token_invalid")


async def test_a_tampered_verification_token_is_refused(
    http: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    token = await register(http, smtp_server)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = await http.post(VERIFY_EMAIL, json={"token": tampered})

    assert_error(response, 400, "token_invalid")


async def test_a_made_up_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(VERIFY_EMAIL, json={"token": "x" * 43})

    assert_error(response, 400, "token_invalid")


async def test_a_reset_link_does_not_verify(
    http: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    await register(http, smtp_server)
    await http.post(FORGOT, json={"email": "vera@example.com"})
    [mail] = await wait_for_mail(smtp_server, "Reset your password")

    response = await http.post(VERIFY_EMAIL, json={"token": link_in(mail, "reset-password")})

    assert_error(response, 400, "token_invalid")


async def test_a_resent_link_supersedes_the_earlier_one(
    http: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    first = await register(http, smtp_server)

    resent = await http.post(RESEND, json={"email": "VERA@example.com"})

    assert resent.status_code == 202
    mails = await wait_for_mail(smtp_server, "Verify your email", "vera@example.com", count=2)
    second = link_in(mails[1], "verify-email")
    assert second != first
    assert_error(await http.post(VERIFY_EMAIL, json={"token": first}), 400, "token_invalid")
    assert (await http.post(VERIFY_EMAIL, json={"token": second})).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing"),
        pytest.param({"token": ""}, id="empty"),
        pytest.param({"token": "t" * 513}, id="too-long"),
        pytest.param({"token": "abc", "extra": 1}, id="unknown-field"),
    ],
)
async def test_a_malformed_verify_body_is_422(client: httpx.AsyncClient, body: dict) -> None:
    assert_invalid(await client.post(VERIFY_EMAIL, json=body))
