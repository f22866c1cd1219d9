"""GET /api/v1/users and GET /api/v1/users/{id} (docs/api.md, sections Conventions and Users)."""

from __future__ import annotations

import httpx
import pytest

from app.users.models import User
from tests.assertions import assert_error, assert_invalid
from tests.conftest import UserFactory

USERS = "/api/v1/users"
UNKNOWN_ID = "0190a000-0000-7000-8000-000000000000"


async def list_usernames(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str | int
) -> list[str]:
    response = await client.get(USERS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [u["username"] for u in response.json()["items"]]


async def test_list_users_gives_a_page_envelope(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.get(USERS, headers=user_headers)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "total", "skip", "limit"}
    assert (body["total"], body["skip"], body["limit"]) == (1, 0, 20)
    assert body["items"][0]["id"] == str(user.id)


async def test_list_users_items_have_no_password(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.get(USERS, headers=user_headers)

    assert "password" not in response.text
    assert "argon2" not in response.text


async def test_list_users_without_a_token_gives_401(client: httpx.AsyncClient) -> None:
    response = await client.get(USERS)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_list_users_is_newest_first(
    client: httpx.AsyncClient, user_factory: UserFactory, user_headers: dict[str, str]
) -> None:
    for name in ("first", "second", "third"):
        await user_factory(name)

    assert await list_usernames(client, user_headers) == ["third", "second", "first", "alice"]


async def test_list_users_pages_by_skip_and_limit(
    client: httpx.AsyncClient, user_factory: UserFactory, user_headers: dict[str, str]
) -> None:
    for name in ("u_1", "u_2", "u_3", "u_4"):
        await user_factory(name)

    response = await client.get(USERS, params={"skip": 1, "limit": 2}, headers=user_headers)

    body = response.json()
    assert [u["username"] for u in body["items"]] == ["u_3", "u_2"]
    assert (body["total"], body["skip"], body["limit"]) == (5, 1, 2)


async def test_list_users_pages_cover_every_user_once(
    client: httpx.AsyncClient, user_factory: UserFactory, user_headers: dict[str, str]
) -> None:
    for i in range(6):
        await user_factory(f"user{i}")
    every = await list_usernames(client, user_headers, limit=100)

    pages = [await list_usernames(client, user_headers, skip=s, limit=3) for s in (0, 3, 6)]

    assert [name for page in pages for name in page] == every
    assert len(every) == 7


async def test_list_users_skip_past_the_end_gives_an_empty_page_with_the_total(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.get(USERS, params={"skip": 10}, headers=user_headers)

    assert response.json()["items"] == []
    assert response.json()["total"] == 1


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": 0}, id="limit-0"),
        pytest.param({"limit": 101}, id="limit-101"),
        pytest.param({"skip": -1}, id="skip-minus-1"),
        pytest.param({"limit": "ten"}, id="limit-not-a-number"),
        pytest.param({"is_active": "perhaps"}, id="is_active-not-a-bool"),
    ],
)
async def test_list_users_with_out_of_range_parameters_gives_422(
    client: httpx.AsyncClient, user_headers: dict[str, str], params: dict[str, str | int]
) -> None:
    response = await client.get(USERS, params=params, headers=user_headers)

    assert_invalid(response, *params)


@pytest.mark.parametrize("limit", [1, 100])
async def test_list_users_accepts_limits_at_the_bounds(
    client: httpx.AsyncClient, user_headers: dict[str, str], limit: int
) -> None:
    response = await client.get(USERS, params={"limit": limit}, headers=user_headers)

    assert response.status_code == 200
    assert response.json()["limit"] == limit


async def test_list_users_filters_username_by_case_insensitive_substring(
    client: httpx.AsyncClient, user_factory: UserFactory, user_headers: dict[str, str]
) -> None:
    for name in ("Bobby", "rob.bob", "carol"):
        await user_factory(name)

    assert await list_usernames(client, user_headers, username="BOB") == ["rob.bob", "Bobby"]


async def test_list_users_username_filter_folds_unicode_case(
    client: httpx.AsyncClient, user_factory: UserFactory, user_headers: dict[str, str]
) -> None:
    # The API only takes ASCII usernames; rows stored otherwise (imported, or from before the
    # rule) are still found in any case, as every text filter folds case the same way.
    await user_factory("élise", "elise@example.com")
    await user_factory("elise2", "elise2@example.com")

    assert await list_usernames(client, user_headers, username="ÉLISE") == ["élise"]


async def test_list_users_username_filter_counts_only_matches(
    client: httpx.AsyncClient, user_factory: UserFactory, user_headers: dict[str, str]
) -> None:
    for name in ("bob1", "bob2", "bob3", "carol"):
        await user_factory(name)

    response = await client.get(USERS, params={"username": "bob", "limit": 2}, headers=user_headers)

    assert response.json()["total"] == 3


async def test_list_users_username_filter_treats_underscore_literally(
    client: httpx.AsyncClient, user_factory: UserFactory, user_headers: dict[str, str]
) -> None:
    await user_factory("xa_bx")
    await user_factory("xaxbx")

    assert await list_usernames(client, user_headers, username="A_B") == ["xa_bx"]


async def test_list_users_username_filter_treats_percent_literally(
    client: httpx.AsyncClient, user_factory: UserFactory, user_headers: dict[str, str]
) -> None:
    await user_factory("bob")

    assert await list_usernames(client, user_headers, username="%") == []
    assert await list_usernames(client, user_headers, username="b%b") == []


async def test_list_users_username_filter_treats_the_escape_character_literally(
    client: httpx.AsyncClient, user_factory: UserFactory, user_headers: dict[str, str]
) -> None:
    await user_factory("bob")

    assert await list_usernames(client, user_headers, username="/") == []
    assert await list_usernames(client, user_headers, username="\\") == []


@pytest.mark.parametrize("field", ["username", "email"])
async def test_list_users_text_filter_with_a_nul_character_gives_422(
    client: httpx.AsyncClient, user_headers: dict[str, str], field: str
) -> None:
    """PostgreSQL cannot compare text with NUL: this must not become a 500."""
    response = await client.get(USERS, params={field: "alice\x00"}, headers=user_headers)

    assert_invalid(response, field)


async def test_list_users_filters_email_exactly_in_any_case(
    client: httpx.AsyncClient, user_factory: UserFactory, user_headers: dict[str, str]
) -> None:
    await user_factory("bob", "bob@example.com")
    await user_factory("bobby", "bobby@example.com")

    assert await list_usernames(client, user_headers, email="BOB@Example.com") == ["bob"]


async def test_list_users_email_filter_does_not_match_substrings(
    client: httpx.AsyncClient, user_factory: UserFactory, user_headers: dict[str, str]
) -> None:
    await user_factory("bob", "bob@example.com")

    assert await list_usernames(client, user_headers, email="bob") == []


@pytest.mark.parametrize(("is_active", "expected"), [("false", ["sleeper"]), ("true", ["alice"])])
async def test_list_users_filters_is_active(
    client: httpx.AsyncClient,
    user_factory: UserFactory,
    user_headers: dict[str, str],
    is_active: str,
    expected: list[str],
) -> None:
    await user_factory("sleeper", is_active=False)

    assert await list_usernames(client, user_headers, is_active=is_active) == expected


async def test_list_users_combines_filters(
    client: httpx.AsyncClient, user_factory: UserFactory, user_headers: dict[str, str]
) -> None:
    await user_factory("bob_awake")
    await user_factory("bob_asleep", is_active=False)

    names = await list_usernames(client, user_headers, username="bob", is_active="false")

    assert names == ["bob_asleep"]


# --- GET /users/{id} --------------------------------------------------------------------------


async def test_read_user_by_id(
    client: httpx.AsyncClient, user_factory: UserFactory, user_headers: dict[str, str]
) -> None:
    bob = await user_factory("bob")

    response = await client.get(f"{USERS}/{bob.id}", headers=user_headers)

    assert response.status_code == 200
    assert response.json()["id"] == str(bob.id)
    assert response.json()["username"] == "bob"
    assert "hashed_password" not in response.json()


async def test_read_unknown_user_gives_404(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.get(f"{USERS}/{UNKNOWN_ID}", headers=user_headers)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "0190a000-0000-7000-8000-00000000000g"])
async def test_read_user_with_a_malformed_id_gives_422(
    client: httpx.AsyncClient, user_headers: dict[str, str], bad_id: str
) -> None:
    response = await client.get(f"{USERS}/{bad_id}", headers=user_headers)

    assert_invalid(response, "user_id")


async def test_read_user_without_a_token_gives_401(client: httpx.AsyncClient, user: User) -> None:
    response = await client.get(f"{USERS}/{user.id}")

    assert_error(response, 401, "not_authenticated")
