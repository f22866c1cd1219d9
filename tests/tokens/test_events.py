"""Personal tokens in the security log: token_created, token_revoked."""

from __future__ import annotations

import httpx

from app.users.models import User
from tests.tokens.conftest import TOKENS, PatFor

MINE = "/api/v1/users/me/security-events"


async def kinds(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await client.get(MINE, headers=headers)
    assert response.status_code == 200, response.text
    return [event["event"] for event in response.json()["items"]]


async def test_creating_a_token_is_recorded(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str], pat_for: PatFor
) -> None:
    await pat_for(user)

    assert (await kinds(client, user_headers))[0] == "token_created"


async def test_revoking_a_token_is_recorded(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str], pat_for: PatFor
) -> None:
    created = await pat_for(user)
    await client.delete(f"{TOKENS}/{created['id']}", headers=user_headers)

    assert (await kinds(client, user_headers))[0] == "token_revoked"


async def test_a_refused_revocation_records_nothing(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    before = await kinds(client, user_headers)

    await client.delete(f"{TOKENS}/01a21d55-3cc1-75e0-8495-63e20d52cb35", headers=user_headers)

    assert await kinds(client, user_headers) == before
