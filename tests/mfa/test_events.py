"""Two-factor changes in the security log: mfa_enabled, mfa_disabled, backup_code_used, and
the second login step's login (with its address and agent) or login_failed."""

from __future__ import annotations

import httpx

from app.users.models import User
from tests.conftest import DEFAULT_PASSWORD, bearer
from tests.mfa.helpers import DISABLE, LOGIN_MFA, code, enable_two_factor, first_step, second_step

MINE = "/api/v1/users/me/security-events"


async def kinds(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await client.get(MINE, headers=headers)
    assert response.status_code == 200, response.text
    return [event["event"] for event in response.json()["items"]]


async def test_turning_two_factor_on_is_recorded(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    await enable_two_factor(client, user_headers)

    assert (await kinds(client, user_headers))[0] == "mfa_enabled"


async def test_turning_two_factor_off_is_recorded(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    await client.post(
        DISABLE,
        json={"password": DEFAULT_PASSWORD, "code": code(enabled.secret)},
        headers=user_headers,
    )

    assert (await kinds(client, user_headers))[0] == "mfa_disabled"


async def test_the_second_step_records_the_login_with_its_address_and_agent(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)
    mfa_token = await first_step(client, "alice")

    response = await client.post(
        LOGIN_MFA,
        json={"mfa_token": mfa_token, "code": code(enabled.secret)},
        headers={"User-Agent": "agora-mfa-test/1"},
    )

    events = (await client.get(MINE, headers=bearer(response.json()["access_token"]))).json()
    latest = events["items"][0]
    assert latest["event"] == "login"
    assert latest["user_agent"] == "agora-mfa-test/1"
    assert latest["ip"] == "127.0.0.1"


async def test_the_password_step_alone_records_no_login(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    await enable_two_factor(client, user_headers)

    await first_step(client, "alice")

    assert (await kinds(client, user_headers))[0] == "mfa_enabled"


async def test_a_backup_code_login_records_its_use_and_the_login(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enabled = await enable_two_factor(client, user_headers)

    await second_step(client, await first_step(client, "alice"), enabled.backup_codes[0])

    assert (await kinds(client, user_headers))[:2] == ["login", "backup_code_used"]


async def test_a_wrong_code_at_the_second_step_is_a_failed_login(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    await enable_two_factor(client, user_headers)

    await second_step(client, await first_step(client, "alice"), "000000x")

    assert (await kinds(client, user_headers))[0] == "login_failed"
