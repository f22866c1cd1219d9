"""GET/DELETE /api/v1/auth/sessions: the caller's logins (docs/api.md, Account lifecycle)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from app.auth.models import AuthSession
from app.core.state import AppState
from app.db.base import utcnow
from app.users.models import User
from tests.assertions import assert_error
from tests.conftest import UserFactory, bearer, login

SESSIONS = "/api/v1/auth/sessions"
ME = "/api/v1/users/me"
REFRESH = "/api/v1/auth/refresh"


async def signed_in(client: httpx.AsyncClient, username: str, agent: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login",
        data={"username": username, "password": "correct horse battery"},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


async def test_sessions_lists_exactly_the_session_fields(
    client: httpx.AsyncClient, user: User
) -> None:
    tokens = await signed_in(client, "alice", "laptop/1.0")

    response = await client.get(SESSIONS, headers=bearer(tokens["access_token"]))

    assert response.status_code == 200, response.text
    [session] = response.json()
    assert set(session) == {"id", "created_at", "last_used_at", "ip", "user_agent", "current"}
    assert session["user_agent"] == "laptop/1.0"
    assert session["ip"] == "127.0.0.1"
    assert session["current"] is True


async def test_sessions_lists_every_live_login_newest_first_marking_the_current(
    client: httpx.AsyncClient, user: User
) -> None:
    first = await signed_in(client, "alice", "laptop")
    second = await signed_in(client, "alice", "phone")

    sessions = (await client.get(SESSIONS, headers=bearer(first["access_token"]))).json()

    assert [s["user_agent"] for s in sessions] == ["phone", "laptop"]
    assert [s["current"] for s in sessions] == [False, True]
    assert second["access_token"] != first["access_token"]


async def test_sessions_leaves_out_other_users_and_ended_logins(
    client: httpx.AsyncClient, user: User, user_factory: UserFactory
) -> None:
    await user_factory("bob")
    await signed_in(client, "bob", "bob's")
    ended = await signed_in(client, "alice", "ended")
    await client.post("/api/v1/auth/logout", json={"refresh_token": ended["refresh_token"]})
    mine = await signed_in(client, "alice", "mine")

    sessions = (await client.get(SESSIONS, headers=bearer(mine["access_token"]))).json()

    assert [s["user_agent"] for s in sessions] == ["mine"]


async def test_sessions_leaves_out_logins_whose_refresh_token_expired(
    client: httpx.AsyncClient, user: User, state: AppState
) -> None:
    stale = await signed_in(client, "alice", "stale")
    current = await signed_in(client, "alice", "current")
    lifetime = timedelta(seconds=state.settings.refresh_token_seconds)
    async with state.db.sessionmaker() as db:
        await db.execute(
            update(AuthSession)
            .where(AuthSession.user_agent == "stale")  # type: ignore[arg-type]
            .values(last_used_at=utcnow() - lifetime - timedelta(minutes=1))
        )
        await db.commit()

    sessions = (await client.get(SESSIONS, headers=bearer(current["access_token"]))).json()

    assert [s["user_agent"] for s in sessions] == ["current"]
    assert stale["access_token"]


async def test_a_refresh_moves_last_used_at(client: httpx.AsyncClient, user: User) -> None:
    tokens = await signed_in(client, "alice", "laptop")
    [before] = (await client.get(SESSIONS, headers=bearer(tokens["access_token"]))).json()

    renewed = (await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})).json()
    [after] = (await client.get(SESSIONS, headers=bearer(renewed["access_token"]))).json()

    assert after["id"] == before["id"]
    assert after["last_used_at"] > before["last_used_at"]
    assert after["created_at"] == before["created_at"]
    assert after["current"] is True


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", SESSIONS),
        ("DELETE", SESSIONS),
        ("DELETE", f"{SESSIONS}/01920000-0000-7000-8000-000000000000"),
    ],
)
async def test_the_session_routes_need_a_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    assert_error(await client.request(method, path), 401, "not_authenticated")


async def test_revoking_a_session_ends_its_tokens_at_once(
    client: httpx.AsyncClient, user: User
) -> None:
    other = await signed_in(client, "alice", "stolen laptop")
    mine = await signed_in(client, "alice", "phone")
    sessions = (await client.get(SESSIONS, headers=bearer(mine["access_token"]))).json()
    other_id = next(s["id"] for s in sessions if not s["current"])

    response = await client.delete(f"{SESSIONS}/{other_id}", headers=bearer(mine["access_token"]))

    assert response.status_code == 204, response.text
    assert_error(await client.get(ME, headers=bearer(other["access_token"])), 401, "invalid_token")
    refreshed = await client.post(REFRESH, json={"refresh_token": other["refresh_token"]})
    assert_error(refreshed, 401, "invalid_token")
    assert (await client.get(ME, headers=bearer(mine["access_token"]))).status_code == 200


async def test_revoking_the_current_session_ends_it_too(
    client: httpx.AsyncClient, user: User
) -> None:
    mine = await signed_in(client, "alice", "phone")
    [session] = (await client.get(SESSIONS, headers=bearer(mine["access_token"]))).json()

    response = await client.delete(
        f"{SESSIONS}/{session['id']}", headers=bearer(mine["access_token"])
    )

    assert response.status_code == 204
    assert_error(await client.get(ME, headers=bearer(mine["access_token"])), 401, "invalid_token")


async def test_revoking_another_users_session_is_not_found_and_keeps_it(
    client: httpx.AsyncClient, user: User, user_factory: UserFactory
) -> None:
    await user_factory("bob")
    bobs = await signed_in(client, "bob", "bob's")
    [bob_session] = (await client.get(SESSIONS, headers=bearer(bobs["access_token"]))).json()
    mine = await signed_in(client, "alice", "mine")

    response = await client.delete(
        f"{SESSIONS}/{bob_session['id']}", headers=bearer(mine["access_token"])
    )

    assert_error(response, 404, "not_found")
    assert (await client.get(ME, headers=bearer(bobs["access_token"]))).status_code == 200


async def test_revoking_an_unknown_session_is_not_found(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.delete(f"{SESSIONS}/{uuid.uuid4()}", headers=user_headers)

    assert_error(response, 404, "not_found")


async def test_revoking_a_session_twice_is_not_found_the_second_time(
    client: httpx.AsyncClient, user: User
) -> None:
    other = await signed_in(client, "alice", "other")
    mine = await signed_in(client, "alice", "mine")
    [_, old] = (await client.get(SESSIONS, headers=bearer(mine["access_token"]))).json()
    assert other["access_token"]

    first = await client.delete(f"{SESSIONS}/{old['id']}", headers=bearer(mine["access_token"]))
    second = await client.delete(f"{SESSIONS}/{old['id']}", headers=bearer(mine["access_token"]))

    assert first.status_code == 204
    assert_error(second, 404, "not_found")


async def test_revoking_a_malformed_session_id_is_invalid(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.delete(f"{SESSIONS}/not-a-uuid", headers=user_headers)

    assert response.status_code == 422


async def test_revoking_all_others_keeps_only_the_current_login(
    client: httpx.AsyncClient, user: User
) -> None:
    others = [await signed_in(client, "alice", f"device {n}") for n in range(3)]
    mine = await signed_in(client, "alice", "mine")

    response = await client.delete(SESSIONS, headers=bearer(mine["access_token"]))

    assert response.status_code == 204, response.text
    for tokens in others:
        me = await client.get(ME, headers=bearer(tokens["access_token"]))
        assert_error(me, 401, "invalid_token")
    sessions = (await client.get(SESSIONS, headers=bearer(mine["access_token"]))).json()
    assert [(s["user_agent"], s["current"]) for s in sessions] == [("mine", True)]


async def test_revoking_all_others_leaves_other_users_alone(
    client: httpx.AsyncClient, user: User, user_factory: UserFactory
) -> None:
    await user_factory("bob")
    bobs = await signed_in(client, "bob", "bob's")
    mine = await signed_in(client, "alice", "mine")

    await client.delete(SESSIONS, headers=bearer(mine["access_token"]))

    assert (await client.get(ME, headers=bearer(bobs["access_token"]))).status_code == 200


async def test_login_records_the_client_address_and_agent(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await login(client, "alice")
    tokens = response.json()

    [session] = (await client.get(SESSIONS, headers=bearer(tokens["access_token"]))).json()

    assert session["ip"] == "127.0.0.1"
    assert session["user_agent"]  # httpx sends its own
