"""The security log: which events are recorded, and who may read them (docs/api.md, Account
lifecycle: GET /users/me/security-events, GET /security-events)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from app.users.models import User
from tests.assertions import assert_error, assert_invalid
from tests.conftest import DEFAULT_PASSWORD, HeadersFor, UserFactory, bearer, login

MINE = "/api/v1/users/me/security-events"
ALL = "/api/v1/security-events"
EVENT_FIELDS = {"id", "event", "user_id", "actor_id", "ip", "user_agent", "created_at"}


async def signed_in(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await login(client, username)
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


async def events_of(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, str]]:
    response = await client.get(MINE, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, str]] = response.json()["items"]
    return items


async def kinds(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    return [event["event"] for event in await events_of(client, headers)]


async def all_events(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], **filters: str
) -> list[dict[str, str]]:
    response = await client.get(ALL, headers=superuser_headers, params=filters)
    assert response.status_code == 200, response.text
    items: list[dict[str, str]] = response.json()["items"]
    return items


# --- what is recorded ---------------------------------------------------------------------


async def test_a_login_is_recorded_with_its_address_and_agent(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        data={"username": "alice", "password": DEFAULT_PASSWORD},
        headers={"User-Agent": "agora-test/1"},
    )
    tokens = response.json()

    [event] = await events_of(client, bearer(tokens["access_token"]))

    assert set(event) == EVENT_FIELDS
    assert event["event"] == "login"
    assert event["user_id"] == event["actor_id"] == str(user.id)
    assert event["ip"] == "127.0.0.1"
    assert event["user_agent"] == "agora-test/1"


async def test_a_failed_login_is_recorded_for_the_user_it_named(
    client: httpx.AsyncClient, user: User
) -> None:
    refused = await login(client, "alice", "not the password")
    assert_error(refused, 401, "invalid_credentials")
    tokens = await signed_in(client, "alice")

    assert await kinds(client, bearer(tokens["access_token"])) == ["login", "login_failed"]


async def test_a_failed_login_of_nobody_is_recorded_without_a_user(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    await login(client, "nobody-at-all", "whatever-password")

    [event] = await all_events(client, superuser_headers, event="login_failed")

    assert event["user_id"] is None
    assert event["actor_id"] is None


async def test_a_logout_is_recorded(client: httpx.AsyncClient, user: User) -> None:
    ended = await signed_in(client, "alice")
    await client.post("/api/v1/auth/logout", json={"refresh_token": ended["refresh_token"]})
    tokens = await signed_in(client, "alice")

    assert await kinds(client, bearer(tokens["access_token"])) == ["login", "logout", "login"]


async def test_a_reused_refresh_token_is_recorded(client: httpx.AsyncClient, user: User) -> None:
    stolen = await signed_in(client, "alice")
    await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    reused = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": stolen["refresh_token"]}
    )
    assert_error(reused, 401, "invalid_token")
    tokens = await signed_in(client, "alice")

    assert await kinds(client, bearer(tokens["access_token"])) == [
        "login",
        "refresh_reuse",
        "login",
    ]


async def test_a_password_change_is_recorded(client: httpx.AsyncClient, user: User) -> None:
    tokens = await signed_in(client, "alice")
    changed = await client.patch(
        "/api/v1/users/me",
        json={"password": "a brand new password"},
        headers=bearer(tokens["access_token"]),
    )
    assert changed.status_code == 200, changed.text
    fresh = await signed_in_with(client, "alice", "a brand new password")

    assert await kinds(client, bearer(fresh)) == ["login", "password_changed", "login"]


async def signed_in_with(client: httpx.AsyncClient, username: str, password: str) -> str:
    response = await login(client, username, password)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_revoking_a_session_is_recorded(client: httpx.AsyncClient, user: User) -> None:
    other = await signed_in(client, "alice")
    mine = await signed_in(client, "alice")
    sessions = await client.get("/api/v1/auth/sessions", headers=bearer(mine["access_token"]))
    other_id = next(s["id"] for s in sessions.json() if not s["current"])
    await client.delete(f"/api/v1/auth/sessions/{other_id}", headers=bearer(mine["access_token"]))
    assert other["access_token"]

    assert (await kinds(client, bearer(mine["access_token"])))[0] == "session_revoked"


async def test_ending_all_other_sessions_records_one_event_per_login_ended(
    client: httpx.AsyncClient, user: User
) -> None:
    for _ in range(3):
        await signed_in(client, "alice")
    mine = await signed_in(client, "alice")

    await client.delete("/api/v1/auth/sessions", headers=bearer(mine["access_token"]))

    recorded = await kinds(client, bearer(mine["access_token"]))
    assert recorded.count("session_revoked") == 3
    assert recorded[:3] == ["session_revoked"] * 3


async def test_a_superusers_change_of_another_user_is_recorded_with_the_superuser_as_actor(
    client: httpx.AsyncClient,
    user: User,
    superuser: User,
    superuser_headers: dict[str, str],
    user_headers: dict[str, str],
) -> None:
    response = await client.patch(
        f"/api/v1/users/{user.id}", json={"full_name": "Renamed"}, headers=superuser_headers
    )
    assert response.status_code == 200, response.text

    event, _login = await events_of(client, user_headers)

    assert event["event"] == "user_updated_by_admin"
    assert event["user_id"] == str(user.id)
    assert event["actor_id"] == str(superuser.id)


async def test_a_users_change_of_their_own_name_is_not_an_admin_event(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    await client.patch("/api/v1/users/me", json={"full_name": "Me"}, headers=user_headers)

    assert await kinds(client, user_headers) == ["login"]  # the fixture's login only


async def test_a_refused_change_records_nothing(
    client: httpx.AsyncClient, user: User, user_factory: UserFactory, headers_for: HeadersFor
) -> None:
    other = await user_factory("mallory")
    headers = await headers_for(other)

    refused = await client.patch(
        f"/api/v1/users/{user.id}", json={"full_name": "Pwned"}, headers=headers
    )

    assert_error(refused, 403, "forbidden")
    assert await kinds(client, headers) == ["login"]  # the fixture's login only


# --- reading the log ----------------------------------------------------------------------


async def test_my_events_are_newest_first_and_only_mine(
    client: httpx.AsyncClient, user: User, user_factory: UserFactory
) -> None:
    await user_factory("bob")
    await signed_in(client, "bob")
    await login(client, "alice", "wrong password")
    tokens = await signed_in(client, "alice")

    response = await client.get(MINE, headers=bearer(tokens["access_token"]))

    body = response.json()
    assert set(body) == {"items", "total", "skip", "limit"}
    assert [e["event"] for e in body["items"]] == ["login", "login_failed"]
    assert body["total"] == 2
    assert all(e["user_id"] == str(user.id) for e in body["items"])


async def test_my_events_are_paged(client: httpx.AsyncClient, user: User) -> None:
    for _ in range(3):
        await signed_in(client, "alice")
    tokens = await signed_in(client, "alice")

    response = await client.get(
        MINE, params={"skip": 1, "limit": 2}, headers=bearer(tokens["access_token"])
    )

    body = response.json()
    assert (body["total"], body["skip"], body["limit"], len(body["items"])) == (4, 1, 2, 2)


@pytest.mark.parametrize("path", [MINE, ALL])
async def test_the_event_pages_need_a_token(client: httpx.AsyncClient, path: str) -> None:
    assert_error(await client.get(path), 401, "not_authenticated")


async def test_all_events_are_for_superusers_only(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    assert_error(await client.get(ALL, headers=user_headers), 403, "forbidden")


async def test_all_events_filter_by_user_and_event(
    client: httpx.AsyncClient,
    user: User,
    user_factory: UserFactory,
    superuser_headers: dict[str, str],
) -> None:
    await user_factory("bob")
    await signed_in(client, "bob")
    await signed_in(client, "alice")
    await login(client, "alice", "wrong password")

    alices = await all_events(client, superuser_headers, user_id=str(user.id))
    failed = await all_events(client, superuser_headers, event="login_failed")
    alices_logins = await all_events(client, superuser_headers, user_id=str(user.id), event="login")

    assert [e["event"] for e in alices] == ["login_failed", "login"]
    assert [e["user_id"] for e in failed] == [str(user.id)]
    assert len(alices_logins) == 1


@pytest.mark.parametrize(
    ("params", "field"), [({"event": "coffee"}, "event"), ({"user_id": "nope"}, "user_id")]
)
async def test_all_events_refuse_bad_filters(
    client: httpx.AsyncClient,
    superuser_headers: dict[str, str],
    params: dict[str, str],
    field: str,
) -> None:
    response = await client.get(ALL, params=params, headers=superuser_headers)

    assert_invalid(response, field)


async def test_deleting_a_user_keeps_their_events(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    tokens = await signed_in(client, "alice")
    deleted = await client.delete("/api/v1/users/me", headers=bearer(tokens["access_token"]))
    assert deleted.status_code == 204

    events = await all_events(client, superuser_headers, user_id=str(user.id))

    assert [e["event"] for e in events] == ["login"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_events_cannot_be_changed_through_the_api(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], method: str
) -> None:
    for path in (ALL, MINE, f"{ALL}/{uuid.uuid4()}"):
        response = await client.request(method, path, headers=superuser_headers)
        assert response.status_code in {404, 405}, (method, path, response.text)
        assert response.json()["code"] in {"not_found", "method_not_allowed"}
