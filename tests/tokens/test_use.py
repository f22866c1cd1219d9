"""Requests made with a personal access token: scopes, account management, superusers, the
owner's state, expiry and revocation (docs/api.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlmodel import col

from app.core.state import AppState
from app.db.base import utcnow
from app.tokens.models import PersonalToken
from app.tokens.service import PersonalTokenService
from app.users.models import User
from tests.assertions import assert_error
from tests.conftest import DEFAULT_PASSWORD, UserFactory, bearer, login
from tests.tokens.conftest import TOKENS, PatFor

ME = "/api/v1/users/me"
POST = {"title": "From a script", "content": "Hello"}


async def test_a_token_signs_in_as_its_owner(
    client: httpx.AsyncClient, user: User, pat_for: PatFor
) -> None:
    created = await pat_for(user)

    response = await client.get(ME, headers=bearer(created["token"]))

    assert response.status_code == 200
    assert response.json()["id"] == str(user.id)


async def test_an_unknown_token_is_invalid_token(client: httpx.AsyncClient, user: User) -> None:
    response = await client.get(ME, headers=bearer("agora_pat_" + "x" * 43))

    assert_error(response, 401, "invalid_token")


async def test_a_read_token_may_get(client: httpx.AsyncClient, user: User, pat_for: PatFor) -> None:
    created = await pat_for(user, ("read",))

    response = await client.get("/api/v1/users", headers=bearer(created["token"]))

    assert response.status_code == 200


async def test_a_read_token_may_head(
    client: httpx.AsyncClient, user: User, pat_for: PatFor
) -> None:
    created = await pat_for(user, ("read",))

    response = await client.head(ME, headers=bearer(created["token"]))

    assert response.status_code == 200


async def test_a_read_token_may_not_post(
    client: httpx.AsyncClient, user: User, pat_for: PatFor
) -> None:
    created = await pat_for(user, ("read",))

    response = await client.post("/api/v1/posts", json=POST, headers=bearer(created["token"]))

    assert_error(response, 403, "insufficient_scope")


async def test_a_read_token_may_not_delete(
    client: httpx.AsyncClient, user: User, pat_for: PatFor, post_factory
) -> None:
    post = await post_factory(user)
    created = await pat_for(user, ("read",))

    response = await client.delete(f"/api/v1/posts/{post.id}", headers=bearer(created["token"]))

    assert_error(response, 403, "insufficient_scope")


async def test_a_write_token_may_post(
    client: httpx.AsyncClient, user: User, pat_for: PatFor
) -> None:
    created = await pat_for(user, ("write",))

    response = await client.post("/api/v1/posts", json=POST, headers=bearer(created["token"]))

    assert response.status_code == 201


async def test_a_write_token_may_get(
    client: httpx.AsyncClient, user: User, pat_for: PatFor
) -> None:
    created = await pat_for(user, ("write",))

    response = await client.get(ME, headers=bearer(created["token"]))

    assert response.status_code == 200


async def test_a_token_may_not_create_tokens(
    client: httpx.AsyncClient, user: User, pat_for: PatFor
) -> None:
    created = await pat_for(user)

    response = await client.post(
        TOKENS, json={"name": "more", "scopes": ["write"]}, headers=bearer(created["token"])
    )

    assert_error(response, 403, "insufficient_scope")


async def test_a_token_may_not_list_or_revoke_tokens(
    client: httpx.AsyncClient, user: User, pat_for: PatFor
) -> None:
    created = await pat_for(user)
    headers = bearer(created["token"])

    listed = await client.get(TOKENS, headers=headers)
    revoked = await client.delete(f"{TOKENS}/{created['id']}", headers=headers)

    assert_error(listed, 403, "insufficient_scope")
    assert_error(revoked, 403, "insufficient_scope")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/mfa/totp/setup",
        "/api/v1/auth/mfa/totp/confirm",
        "/api/v1/auth/mfa/totp/disable",
        "/api/v1/auth/mfa/backup-codes",
    ],
)
async def test_a_token_may_not_manage_two_factor(
    client: httpx.AsyncClient, user: User, pat_for: PatFor, path: str
) -> None:
    created = await pat_for(user)

    response = await client.post(
        path,
        json={"password": DEFAULT_PASSWORD, "code": "123456"},
        headers=bearer(created["token"]),
    )

    assert_error(response, 403, "insufficient_scope")


@pytest.mark.parametrize(
    "change", [{"password": "a brand new password"}, {"email": "new@example.com"}]
)
async def test_a_token_may_not_change_the_password_or_the_email(
    client: httpx.AsyncClient,
    user: User,
    pat_for: PatFor,
    state: AppState,
    change: dict[str, str],
) -> None:
    created = await pat_for(user)

    response = await client.patch(ME, json=change, headers=bearer(created["token"]))

    assert_error(response, 403, "insufficient_scope")
    assert (await login(client, "alice")).status_code == 200
    assert (await client.get(ME, headers=bearer(created["token"]))).json()["email"] == user.email


async def test_a_token_may_not_change_the_email_by_the_users_id(
    client: httpx.AsyncClient, user: User, pat_for: PatFor
) -> None:
    created = await pat_for(user)

    response = await client.patch(
        f"/api/v1/users/{user.id}",
        json={"email": "new@example.com"},
        headers=bearer(created["token"]),
    )

    assert_error(response, 403, "insufficient_scope")


async def test_a_token_may_change_other_fields_of_its_owner(
    client: httpx.AsyncClient, user: User, pat_for: PatFor
) -> None:
    created = await pat_for(user)

    response = await client.patch(
        ME, json={"full_name": "Alice P. Liddell"}, headers=bearer(created["token"])
    )

    assert response.status_code == 200
    assert response.json()["full_name"] == "Alice P. Liddell"


async def test_a_superusers_token_gets_no_superuser_route(
    client: httpx.AsyncClient, superuser: User, pat_for: PatFor
) -> None:
    created = await pat_for(superuser)

    response = await client.post(
        "/api/v1/users",
        json={"username": "carol", "email": "carol@example.com", "password": "long enough pw"},
        headers=bearer(created["token"]),
    )

    assert_error(response, 403, "forbidden")


async def test_a_superusers_read_token_gets_no_superuser_read(
    client: httpx.AsyncClient, superuser: User, pat_for: PatFor
) -> None:
    created = await pat_for(superuser, ("read",))

    response = await client.get("/api/v1/analytics/summary", headers=bearer(created["token"]))

    assert_error(response, 403, "forbidden")


async def test_a_superusers_token_may_not_change_another_user(
    client: httpx.AsyncClient, superuser: User, pat_for: PatFor, user_factory: UserFactory
) -> None:
    bob = await user_factory("bob")
    created = await pat_for(superuser)

    response = await client.patch(
        f"/api/v1/users/{bob.id}", json={"full_name": "Bobby"}, headers=bearer(created["token"])
    )

    assert_error(response, 403, "forbidden")


async def test_a_superusers_token_leaves_the_superuser_flag_stored(
    client: httpx.AsyncClient, superuser: User, pat_for: PatFor, state: AppState
) -> None:
    created = await pat_for(superuser)

    await client.patch(ME, json={"full_name": "Root"}, headers=bearer(created["token"]))

    async with state.db.sessionmaker() as session:
        stored = await session.get(User, superuser.id)
    assert stored is not None
    assert stored.is_superuser is True
    assert stored.full_name == "Root"


async def _set_active(state: AppState, user: User, active: bool) -> None:
    async with state.db.sessionmaker() as session:
        await session.execute(update(User).where(col(User.id) == user.id).values(is_active=active))
        await session.commit()


async def test_a_deactivated_owners_token_is_inactive_user(
    client: httpx.AsyncClient, user: User, pat_for: PatFor, state: AppState
) -> None:
    created = await pat_for(user)
    await _set_active(state, user, False)

    response = await client.get(ME, headers=bearer(created["token"]))

    assert_error(response, 403, "inactive_user")


async def test_a_token_works_again_after_its_owner_is_reactivated(
    client: httpx.AsyncClient, user: User, pat_for: PatFor, state: AppState
) -> None:
    created = await pat_for(user)
    await _set_active(state, user, False)
    await _set_active(state, user, True)

    response = await client.get(ME, headers=bearer(created["token"]))

    assert response.status_code == 200


async def test_a_deleted_owners_token_is_invalid_token(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str], pat_for: PatFor
) -> None:
    created = await pat_for(user)
    assert (await client.delete(ME, headers=user_headers)).status_code == 204

    response = await client.get(ME, headers=bearer(created["token"]))

    assert_error(response, 401, "invalid_token")


async def test_an_expired_token_is_invalid_token(
    client: httpx.AsyncClient, user: User, pat_for: PatFor, state: AppState
) -> None:
    created = await pat_for(user, expires_in_days=1)
    async with state.db.sessionmaker() as session:
        await session.execute(
            update(PersonalToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()

    response = await client.get(ME, headers=bearer(created["token"]))

    assert_error(response, 401, "invalid_token")


async def test_a_password_change_keeps_personal_tokens(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str], pat_for: PatFor
) -> None:
    created = await pat_for(user)
    changed = await client.patch(
        ME, json={"password": "a brand new password"}, headers=user_headers
    )
    assert changed.status_code == 200

    response = await client.get(ME, headers=bearer(created["token"]))

    assert response.status_code == 200


async def test_revoking_all_of_a_users_tokens_ends_them_for_good(
    client: httpx.AsyncClient, user: User, pat_for: PatFor, state: AppState
) -> None:
    # What a password reset does (PersonalTokenService.revoke_all_for_user).
    created = await pat_for(user)
    async with state.db.sessionmaker() as session:
        await PersonalTokenService(session).revoke_all_for_user(user.id)
        await session.commit()

    response = await client.get(ME, headers=bearer(created["token"]))

    assert_error(response, 401, "invalid_token")


async def _last_used(state: AppState) -> object:
    async with state.db.sessionmaker() as session:
        return (await session.scalars(select(PersonalToken.last_used_at))).one()


async def test_a_use_sets_last_used_at(
    client: httpx.AsyncClient, user: User, pat_for: PatFor, state: AppState
) -> None:
    created = await pat_for(user)

    await client.get(ME, headers=bearer(created["token"]))

    assert await _last_used(state) is not None


async def test_last_used_at_is_written_at_most_once_a_minute(
    client: httpx.AsyncClient,
    user: User,
    pat_for: PatFor,
    state: AppState,
    count_statements: Callable[[], Awaitable[None]],
) -> None:
    created = await pat_for(user)
    await client.get(ME, headers=bearer(created["token"]))
    first = await _last_used(state)
    count_statements.reset()  # type: ignore[attr-defined]

    await client.get(ME, headers=bearer(created["token"]))

    assert await _last_used(state) == first
    writes = [s for s in count_statements.statements if s.lstrip().upper().startswith("UPDATE")]  # type: ignore[attr-defined]
    assert writes == []


async def test_last_used_at_moves_after_a_minute(
    client: httpx.AsyncClient, user: User, pat_for: PatFor, state: AppState
) -> None:
    created = await pat_for(user)
    long_ago = utcnow() - timedelta(minutes=2)
    async with state.db.sessionmaker() as session:
        await session.execute(update(PersonalToken).values(last_used_at=long_ago))
        await session.commit()

    await client.get(ME, headers=bearer(created["token"]))

    last_used = await _last_used(state)
    assert last_used is not None
    assert last_used > long_ago  # type: ignore[operator]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/auth/sessions"), ("DELETE", "/api/v1/auth/sessions")],
)
async def test_a_token_may_not_manage_sessions(
    client: httpx.AsyncClient, user: User, pat_for: PatFor, method: str, path: str
) -> None:
    created = await pat_for(user)

    response = await client.request(method, path, headers=bearer(created["token"]))

    assert_error(response, 403, "insufficient_scope")


async def test_a_token_may_read_its_owners_security_events(
    client: httpx.AsyncClient, user: User, pat_for: PatFor
) -> None:
    created = await pat_for(user, ("read",))

    response = await client.get(
        "/api/v1/users/me/security-events", headers=bearer(created["token"])
    )

    assert response.status_code == 200


async def test_a_superusers_token_may_not_read_everyones_security_events(
    client: httpx.AsyncClient, superuser: User, pat_for: PatFor
) -> None:
    created = await pat_for(superuser, ("read",))

    response = await client.get("/api/v1/security-events", headers=bearer(created["token"]))

    assert_error(response, 403, "forbidden")
