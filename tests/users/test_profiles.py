"""Profiles: /api/v1/users/me/profile and /api/v1/users/{id}/profile (docs/api.md, Users)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.users.models import User
from tests.assertions import assert_error, assert_invalid
from tests.conftest import HeadersFor, UserFactory, bearer

MY_PROFILE = "/api/v1/users/me/profile"
PROFILE_KEYS = {"user_id", "bio", "avatar_url", "updated_at"}
UNKNOWN_ID = "0190a000-0000-7000-8000-000000000000"


async def test_read_my_profile_gives_an_empty_profile_at_first(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.get(MY_PROFILE, headers=user_headers)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == PROFILE_KEYS
    assert body["user_id"] == str(user.id)
    assert body["bio"] is None
    assert body["avatar_url"] is None


async def test_a_registered_user_has_a_profile(client: httpx.AsyncClient) -> None:
    await client.post(
        "/api/v1/auth/register",
        json={"username": "bob", "email": "bob@example.com", "password": "s3cret-pass"},
    )
    token = (
        await client.post("/api/v1/auth/login", data={"username": "bob", "password": "s3cret-pass"})
    ).json()["access_token"]

    response = await client.get(MY_PROFILE, headers=bearer(token))

    assert response.status_code == 200
    assert response.json()["bio"] is None
    assert response.json()["avatar_url"] is None


async def test_read_my_profile_without_a_token_gives_401(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await client.get(MY_PROFILE)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_replace_my_profile_sets_both_fields(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    body = {"bio": "Curiouser and curiouser", "avatar_url": "https://example.com/a.png"}

    response = await client.put(MY_PROFILE, json=body, headers=user_headers)

    assert response.status_code == 200
    assert response.json()["bio"] == body["bio"]
    assert response.json()["avatar_url"] == body["avatar_url"]
    assert response.json()["user_id"] == str(user.id)


async def test_replaced_profile_is_stored(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    body = {"bio": "Curiouser", "avatar_url": "http://example.com/a.png"}
    await client.put(MY_PROFILE, json=body, headers=user_headers)

    response = await client.get(MY_PROFILE, headers=user_headers)

    assert {k: response.json()[k] for k in body} == body


async def test_replace_my_profile_keeps_the_url_exactly_as_given(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.put(
        MY_PROFILE, json={"avatar_url": "https://example.com"}, headers=user_headers
    )

    assert response.json()["avatar_url"] == "https://example.com"


async def test_replace_my_profile_sets_an_omitted_field_to_null(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    full = {"bio": "Curiouser", "avatar_url": "https://example.com/a.png"}
    await client.put(MY_PROFILE, json=full, headers=user_headers)

    response = await client.put(MY_PROFILE, json={"bio": "Only a bio"}, headers=user_headers)

    assert response.status_code == 200
    assert response.json()["bio"] == "Only a bio"
    assert response.json()["avatar_url"] is None
    stored = (await client.get(MY_PROFILE, headers=user_headers)).json()
    assert stored["avatar_url"] is None


async def test_replace_my_profile_with_an_empty_body_clears_it(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    full = {"bio": "Curiouser", "avatar_url": "https://example.com/a.png"}
    await client.put(MY_PROFILE, json=full, headers=user_headers)

    response = await client.put(MY_PROFILE, json={}, headers=user_headers)

    assert (response.json()["bio"], response.json()["avatar_url"]) == (None, None)


async def test_replace_my_profile_moves_updated_at_forward(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    before = (await client.get(MY_PROFILE, headers=user_headers)).json()

    after = (await client.put(MY_PROFILE, json={"bio": "new"}, headers=user_headers)).json()

    assert after["updated_at"] > before["updated_at"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"bio": "b" * 5000}, id="bio-5000"),
        pytest.param({"avatar_url": "https://example.com/" + "a" * 480}, id="url-500"),
        pytest.param({"avatar_url": "http://example.com/a.png"}, id="http"),
    ],
)
async def test_replace_my_profile_accepts_values_at_the_limits(
    client: httpx.AsyncClient, user_headers: dict[str, str], body: dict[str, Any]
) -> None:
    response = await client.put(MY_PROFILE, json=body, headers=user_headers)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"bio": "b" * 5001}, "bio", id="bio-5001"),
        pytest.param(
            {"avatar_url": "https://example.com/" + "a" * 481}, "avatar_url", id="url-501"
        ),
        pytest.param({"avatar_url": "ftp://example.com/a.png"}, "avatar_url", id="ftp"),
        pytest.param({"avatar_url": "javascript:alert(1)"}, "avatar_url", id="javascript"),
        pytest.param({"avatar_url": "not a url"}, "avatar_url", id="not-a-url"),
        pytest.param({"avatar_url": "/relative/a.png"}, "avatar_url", id="relative"),
        pytest.param(
            {"avatar_url": "https://example.com/a.png\n"}, "avatar_url", id="trailing-newline"
        ),
        pytest.param(
            {"avatar_url": " https://example.com/a.png"}, "avatar_url", id="leading-space"
        ),
        pytest.param({"avatar_url": "https://exa\tmple.com/a.png"}, "avatar_url", id="tab-inside"),
        pytest.param(
            {"avatar_url": "https://example.com/a b.png"}, "avatar_url", id="space-inside"
        ),
        pytest.param(
            {"bio": "ok", "website": "https://example.com"}, "website", id="unknown-field"
        ),
    ],
)
async def test_replace_my_profile_with_invalid_values_gives_422(
    client: httpx.AsyncClient, user_headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.put(MY_PROFILE, json=body, headers=user_headers)

    assert_invalid(response, field)


async def test_replace_my_profile_with_invalid_values_changes_nothing(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    await client.put(MY_PROFILE, json={"bio": "kept"}, headers=user_headers)

    await client.put(MY_PROFILE, json={"avatar_url": "ftp://x"}, headers=user_headers)

    assert (await client.get(MY_PROFILE, headers=user_headers)).json()["bio"] == "kept"


async def test_read_another_users_profile(
    client: httpx.AsyncClient,
    user_factory: UserFactory,
    headers_for: HeadersFor,
    user_headers: dict[str, str],
) -> None:
    bob = await user_factory("bob")
    await client.put(MY_PROFILE, json={"bio": "Bob's bio"}, headers=await headers_for(bob))

    response = await client.get(f"/api/v1/users/{bob.id}/profile", headers=user_headers)

    assert response.status_code == 200
    assert response.json()["user_id"] == str(bob.id)
    assert response.json()["bio"] == "Bob's bio"


async def test_read_profile_of_an_unknown_user_gives_404(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.get(f"/api/v1/users/{UNKNOWN_ID}/profile", headers=user_headers)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_read_profile_with_a_malformed_id_gives_422(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/users/not-a-uuid/profile", headers=user_headers)

    assert_invalid(response, "user_id")


async def test_read_profile_of_a_user_without_a_token_gives_401(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await client.get(f"/api/v1/users/{user.id}/profile")

    assert_error(response, 401, "not_authenticated")
