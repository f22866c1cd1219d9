"""GET, PATCH and DELETE /api/v1/users/me (docs/api.md, section Users)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from app.users.models import Profile, User
from tests.assertions import assert_error, assert_invalid
from tests.conftest import DEFAULT_PASSWORD, UserFactory, login, stored_user

ME = "/api/v1/users/me"
USER_KEYS = {
    "id",
    "username",
    "email",
    "full_name",
    "is_active",
    "is_superuser",
    "is_verified",
    "permissions",
    "mfa_enabled",
    "created_at",
    "updated_at",
}


# --- GET ------------------------------------------------------------------------------------


async def test_read_me_gives_the_callers_user(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.get(ME, headers=user_headers)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == USER_KEYS
    assert body["id"] == str(user.id)
    assert body["username"] == "alice"
    assert body["email"] == "alice@example.com"
    assert body["full_name"] == "Alice Liddell"
    assert body["permissions"] == []


async def test_read_me_gives_timezone_aware_datetimes(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    body = (await client.get(ME, headers=user_headers)).json()

    assert body["created_at"].endswith(("Z", "+00:00"))
    assert body["updated_at"].endswith(("Z", "+00:00"))


async def test_read_me_without_a_token_gives_401_not_authenticated(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_read_me_with_another_auth_scheme_gives_401_not_authenticated(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await client.get(ME, headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "body"), [("patch", {"full_name": "x"}), ("delete", None)])
async def test_changing_me_without_a_token_gives_401(
    client: httpx.AsyncClient, state, user: User, method: str, body: dict[str, Any] | None
) -> None:
    response = await client.request(method.upper(), ME, json=body)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await stored_user(state, user.id) is not None


# --- PATCH ----------------------------------------------------------------------------------


async def test_update_me_changes_the_full_name(
    client: httpx.AsyncClient, state, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, json={"full_name": "Alice L."}, headers=user_headers)

    assert response.status_code == 200
    assert response.json()["full_name"] == "Alice L."
    stored = await stored_user(state, user.id)
    assert stored is not None
    assert stored.full_name == "Alice L."


async def test_update_me_with_null_full_name_clears_it(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, json={"full_name": None}, headers=user_headers)

    assert response.status_code == 200
    assert response.json()["full_name"] is None


async def test_update_me_keeps_omitted_fields(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, json={"username": "alice2"}, headers=user_headers)

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "alice2"
    assert body["email"] == "alice@example.com"
    assert body["full_name"] == "Alice Liddell"


async def test_update_me_with_an_empty_body_changes_nothing(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    before = (await client.get(ME, headers=user_headers)).json()

    response = await client.patch(ME, json={}, headers=user_headers)

    assert response.status_code == 200
    assert {k: v for k, v in response.json().items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


async def test_update_me_moves_updated_at_forward(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    before = (await client.get(ME, headers=user_headers)).json()

    after = (await client.patch(ME, json={"full_name": "New"}, headers=user_headers)).json()

    assert after["updated_at"] > before["updated_at"]
    assert after["created_at"] == before["created_at"]


async def test_update_me_stores_the_username_as_typed(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, json={"username": "Alice.New"}, headers=user_headers)

    assert response.json()["username"] == "Alice.New"


async def test_update_me_to_another_case_of_my_own_username_is_fine(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, json={"username": "ALICE"}, headers=user_headers)

    assert response.status_code == 200
    assert response.json()["username"] == "ALICE"


async def test_update_me_to_my_own_email_in_another_case_is_fine(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, json={"email": "ALICE@Example.com"}, headers=user_headers)

    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.com"


async def test_update_me_stores_a_new_email_lower_cased(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, json={"email": "Alice@Wonderland.ORG"}, headers=user_headers)

    assert response.status_code == 200
    assert response.json()["email"] == "alice@wonderland.org"


async def test_update_me_new_username_logs_in(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    await client.patch(ME, json={"username": "Alice.New"}, headers=user_headers)

    assert (await login(client, "alice.new")).status_code == 200
    assert_error(await login(client, "alice"), 401, "invalid_credentials")


@pytest.mark.parametrize("username", ["bob", "BOB", "Bob"])
async def test_update_me_to_a_taken_username_gives_409_naming_username(
    client: httpx.AsyncClient,
    state,
    user: User,
    user_factory: UserFactory,
    user_headers: dict[str, str],
    username: str,
) -> None:
    await user_factory("bob")

    response = await client.patch(ME, json={"username": username}, headers=user_headers)

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "username" in response.json()["detail"]
    stored = await stored_user(state, user.id)
    assert stored is not None
    assert stored.username == "alice"


@pytest.mark.parametrize("email", ["bob@example.com", "BOB@EXAMPLE.COM"])
async def test_update_me_to_a_taken_email_gives_409_naming_email(
    client: httpx.AsyncClient,
    user_factory: UserFactory,
    user_headers: dict[str, str],
    email: str,
) -> None:
    await user_factory("bob", "bob@example.com")

    response = await client.patch(ME, json={"email": email}, headers=user_headers)

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "email" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"is_active": False}, "is_active", id="is_active"),
        pytest.param({"is_superuser": True}, "is_superuser", id="is_superuser"),
        pytest.param({"permissions": ["teams:delete"]}, "permissions", id="permissions"),
        pytest.param({"id": "0190a000-0000-7000-8000-000000000000"}, "id", id="id"),
        pytest.param({"created_at": "2020-01-01T00:00:00Z"}, "created_at", id="created_at"),
        pytest.param({"hashed_password": "x"}, "hashed_password", id="hashed_password"),
        pytest.param({"full_name": "ok", "is_superuser": True}, "is_superuser", id="mixed"),
    ],
)
async def test_update_me_with_other_fields_gives_422_and_changes_nothing(
    client: httpx.AsyncClient,
    state,
    user: User,
    user_headers: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    response = await client.patch(ME, json=body, headers=user_headers)

    assert_invalid(response, field)
    stored = await stored_user(state, user.id)
    assert stored is not None
    assert (stored.is_active, stored.is_superuser, stored.permissions) == (True, False, [])
    assert stored.full_name == "Alice Liddell"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"username": "ab"}, id="username-short"),
        pytest.param({"username": "u" * 51}, id="username-long"),
        pytest.param({"username": "a b c"}, id="username-chars"),
        pytest.param({"username": None}, id="username-null"),
        pytest.param({"email": "nope"}, id="email-bad"),
        pytest.param({"email": None}, id="email-null"),
        pytest.param({"password": "short"}, id="password-short"),
        pytest.param({"password": "p" * 129}, id="password-long"),
        pytest.param({"password": None}, id="password-null"),
        pytest.param({"full_name": "f" * 101}, id="full-name-long"),
    ],
)
async def test_update_me_with_invalid_values_gives_422(
    client: httpx.AsyncClient, user_headers: dict[str, str], body: dict[str, Any]
) -> None:
    response = await client.patch(ME, json=body, headers=user_headers)

    assert_invalid(response, *body)


async def test_update_me_422_does_not_echo_the_password(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, json={"password": "tooshrt"}, headers=user_headers)

    assert_invalid(response, "password")
    assert "tooshrt" not in response.text


async def test_update_me_response_has_no_password(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, json={"password": "a new password"}, headers=user_headers)

    assert response.status_code == 200
    assert set(response.json()) == USER_KEYS
    assert "a new password" not in response.text


# --- DELETE ---------------------------------------------------------------------------------


async def test_delete_me_gives_204(client: httpx.AsyncClient, user_headers: dict[str, str]) -> None:
    response = await client.delete(ME, headers=user_headers)

    assert response.status_code == 204
    assert response.content == b""


async def test_delete_me_removes_the_user(
    client: httpx.AsyncClient, state, user: User, user_headers: dict[str, str]
) -> None:
    await client.delete(ME, headers=user_headers)

    assert await stored_user(state, user.id) is None
    assert_error(await login(client, "alice", DEFAULT_PASSWORD), 401, "invalid_credentials")


async def test_delete_me_removes_the_profile(
    client: httpx.AsyncClient, state, user: User, user_headers: dict[str, str]
) -> None:
    await client.put(f"{ME}/profile", json={"bio": "gone soon"}, headers=user_headers)

    await client.delete(ME, headers=user_headers)

    async with state.db.sessionmaker() as db_session:
        assert await db_session.get(Profile, user.id) is None


async def test_delete_me_removes_my_posts_and_keeps_others(
    client: httpx.AsyncClient,
    state,
    user: User,
    user_factory: UserFactory,
    post_factory: Callable[..., Awaitable[Any]],
    user_headers: dict[str, str],
) -> None:
    from app.posts.models import Post

    mine = [await post_factory(user, "Mine"), await post_factory(user, "Draft", is_published=False)]
    theirs = await post_factory(await user_factory("bob"), "Theirs")

    await client.delete(ME, headers=user_headers)

    async with state.db.sessionmaker() as db_session:
        assert [await db_session.get(Post, p.id) for p in mine] == [None, None]
        assert await db_session.get(Post, theirs.id) is not None


async def test_delete_me_leaves_other_users(
    client: httpx.AsyncClient,
    state,
    user_factory: UserFactory,
    user_headers: dict[str, str],
) -> None:
    bob = await user_factory("bob")

    await client.delete(ME, headers=user_headers)

    assert await stored_user(state, bob.id) is not None
    assert (await login(client, "bob")).status_code == 200


async def test_openapi_documents_401_and_403_on_every_signed_in_users_route(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()

    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/users")
        for method, operation in operations.items()
        if not {"401", "403"} <= operation["responses"].keys()
    ]
    assert undocumented == []


async def test_email_with_a_display_name_is_refused(client, user_headers) -> None:
    response = await client.patch(
        "/api/v1/users/me", json={"email": "Bob <bob@example.com>"}, headers=user_headers
    )
    assert_invalid(response, "email")
