"""Turning two-factor off and renewing backup codes (password and a TOTP or backup code)."""

from __future__ import annotations

import httpx

from app.users.models import User
from tests.assertions import assert_error
from tests.conftest import DEFAULT_PASSWORD, login
from tests.mfa.helpers import (
    BACKUP_CODES,
    DISABLE,
    code,
    enable_two_factor,
    first_step,
    second_step,
)


async def test_disable_with_a_totp_code_turns_two_factor_off(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)

    response = await client.post(
        DISABLE,
        json={"password": DEFAULT_PASSWORD, "code": code(enabled.secret)},
        headers=user_headers,
    )

    assert response.status_code == 204
    me = await client.get("/api/v1/users/me", headers=user_headers)
    assert me.json()["mfa_enabled"] is False
    assert "access_token" in (await login(client, "alice")).json()


async def test_disable_with_a_backup_code_works(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)

    response = await client.post(
        DISABLE,
        json={"password": DEFAULT_PASSWORD, "code": enabled.backup_codes[0]},
        headers=user_headers,
    )

    assert response.status_code == 204


async def test_disable_with_a_wrong_code_is_invalid_code(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    await enable_two_factor(client, user_headers)

    response = await client.post(
        DISABLE, json={"password": DEFAULT_PASSWORD, "code": "abcde-fghjk"}, headers=user_headers
    )

    assert_error(response, 400, "invalid_code")


async def test_disable_with_a_wrong_password_is_invalid_credentials(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)

    response = await client.post(
        DISABLE,
        json={"password": "not my password", "code": code(enabled.secret)},
        headers=user_headers,
    )

    assert_error(response, 401, "invalid_credentials")


async def test_disable_when_two_factor_is_off_is_mfa_not_enabled(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.post(
        DISABLE, json={"password": DEFAULT_PASSWORD, "code": "123456"}, headers=user_headers
    )

    assert_error(response, 400, "mfa_not_enabled")


async def test_new_backup_codes_replace_the_old_ones(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)

    response = await client.post(
        BACKUP_CODES,
        json={"password": DEFAULT_PASSWORD, "code": code(enabled.secret)},
        headers=user_headers,
    )

    assert response.status_code == 200
    new_codes = response.json()["backup_codes"]
    assert len(new_codes) == 10
    assert set(new_codes).isdisjoint(enabled.backup_codes)
    old = await second_step(client, await first_step(client, "alice"), enabled.backup_codes[1])
    assert_error(old, 401, "invalid_code")
    new = await second_step(client, await first_step(client, "alice"), new_codes[0])
    assert new.status_code == 200


async def test_new_backup_codes_need_a_right_code(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    await enable_two_factor(client, user_headers)

    response = await client.post(
        BACKUP_CODES, json={"password": DEFAULT_PASSWORD, "code": "000000"}, headers=user_headers
    )

    assert_error(response, 400, "invalid_code")


async def test_new_backup_codes_when_two_factor_is_off_is_mfa_not_enabled(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.post(
        BACKUP_CODES, json={"password": DEFAULT_PASSWORD, "code": "123456"}, headers=user_headers
    )

    assert_error(response, 400, "mfa_not_enabled")


async def test_a_lost_phone_is_recovered_with_a_backup_code(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    signed_in = await second_step(
        client, await first_step(client, "alice"), enabled.backup_codes[0]
    )
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

    response = await client.post(
        DISABLE,
        json={"password": DEFAULT_PASSWORD, "code": enabled.backup_codes[1]},
        headers=headers,
    )

    assert response.status_code == 204
