"""Acting on accounts by id: POST /users, PATCH and DELETE /users/{id}, notify, permissions."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from app.auth.dependencies import require_permission
from app.core.errors import Forbidden
from app.notifications.email import EmailMessage
from app.users.models import User
from tests.assertions import assert_error, assert_invalid
from tests.conftest import HeadersFor, UserFactory, login, stored_user

USERS = "/api/v1/users"
UNKNOWN_ID = "0190a000-0000-7000-8000-000000000000"


def new_user(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": "carol",
        "email": "carol@example.com",
        "password": "s3cret-pass",
    }
    body.update(fields)
    return body


# --- POST /users ------------------------------------------------------------------------------


async def test_superuser_creates_a_user_with_defaults(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.post(USERS, json=new_user(), headers=superuser_headers)

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "carol"
    assert (body["is_active"], body["is_superuser"], body["permissions"]) == (True, False, [])
    assert "password" not in response.text


async def test_superuser_creates_a_user_with_admin_fields(
    client: httpx.AsyncClient, state, superuser_headers: dict[str, str]
) -> None:
    body = new_user(is_active=False, is_superuser=True, permissions=["teams:delete"])

    response = await client.post(USERS, json=body, headers=superuser_headers)

    assert response.status_code == 201
    created = response.json()
    assert (created["is_active"], created["is_superuser"]) == (False, True)
    assert created["permissions"] == ["teams:delete"]
    stored = await stored_user(state, uuid.UUID(created["id"]))
    assert stored is not None
    assert (stored.is_active, stored.is_superuser, stored.permissions) == (
        False,
        True,
        ["teams:delete"],
    )


async def test_user_created_by_a_superuser_can_log_in(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    await client.post(USERS, json=new_user(email="Carol@Example.COM"), headers=superuser_headers)

    response = await login(client, "carol@example.com", "s3cret-pass")

    assert response.status_code == 200


async def test_user_created_by_a_superuser_has_a_profile(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    created = (await client.post(USERS, json=new_user(), headers=superuser_headers)).json()

    response = await client.get(f"{USERS}/{created['id']}/profile", headers=superuser_headers)

    assert response.status_code == 200


async def test_create_user_as_a_normal_user_gives_403_forbidden(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.post(USERS, json=new_user(), headers=user_headers)

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert_error(await login(client, "carol", "s3cret-pass"), 401, "invalid_credentials")


async def test_create_user_without_a_token_gives_401(client: httpx.AsyncClient) -> None:
    response = await client.post(USERS, json=new_user())

    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"username": "ALICE"}, "username", id="username"),
        pytest.param({"email": "Alice@Example.com"}, "email", id="email"),
    ],
)
async def test_create_user_with_a_taken_field_gives_409_naming_it(
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
    fields: dict[str, str],
    field: str,
) -> None:
    response = await client.post(USERS, json=new_user(**fields), headers=superuser_headers)

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert field in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(
            new_user(permissions="teams:delete"), "permissions", id="permissions-not-a-list"
        ),
        pytest.param(new_user(permissions=["has space"]), "permissions", id="permission-bad-chars"),
        pytest.param(new_user(permissions=[""]), "permissions", id="permission-empty"),
        pytest.param(new_user(is_active="maybe"), "is_active", id="is_active-not-bool"),
        pytest.param(new_user(role="admin"), "role", id="unknown-field"),
        pytest.param(new_user(password="short"), "password", id="password-short"),
        pytest.param(new_user(email="carol"), "email", id="email-bad"),
        pytest.param(new_user(username="c"), "username", id="username-short"),
    ],
)
async def test_create_user_with_invalid_input_gives_422(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.post(USERS, json=body, headers=superuser_headers)

    assert_invalid(response, field)


# --- PATCH /users/{id} ------------------------------------------------------------------------


async def test_user_updates_their_own_account_by_id(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.patch(
        f"{USERS}/{user.id}", json={"full_name": "Alice L."}, headers=user_headers
    )

    assert response.status_code == 200
    assert response.json()["full_name"] == "Alice L."


async def test_superuser_updates_another_users_fields(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    response = await client.patch(
        f"{USERS}/{user.id}",
        json={"username": "Alicia", "email": "ALICIA@example.com"},
        headers=superuser_headers,
    )

    assert response.status_code == 200
    assert (response.json()["username"], response.json()["email"]) == (
        "Alicia",
        "alicia@example.com",
    )


async def test_superuser_sets_admin_fields(
    client: httpx.AsyncClient, state, user: User, superuser_headers: dict[str, str]
) -> None:
    body = {"is_active": False, "is_superuser": True, "permissions": ["heroes:delete"]}

    response = await client.patch(f"{USERS}/{user.id}", json=body, headers=superuser_headers)

    assert response.status_code == 200
    stored = await stored_user(state, user.id)
    assert stored is not None
    assert (stored.is_active, stored.is_superuser, stored.permissions) == (
        False,
        True,
        ["heroes:delete"],
    )


async def test_another_normal_user_updating_gives_403_forbidden(
    client: httpx.AsyncClient,
    state,
    user: User,
    user_factory: UserFactory,
    headers_for: HeadersFor,
) -> None:
    bob = await user_factory("bob")

    response = await client.patch(
        f"{USERS}/{user.id}", json={"full_name": "Hacked"}, headers=await headers_for(bob)
    )

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    stored = await stored_user(state, user.id)
    assert stored is not None
    assert stored.full_name == "Alice Liddell"


async def test_another_normal_user_changing_a_password_gives_403_and_keeps_it(
    client: httpx.AsyncClient, user: User, user_factory: UserFactory, headers_for: HeadersFor
) -> None:
    bob = await user_factory("bob")

    response = await client.patch(
        f"{USERS}/{user.id}", json={"password": "taken over!"}, headers=await headers_for(bob)
    )

    assert_error(response, 403, "forbidden")
    assert (await login(client, "alice")).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"is_active": False}, id="is_active"),
        pytest.param({"is_superuser": True}, id="is_superuser"),
        pytest.param({"permissions": ["teams:delete"]}, id="permissions"),
        pytest.param({"full_name": "Changed", "is_superuser": True}, id="mixed"),
        pytest.param({"password": "a new password", "is_superuser": True}, id="with-password"),
    ],
)
async def test_normal_user_setting_admin_fields_on_themself_gives_403_and_changes_nothing(
    client: httpx.AsyncClient,
    state,
    user: User,
    user_headers: dict[str, str],
    body: dict[str, Any],
) -> None:
    response = await client.patch(f"{USERS}/{user.id}", json=body, headers=user_headers)

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    stored = await stored_user(state, user.id)
    assert stored is not None
    assert (stored.is_active, stored.is_superuser, stored.permissions) == (True, False, [])
    assert stored.full_name == "Alice Liddell"
    assert stored.hashed_password == user.hashed_password
    assert (await client.get(f"{USERS}/me", headers=user_headers)).status_code == 200


async def test_update_unknown_user_gives_404(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.patch(
        f"{USERS}/{UNKNOWN_ID}", json={"full_name": "x"}, headers=superuser_headers
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_update_user_to_a_taken_username_gives_409(
    client: httpx.AsyncClient,
    user: User,
    user_factory: UserFactory,
    superuser_headers: dict[str, str],
) -> None:
    await user_factory("bob")

    response = await client.patch(
        f"{USERS}/{user.id}", json={"username": "Bob"}, headers=superuser_headers
    )

    assert "username" in assert_error(response, 409, "conflict")["detail"]


async def test_update_user_to_a_taken_email_gives_409(
    client: httpx.AsyncClient,
    user: User,
    user_factory: UserFactory,
    superuser_headers: dict[str, str],
) -> None:
    await user_factory("bob", "bob@example.com")

    response = await client.patch(
        f"{USERS}/{user.id}", json={"email": "BOB@example.com"}, headers=superuser_headers
    )

    assert "email" in assert_error(response, 409, "conflict")["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"is_active": None}, "is_active", id="is_active-null"),
        pytest.param({"permissions": None}, "permissions", id="permissions-null"),
        pytest.param({"permissions": ["bad permission"]}, "permissions", id="permission-bad"),
        pytest.param({"username": "x"}, "username", id="username-short"),
        pytest.param({"role": "admin"}, "role", id="unknown-field"),
    ],
)
async def test_update_user_with_invalid_input_gives_422(
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    response = await client.patch(f"{USERS}/{user.id}", json=body, headers=superuser_headers)

    assert_invalid(response, field)


async def test_update_user_with_a_malformed_id_gives_422(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.patch(
        f"{USERS}/not-a-uuid", json={"full_name": "x"}, headers=superuser_headers
    )

    assert_invalid(response, "user_id")


# --- DELETE /users/{id} -----------------------------------------------------------------------


async def test_user_deletes_their_own_account_by_id(
    client: httpx.AsyncClient, state, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.delete(f"{USERS}/{user.id}", headers=user_headers)

    assert response.status_code == 204
    assert await stored_user(state, user.id) is None


async def test_superuser_deletes_another_user(
    client: httpx.AsyncClient, state, user: User, superuser_headers: dict[str, str]
) -> None:
    response = await client.delete(f"{USERS}/{user.id}", headers=superuser_headers)

    assert response.status_code == 204
    assert await stored_user(state, user.id) is None


async def test_another_normal_user_deleting_gives_403_and_keeps_the_user(
    client: httpx.AsyncClient,
    state,
    user: User,
    user_factory: UserFactory,
    headers_for: HeadersFor,
) -> None:
    bob = await user_factory("bob")

    response = await client.delete(f"{USERS}/{user.id}", headers=await headers_for(bob))

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert await stored_user(state, user.id) is not None


async def test_delete_unknown_user_gives_404(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.delete(f"{USERS}/{UNKNOWN_ID}", headers=superuser_headers)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_delete_user_twice_gives_404(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    await client.delete(f"{USERS}/{user.id}", headers=superuser_headers)

    response = await client.delete(f"{USERS}/{user.id}", headers=superuser_headers)

    assert_error(response, 404, "not_found")


# --- POST /users/{id}/notify ------------------------------------------------------------------


async def test_notify_gives_202_with_the_message(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    response = await client.post(f"{USERS}/{user.id}/notify", headers=superuser_headers)

    assert response.status_code == 202
    assert response.json() == {"message": "Notification will be sent"}


async def test_notify_without_a_body_sends_the_default_message(
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
    outbox: list[EmailMessage],
) -> None:
    await client.post(f"{USERS}/{user.id}/notify", headers=superuser_headers)

    assert [(m.to, m.body) for m in outbox] == [("alice@example.com", "Welcome to our platform!")]


async def test_notify_with_an_empty_body_sends_the_default_message(
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
    outbox: list[EmailMessage],
) -> None:
    response = await client.post(f"{USERS}/{user.id}/notify", json={}, headers=superuser_headers)

    assert response.status_code == 202
    assert [m.body for m in outbox] == ["Welcome to our platform!"]


async def test_notify_sends_the_given_message(
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
    outbox: list[EmailMessage],
) -> None:
    await client.post(
        f"{USERS}/{user.id}/notify",
        json={"message": "Your post is live"},
        headers=superuser_headers,
    )

    assert [(m.to, m.body) for m in outbox] == [("alice@example.com", "Your post is live")]


async def test_user_notifies_themself(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    outbox: list[EmailMessage],
) -> None:
    response = await client.post(f"{USERS}/{user.id}/notify", headers=user_headers)

    assert response.status_code == 202
    assert [m.to for m in outbox] == ["alice@example.com"]


async def test_notify_by_another_normal_user_gives_403_and_sends_nothing(
    client: httpx.AsyncClient,
    user: User,
    user_factory: UserFactory,
    headers_for: HeadersFor,
    outbox: list[EmailMessage],
) -> None:
    bob = await user_factory("bob")

    response = await client.post(f"{USERS}/{user.id}/notify", headers=await headers_for(bob))

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert outbox == []


async def test_notify_unknown_user_gives_404_and_sends_nothing(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], outbox: list[EmailMessage]
) -> None:
    response = await client.post(f"{USERS}/{UNKNOWN_ID}/notify", headers=superuser_headers)

    assert_error(response, 404, "not_found")
    assert outbox == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"message": ""}, "message", id="empty-message"),
        pytest.param({"message": "hi", "subject": "x"}, "subject", id="unknown-field"),
    ],
)
async def test_notify_with_an_invalid_body_gives_422(
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
    outbox: list[EmailMessage],
    body: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(f"{USERS}/{user.id}/notify", json=body, headers=superuser_headers)

    assert_invalid(response, field)
    assert outbox == []


# --- permissions ------------------------------------------------------------------------------


def test_user_with_a_permission_has_it() -> None:
    user = User(
        username="x", email="x@example.com", hashed_password="-", permissions=["teams:delete"]
    )

    assert user.has_permission("teams:delete")


def test_user_without_a_permission_lacks_it() -> None:
    user = User(
        username="x", email="x@example.com", hashed_password="-", permissions=["teams:delete"]
    )

    assert not user.has_permission("heroes:delete")


def test_superuser_has_every_permission() -> None:
    user = User(username="x", email="x@example.com", hashed_password="-", is_superuser=True)

    assert user.has_permission("heroes:delete")


async def test_require_permission_passes_a_holder() -> None:
    user = User(
        username="x", email="x@example.com", hashed_password="-", permissions=["teams:delete"]
    )

    assert await require_permission("teams:delete")(user) is user


async def test_require_permission_passes_a_superuser() -> None:
    user = User(username="x", email="x@example.com", hashed_password="-", is_superuser=True)

    assert await require_permission("teams:delete")(user) is user


async def test_require_permission_refuses_others_with_forbidden() -> None:
    user = User(
        username="x", email="x@example.com", hashed_password="-", permissions=["teams:read"]
    )

    with pytest.raises(Forbidden):
        await require_permission("teams:delete")(user)
