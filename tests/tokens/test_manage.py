"""Creating, listing and revoking personal access tokens (POST/GET/DELETE /auth/tokens)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from app.core.state import AppState
from app.tokens.models import PersonalToken
from app.users.models import User
from tests.assertions import assert_error, assert_invalid
from tests.conftest import UserFactory, bearer
from tests.tokens.conftest import TOKENS, PatFor


async def test_a_new_token_is_shown_once_with_its_fields(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.post(
        TOKENS, json={"name": "ci", "scopes": ["read"]}, headers=user_headers
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "name",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "token",
    }
    assert body["token"].startswith("agora_pat_")
    assert len(body["token"]) >= len("agora_pat_") + 40
    assert body["prefix"] == body["token"][:16]
    assert body["scopes"] == ["read"]
    assert body["expires_at"] is None
    assert body["last_used_at"] is None


async def test_the_list_never_shows_the_token(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str], pat_for: PatFor
) -> None:
    created = await pat_for(user)

    response = await client.get(TOKENS, headers=user_headers)

    assert response.status_code == 200
    [listed] = response.json()
    assert "token" not in listed
    assert listed["id"] == created["id"]
    assert listed["prefix"] == created["prefix"]


async def test_the_list_is_newest_first_and_only_the_callers(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    pat_for: PatFor,
    user_factory: UserFactory,
) -> None:
    first = await pat_for(user, name="first")
    second = await pat_for(user, name="second")
    await pat_for(await user_factory("bob"), name="bobs")

    response = await client.get(TOKENS, headers=user_headers)

    assert [item["id"] for item in response.json()] == [second["id"], first["id"]]


async def test_the_token_is_stored_only_as_its_sha256(
    client: httpx.AsyncClient, user: User, pat_for: PatFor, state: AppState
) -> None:
    created = await pat_for(user)

    async with state.db.sessionmaker() as session:
        row = (await session.scalars(select(PersonalToken))).one()
    assert row.token_hash == hashlib.sha256(created["token"].encode()).hexdigest()
    assert created["token"] not in {row.token_hash, row.prefix, row.name}


async def test_expires_in_days_sets_the_expiry(
    client: httpx.AsyncClient, user: User, pat_for: PatFor
) -> None:
    created = await pat_for(user, expires_in_days=30)

    created_at = datetime.fromisoformat(created["created_at"])
    expires_at = datetime.fromisoformat(created["expires_at"])
    assert expires_at - created_at == timedelta(days=30)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["admin"]}, "scopes"),
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": 3651}, "expires_in_days"),
        ({"name": "x", "scopes": ["read"], "owner": "bob"}, "owner"),
    ],
)
async def test_an_invalid_token_request_is_422(
    client: httpx.AsyncClient, user_headers: dict[str, str], body: dict[str, object], field: str
) -> None:
    response = await client.post(TOKENS, json=body, headers=user_headers)

    assert_invalid(response, field)


async def test_revoking_a_token_makes_it_401(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str], pat_for: PatFor
) -> None:
    created = await pat_for(user)

    response = await client.delete(f"{TOKENS}/{created['id']}", headers=user_headers)

    assert response.status_code == 204
    after = await client.get("/api/v1/users/me", headers=bearer(created["token"]))
    assert_error(after, 401, "invalid_token")


async def test_revoking_another_users_token_is_404(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    pat_for: PatFor,
    user_factory: UserFactory,
) -> None:
    bobs = await pat_for(await user_factory("bob"))

    response = await client.delete(f"{TOKENS}/{bobs['id']}", headers=user_headers)

    assert_error(response, 404, "not_found")
    still = await client.get("/api/v1/users/me", headers=bearer(bobs["token"]))
    assert still.status_code == 200


async def test_revoking_an_unknown_token_is_404(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.delete(f"{TOKENS}/{uuid.uuid4()}", headers=user_headers)

    assert_error(response, 404, "not_found")


async def test_the_token_routes_need_a_signed_in_caller(client: httpx.AsyncClient) -> None:
    response = await client.get(TOKENS)

    assert_error(response, 401, "not_authenticated")
