"""A login with two-factor on: the password step, then POST /auth/login/mfa."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pyotp
from sqlalchemy import select, update
from sqlmodel import col

from app.core.config import Settings
from app.core.state import AppState
from app.main import create_app
from app.mfa.models import MfaChallenge
from app.users.models import User
from tests.assertions import assert_error, assert_invalid
from tests.conftest import DEFAULT_PASSWORD, HeadersFor, bearer, login
from tests.mfa.helpers import (
    LOGIN_MFA,
    STEP,
    code,
    enable_two_factor,
    first_step,
    second_step,
)
from tests.support import running


def wrong(value: str) -> str:
    return f"{(int(value) + 1) % 1_000_000:06d}"


async def test_the_password_step_answers_mfa_required_and_no_tokens(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    await enable_two_factor(client, user_headers)

    response = await login(client, "alice")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"mfa_required", "mfa_token", "token_type", "expires_in"}
    assert body["mfa_required"] is True
    assert body["token_type"] == "mfa"
    assert body["expires_in"] == 300
    assert len(body["mfa_token"]) >= 32


async def test_a_wrong_password_with_two_factor_on_is_invalid_credentials(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    await enable_two_factor(client, user_headers)

    response = await login(client, "alice", "not my password")

    assert_error(response, 401, "invalid_credentials")


async def test_the_second_step_with_a_totp_code_gives_a_token_pair(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    mfa_token = await first_step(client, "alice")

    response = await second_step(client, mfa_token, code(enabled.secret))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    me = await client.get("/api/v1/users/me", headers=bearer(body["access_token"]))
    assert me.json()["id"] == str(user.id)


async def test_the_code_that_confirmed_the_setup_is_refused_at_login(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    setup = await client.post(
        "/api/v1/auth/mfa/totp/setup", json={"password": DEFAULT_PASSWORD}, headers=user_headers
    )
    secret = setup.json()["secret"]
    confirming = code(secret)
    await client.post(
        "/api/v1/auth/mfa/totp/confirm", json={"code": confirming}, headers=user_headers
    )
    mfa_token = await first_step(client, "alice")

    response = await second_step(client, mfa_token, confirming)

    assert_error(response, 401, "invalid_code")


async def test_a_code_is_refused_the_second_time_in_its_step(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    value = code(enabled.secret)
    first = await second_step(client, await first_step(client, "alice"), value)
    assert first.status_code == 200

    again = await second_step(client, await first_step(client, "alice"), value)

    assert_error(again, 401, "invalid_code")


async def test_a_code_from_two_steps_ago_is_refused(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    setup = await client.post(
        "/api/v1/auth/mfa/totp/setup", json={"password": DEFAULT_PASSWORD}, headers=user_headers
    )
    secret = setup.json()["secret"]
    old = pyotp.TOTP(secret).at(time.time() - 2 * STEP)
    assert old not in {code(secret, -1), code(secret), code(secret, 1)}  # else no test

    response = await client.post(
        "/api/v1/auth/mfa/totp/confirm", json={"code": old}, headers=user_headers
    )

    assert_error(response, 400, "invalid_code")


async def test_a_code_from_two_steps_ago_is_refused_at_login(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    old = pyotp.TOTP(enabled.secret).at(time.time() - 2 * STEP)
    assert old not in {code(enabled.secret), code(enabled.secret, 1)}

    response = await second_step(client, await first_step(client, "alice"), old)

    assert_error(response, 401, "invalid_code")


async def test_the_next_steps_code_is_accepted(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)

    response = await second_step(client, await first_step(client, "alice"), code(enabled.secret, 1))

    assert response.status_code == 200


async def test_a_backup_code_logs_in(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)

    response = await second_step(client, await first_step(client, "alice"), enabled.backup_codes[0])

    assert response.status_code == 200
    assert "access_token" in response.json()


async def test_a_backup_code_is_accepted_in_any_case_without_its_dash(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    typed = enabled.backup_codes[3].replace("-", "").upper()

    response = await second_step(client, await first_step(client, "alice"), typed)

    assert response.status_code == 200


async def test_a_backup_code_works_once(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    backup = enabled.backup_codes[0]
    first = await second_step(client, await first_step(client, "alice"), backup)
    assert first.status_code == 200

    again = await second_step(client, await first_step(client, "alice"), backup)

    assert_error(again, 401, "invalid_code")


async def test_the_mfa_token_works_once(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    mfa_token = await first_step(client, "alice")
    first = await second_step(client, mfa_token, enabled.backup_codes[0])
    assert first.status_code == 200

    again = await second_step(client, mfa_token, enabled.backup_codes[1])

    assert_error(again, 401, "invalid_token")


async def test_an_unknown_mfa_token_is_invalid_token(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)

    response = await second_step(client, "not-a-token", enabled.backup_codes[0])

    assert_error(response, 401, "invalid_token")


async def test_an_access_token_is_not_an_mfa_token(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    access = user_headers["Authorization"].removeprefix("Bearer ")

    response = await second_step(client, access, enabled.backup_codes[0])

    assert_error(response, 401, "invalid_token")


async def test_a_wrong_code_is_invalid_code_and_the_token_still_works(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    mfa_token = await first_step(client, "alice")
    refused = await second_step(client, mfa_token, wrong(code(enabled.secret)))
    assert_error(refused, 401, "invalid_code")

    response = await second_step(client, mfa_token, code(enabled.secret))

    assert response.status_code == 200


async def test_four_wrong_codes_leave_the_mfa_token_usable(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    mfa_token = await first_step(client, "alice")
    for _ in range(4):
        assert_error(await second_step(client, mfa_token, "000000x"), 401, "invalid_code")

    response = await second_step(client, mfa_token, enabled.backup_codes[0])

    assert response.status_code == 200


async def test_the_fifth_wrong_code_ends_the_mfa_token(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    mfa_token = await first_step(client, "alice")
    for _ in range(4):
        assert_error(await second_step(client, mfa_token, "000000x"), 401, "invalid_code")

    fifth = await second_step(client, mfa_token, wrong(code(enabled.secret)))
    after = await second_step(client, mfa_token, enabled.backup_codes[0])

    assert_error(fifth, 401, "invalid_code")
    assert_error(after, 401, "invalid_token")


async def test_an_expired_mfa_token_is_invalid_token(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    make_settings: Callable[..., Settings],
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    async with running(create_app(make_settings(MFA_TOKEN_EXPIRE_SECONDS=0.3))) as other:
        started = await login(other.client, "alice")
        assert started.json()["expires_in"] == 1
        await asyncio.sleep(0.5)

        response = await second_step(
            other.client, started.json()["mfa_token"], enabled.backup_codes[0]
        )

    assert_error(response, 401, "invalid_token")


async def test_the_mfa_token_lifetime_follows_the_setting(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    make_settings: Callable[..., Settings],
) -> None:
    await enable_two_factor(client, user_headers)
    async with running(create_app(make_settings(MFA_TOKEN_EXPIRE_SECONDS=120))) as other:
        started = await login(other.client, "alice")

    assert started.json()["expires_in"] == 120


async def test_a_user_deactivated_between_the_steps_gets_inactive_user(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str], state: AppState
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    mfa_token = await first_step(client, "alice")
    async with state.db.sessionmaker() as session:
        await session.execute(update(User).where(col(User.id) == user.id).values(is_active=False))
        await session.commit()

    response = await second_step(client, mfa_token, enabled.backup_codes[0])

    assert_error(response, 403, "inactive_user")


async def test_the_second_step_refuses_unknown_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(
        LOGIN_MFA, json={"mfa_token": "t", "code": "123456", "remember": True}
    )

    assert_invalid(response, "remember")


async def test_the_second_step_takes_the_login_rate_limit(
    client: httpx.AsyncClient,
    user: User,
    headers_for: HeadersFor,
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(RATE_LIMIT_ENABLED=True, RATE_LIMIT_LOGIN="2/minute")
    async with running(create_app(settings)) as other:
        enabled = await enable_two_factor(other.client, await headers_for(user))
        mfa_token = await first_step(other.client, "alice")
        for _ in range(2):
            assert_error(await second_step(other.client, mfa_token, "000000x"), 401, "invalid_code")

        limited = await second_step(other.client, mfa_token, enabled.backup_codes[0])

    assert_error(limited, 429, "rate_limited")


async def test_used_mfa_tokens_are_forgotten_at_the_next_login(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str], state: AppState
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    for backup in enabled.backup_codes[:3]:
        await second_step(client, await first_step(client, "alice"), backup)

    await first_step(client, "alice")

    async with state.db.sessionmaker() as session:
        stored = (await session.scalars(select(MfaChallenge))).all()
    assert len(stored) == 1
    assert stored[0].used_at is None
