"""Turning two-factor sign-in on: POST /auth/mfa/totp/setup and /confirm."""

from __future__ import annotations

import base64
import re

import httpx
from sqlalchemy import select

from app.core.state import AppState
from app.mfa.crypto import mfa_crypto
from app.mfa.models import BackupCode, TotpSecret
from app.users.models import User
from tests.assertions import assert_error, assert_invalid
from tests.conftest import DEFAULT_PASSWORD, HeadersFor, login
from tests.mfa.helpers import CONFIRM, SETUP, code, enable_two_factor


async def test_setup_gives_a_base32_secret_and_its_otpauth_uri(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.post(SETUP, json={"password": DEFAULT_PASSWORD}, headers=user_headers)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"secret", "otpauth_uri"}
    assert len(base64.b32decode(body["secret"])) >= 20
    assert body["otpauth_uri"] == (
        f"otpauth://totp/Agora:alice?secret={body['secret']}&issuer=Agora"
    )


async def test_setup_with_a_wrong_password_is_invalid_credentials(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.post(SETUP, json={"password": "not my password"}, headers=user_headers)

    assert_error(response, 401, "invalid_credentials")


async def test_setup_needs_a_signed_in_caller(client: httpx.AsyncClient) -> None:
    response = await client.post(SETUP, json={"password": DEFAULT_PASSWORD})

    assert_error(response, 401, "not_authenticated")


async def test_setup_refuses_unknown_fields(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.post(
        SETUP, json={"password": DEFAULT_PASSWORD, "secret": "AAAA"}, headers=user_headers
    )

    assert_invalid(response, "secret")


async def test_confirm_with_a_code_of_the_secret_turns_two_factor_on(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    setup = await client.post(SETUP, json={"password": DEFAULT_PASSWORD}, headers=user_headers)

    response = await client.post(
        CONFIRM, json={"code": code(setup.json()["secret"])}, headers=user_headers
    )

    assert response.status_code == 200
    codes = response.json()["backup_codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", value) for value in codes)
    me = await client.get("/api/v1/users/me", headers=user_headers)
    assert me.json()["mfa_enabled"] is True


async def test_mfa_enabled_is_false_until_confirmed(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    await client.post(SETUP, json={"password": DEFAULT_PASSWORD}, headers=user_headers)

    me = await client.get("/api/v1/users/me", headers=user_headers)

    assert me.json()["mfa_enabled"] is False


async def test_confirm_with_a_wrong_code_is_invalid_code(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    setup = await client.post(SETUP, json={"password": DEFAULT_PASSWORD}, headers=user_headers)
    wrong = f"{(int(code(setup.json()['secret'])) + 1) % 1_000_000:06d}"

    response = await client.post(CONFIRM, json={"code": wrong}, headers=user_headers)

    assert_error(response, 400, "invalid_code")


async def test_confirm_without_a_pending_setup_is_mfa_not_enabled(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.post(CONFIRM, json={"code": "123456"}, headers=user_headers)

    assert_error(response, 400, "mfa_not_enabled")


async def test_a_new_setup_replaces_the_pending_one(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    first = await client.post(SETUP, json={"password": DEFAULT_PASSWORD}, headers=user_headers)
    second = await client.post(SETUP, json={"password": DEFAULT_PASSWORD}, headers=user_headers)
    old_secret, new_secret = first.json()["secret"], second.json()["secret"]
    assert old_secret != new_secret

    refused = await client.post(CONFIRM, json={"code": code(old_secret)}, headers=user_headers)
    accepted = await client.post(CONFIRM, json={"code": code(new_secret)}, headers=user_headers)

    assert_error(refused, 400, "invalid_code")
    assert accepted.status_code == 200


async def test_setup_when_two_factor_is_on_is_mfa_already_enabled(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    await enable_two_factor(client, user_headers)

    response = await client.post(SETUP, json={"password": DEFAULT_PASSWORD}, headers=user_headers)

    assert_error(response, 400, "mfa_already_enabled")


async def test_the_secret_is_stored_encrypted(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str], state: AppState
) -> None:
    enabled = await enable_two_factor(client, user_headers)

    async with state.db.sessionmaker() as session:
        stored = await session.get(TotpSecret, user.id)
    assert stored is not None
    assert enabled.secret not in stored.secret_encrypted
    assert mfa_crypto(state.settings.secret_key).decrypt(stored.secret_encrypted) == enabled.secret
    assert (
        mfa_crypto("another-secret-key-of-enough-length!!").decrypt(stored.secret_encrypted) is None
    )


async def test_backup_codes_are_stored_only_as_digests(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str], state: AppState
) -> None:
    enabled = await enable_two_factor(client, user_headers)

    async with state.db.sessionmaker() as session:
        stored = (await session.scalars(select(BackupCode.code_hash))).all()
    assert len(stored) == 10
    plain = {value.replace("-", "") for value in enabled.backup_codes}
    assert plain.isdisjoint(stored)
    assert set(enabled.backup_codes).isdisjoint(stored)


async def test_turning_two_factor_on_keeps_the_existing_sessions(
    client: httpx.AsyncClient, user: User, headers_for: HeadersFor
) -> None:
    other_login = await headers_for(user)
    this_login = await headers_for(user)
    await enable_two_factor(client, this_login)

    for headers in (other_login, this_login):
        response = await client.get("/api/v1/users/me", headers=headers)
        assert response.status_code == 200


async def test_mfa_enabled_cannot_be_set_by_the_user(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(
        "/api/v1/users/me", json={"mfa_enabled": True}, headers=user_headers
    )

    assert_invalid(response, "mfa_enabled")


async def test_a_user_without_two_factor_logs_in_in_one_step(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await login(client, "alice")

    assert response.status_code == 200
    assert "access_token" in response.json()
