"""Forgotten passwords: the reset email, the reset, and the tokens that must be refused."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from app.accounts.models import LinkToken
from app.core.state import AppState
from app.db.base import utcnow
from app.users.models import User
from tests.accounts.conftest import (
    FORGOT,
    ME,
    RESET,
    VERIFY_EMAIL,
    Serve,
    link_in,
    mails,
    wait_for_mail,
)
from tests.assertions import assert_error, assert_invalid
from tests.conftest import DEFAULT_PASSWORD, UserFactory, bearer, login, stored_user
from tests.notifications.smtp import SmtpServer

pytestmark = pytest.mark.timeout(60)

NEW_PASSWORD = "a brand new password"
TokensFor = Callable[[User], Awaitable[dict[str, Any]]]


@pytest.fixture
async def uma(user_factory: UserFactory) -> User:
    return await user_factory("uma", "uma@example.com")


async def reset_token(http: httpx.AsyncClient, smtp_server: SmtpServer, count: int = 1) -> str:
    """Ask for a reset of uma's password; the token of the newest link she was mailed."""
    response = await http.post(FORGOT, json={"email": "uma@example.com"})
    assert response.status_code == 202, response.text
    found = await wait_for_mail(smtp_server, "Reset your password", "uma@example.com", count=count)
    return link_in(found[-1], "reset-password")


async def test_forgot_password_gives_the_same_202_for_an_address_without_an_account(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User
) -> None:
    known = await http.post(FORGOT, json={"email": "uma@example.com"})
    unknown = await http.post(FORGOT, json={"email": "nobody@example.com"})

    assert (known.status_code, unknown.status_code) == (202, 202)
    assert known.json() == unknown.json()
    assert set(known.json()) == {"message"}
    assert [m.rcpt_tos for m in smtp_server.collector.received] == [["uma@example.com"]]


async def test_forgot_password_mails_a_reset_link_to_an_active_account(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User
) -> None:
    await http.post(FORGOT, json={"email": "UMA@example.com"})

    [mail] = mails(smtp_server, "Reset your password", "uma@example.com")
    link_in(mail, "reset-password")
    assert mail.message["To"] == "uma@example.com"


async def test_forgot_password_mails_nothing_to_a_deactivated_account(
    http: httpx.AsyncClient, smtp_server: SmtpServer, user_factory: UserFactory
) -> None:
    await user_factory("uma", "uma@example.com", is_active=False)

    response = await http.post(FORGOT, json={"email": "uma@example.com"})

    assert response.status_code == 202
    assert smtp_server.collector.received == []


async def test_following_the_reset_link_sets_the_new_password(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User
) -> None:
    token = await reset_token(http, smtp_server)

    response = await http.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert (await login(http, "uma", NEW_PASSWORD)).status_code == 200
    assert_error(await login(http, "uma", DEFAULT_PASSWORD), 401, "invalid_credentials")


async def test_a_reset_marks_the_email_verified(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User, state: AppState
) -> None:
    assert uma.is_verified is False
    token = await reset_token(http, smtp_server)

    await http.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    stored = await stored_user(state, uma.id)
    assert stored is not None
    assert stored.is_verified is True


async def test_a_reset_ends_every_session_of_the_user(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User, tokens_for: TokensFor
) -> None:
    sessions = [await tokens_for(uma), await tokens_for(uma)]
    token = await reset_token(http, smtp_server)

    await http.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    for tokens in sessions:
        me = await http.get(ME, headers=bearer(tokens["access_token"]))
        assert_error(me, 401, "invalid_token")
        refreshed = await http.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert_error(refreshed, 401, "invalid_token")


async def test_a_reset_revokes_the_users_personal_tokens_for_good(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User, tokens_for: TokensFor
) -> None:
    signed_in = bearer((await tokens_for(uma))["access_token"])
    created = await http.post(
        "/api/v1/auth/tokens", json={"name": "script", "scopes": ["read"]}, headers=signed_in
    )
    personal = bearer(created.json()["token"])
    assert (await http.get(ME, headers=personal)).status_code == 200
    token = await reset_token(http, smtp_server)

    await http.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    assert_error(await http.get(ME, headers=personal), 401, "invalid_token")


async def test_a_reset_leaves_other_users_sessions_alone(
    http: httpx.AsyncClient,
    smtp_server: SmtpServer,
    uma: User,
    user: User,
    tokens_for: TokensFor,
) -> None:
    other = await tokens_for(user)
    token = await reset_token(http, smtp_server)

    await http.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    assert (await http.get(ME, headers=bearer(other["access_token"]))).status_code == 200


async def test_a_reset_link_works_once(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User
) -> None:
    token = await reset_token(http, smtp_server)
    first = await http.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})
    assert first.status_code == 204

    again = await http.post(RESET, json={"token": token, "new_password": "yet another one"})

    assert_error(again, 400, "token_invalid")
    assert (await login(http, "uma", NEW_PASSWORD)).status_code == 200


async def test_a_refused_422_reset_does_not_use_up_the_link(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User
) -> None:
    token = await reset_token(http, smtp_server)

    too_short = await http.post(RESET, json={"token": token, "new_password": "short"})

    assert_invalid(too_short, "new_password")
    response = await http.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 204


async def test_a_new_reset_link_supersedes_the_earlier_one(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User
) -> None:
    first = await reset_token(http, smtp_server)
    second = await reset_token(http, smtp_server, count=2)

    old = await http.post(RESET, json={"token": first, "new_password": NEW_PASSWORD})

    assert_error(old, 400, "token_invalid")
    new = await http.post(RESET, json={"token": second, "new_password": NEW_PASSWORD})
    assert new.status_code == 204


async def test_an_expired_reset_link_is_refused(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User, state: AppState
) -> None:
    token = await reset_token(http, smtp_server)
    async with state.db.sessionmaker() as session:
        await session.execute(update(LinkToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()

    response = await http.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    assert_error(response, 400, "token_invalid")
    assert (await login(http, "uma", DEFAULT_PASSWORD)).status_code == 200


async def test_a_reset_link_expires_after_password_reset_token_minutes(
    serve: Serve, smtp_server: SmtpServer, uma: User
) -> None:
    async with serve(PASSWORD_RESET_TOKEN_MINUTES=0.5 / 60) as http:  # half a second
        token = await reset_token(http, smtp_server)
        await asyncio.sleep(0.6)

        response = await http.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    assert_error(response, 400, "token_invalid")


async def test_a_tampered_reset_token_is_refused(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User
) -> None:
    token = await reset_token(http, smtp_server)
    tampered = ("A" if token[0] != "A" else "B") + token[1:]

    response = await http.post(RESET, json={"token": tampered, "new_password": NEW_PASSWORD})

    assert_error(response, 400, "token_invalid")


async def test_a_verification_link_does_not_reset_the_password(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User
) -> None:
    await http.post("/api/v1/auth/verify-email/resend", json={"email": "uma@example.com"})
    [mail] = await wait_for_mail(smtp_server, "Verify your email")
    token = link_in(mail, "verify-email")

    response = await http.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    assert_error(response, 400, "token_invalid")
    assert (await http.post(VERIFY_EMAIL, json={"token": token})).status_code == 200


async def test_a_deactivated_users_reset_link_is_refused(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User, state: AppState
) -> None:
    token = await reset_token(http, smtp_server)
    async with state.db.sessionmaker() as session:
        await session.execute(update(User).where(User.id == uma.id).values(is_active=False))
        await session.commit()

    response = await http.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    assert_error(response, 400, "token_invalid")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"new_password": NEW_PASSWORD}, id="no-token"),
        pytest.param({"token": "abc"}, id="no-password"),
        pytest.param({"token": "abc", "new_password": "p" * 129}, id="password-too-long"),
        pytest.param({"token": "abc", "new_password": NEW_PASSWORD, "x": 1}, id="unknown-field"),
    ],
)
async def test_a_malformed_reset_body_is_422(client: httpx.AsyncClient, body: dict) -> None:
    assert_invalid(await client.post(RESET, json=body))


async def test_a_reset_link_used_by_concurrent_requests_works_for_one(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User
) -> None:
    token = await reset_token(http, smtp_server)
    passwords = [f"new password number {i}" for i in range(4)]

    responses = await asyncio.gather(
        *(http.post(RESET, json={"token": token, "new_password": p}) for p in passwords)
    )

    assert sorted(r.status_code for r in responses) == [204, 400, 400, 400]
    for response in responses:
        if response.status_code == 400:
            assert_error(response, 400, "token_invalid")
    winner = passwords[[r.status_code for r in responses].index(204)]
    assert (await login(http, "uma", winner)).status_code == 200


async def test_links_superseded_or_used_leave_no_rows_behind(
    http: httpx.AsyncClient, smtp_server: SmtpServer, uma: User, state: AppState
) -> None:
    for count in (1, 2, 3):
        token = await reset_token(http, smtp_server, count=count)
    await http.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})
    await reset_token(http, smtp_server, count=4)

    async with state.db.sessionmaker() as session:
        rows = (await session.scalars(select(LinkToken))).all()
    assert [(row.purpose, row.used_at) for row in rows] == [("reset_password", None)]
