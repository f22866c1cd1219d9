"""`is_verified` is a superuser's field: set at creation (one or many) or by PATCH; users a
superuser creates get no email; the first superuser is verified."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select

from app.core.config import Settings
from app.core.state import AppState
from app.main import create_app
from app.notifications.email import EmailMessage
from app.users.models import User
from tests.assertions import assert_error
from tests.conftest import stored_user
from tests.support import running

USERS = "/api/v1/users"


def new_user(name: str, **fields: object) -> dict[str, object]:
    return {"username": name, "email": f"{name}@example.com", "password": "s3cret pass!", **fields}


async def test_a_user_a_superuser_creates_is_unverified_by_default(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.post(USERS, json=new_user("ada"), headers=superuser_headers)

    assert (response.status_code, response.json()["is_verified"]) == (201, False)


async def test_a_superuser_may_create_a_verified_user(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], state: AppState
) -> None:
    response = await client.post(
        USERS, json=new_user("ada", is_verified=True), headers=superuser_headers
    )

    assert (response.status_code, response.json()["is_verified"]) == (201, True)
    stored = await stored_user(state, uuid.UUID(response.json()["id"]))
    assert stored is not None
    assert stored.is_verified is True


async def test_users_a_superuser_creates_get_no_email(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], outbox: list[EmailMessage]
) -> None:
    one = await client.post(USERS, json=new_user("ada"), headers=superuser_headers)
    bulk = await client.post(
        f"{USERS}/bulk",
        json={"users": [new_user("bea", is_verified=True), new_user("cyd")]},
        headers=superuser_headers,
    )

    assert (one.status_code, bulk.status_code) == (201, 201)
    assert [u["is_verified"] for u in bulk.json()] == [True, False]
    assert outbox == []


async def test_a_superuser_may_mark_a_user_verified(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    response = await client.patch(
        f"{USERS}/{user.id}", json={"is_verified": True}, headers=superuser_headers
    )

    assert (response.status_code, response.json()["is_verified"]) == (200, True)


@pytest.mark.parametrize("path", ["me", "{id}"])
async def test_a_user_may_not_mark_themself_verified(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str], state: AppState, path: str
) -> None:
    response = await client.patch(
        f"{USERS}/{path.format(id=user.id)}", json={"is_verified": True}, headers=user_headers
    )

    if path == "me":  # not a field of PATCH /users/me at all
        assert response.status_code == 422
    else:
        assert_error(response, 403, "forbidden")
    stored = await stored_user(state, user.id)
    assert stored is not None
    assert stored.is_verified is False


async def test_a_user_may_not_create_users_verified_or_not(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.post(
        USERS, json=new_user("ada", is_verified=True), headers=user_headers
    )

    assert_error(response, 403, "forbidden")


async def test_registration_cannot_set_is_verified(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/register", json=new_user("ada", is_verified=True))

    assert response.status_code == 422


async def test_the_first_superuser_is_verified(
    state: AppState, client: httpx.AsyncClient, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        FIRST_SUPERUSER_EMAIL="boss@example.com",
        FIRST_SUPERUSER_PASSWORD="boss-password-1",
        FIRST_SUPERUSER_USERNAME="boss",
    )
    async with running(create_app(settings)):
        pass
    async with state.db.sessionmaker() as session:
        boss = (await session.scalars(select(User).where(User.username == "boss"))).one()
    assert (boss.is_superuser, boss.is_verified) == (True, True)
