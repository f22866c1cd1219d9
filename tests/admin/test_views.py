"""The console's pages: what they show and hide, and that changes go through the services."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from app.users.models import User
from tests.admin.conftest import BASE_URL, csrf_of, post_form, sign_in
from tests.conftest import HeadersFor, UserFactory, stored_user


@pytest.fixture
async def signed_in(console: httpx.AsyncClient, superuser: User) -> httpx.AsyncClient:
    response = await sign_in(console, superuser.username)
    assert response.status_code == 302
    return console


def user_form(user: User, **changes: Any) -> dict[str, Any]:
    """The edit form as the browser submits it (a checkbox is sent only when checked)."""
    values: dict[str, Any] = {
        "username": user.username,
        "email": user.email,
        "full_name": user.full_name or "",
        "permissions": list(user.permissions),
        "save": "Save",
    }
    flags = {"is_active": user.is_active, "is_superuser": user.is_superuser}
    for key, value in changes.items():
        if key in flags:
            flags[key] = value
        else:
            values[key] = value
    values.update({key: "y" for key, checked in flags.items() if checked})
    return values


async def apply_action(
    http: httpx.AsyncClient, view: str, action: str, *pks: object
) -> httpx.Response:
    confirm = await http.get(f"/admin/{view}/action/{action}?pks={','.join(map(str, pks))}")
    assert confirm.status_code == 200, confirm.text
    return await http.post(
        f"/admin/{view}/apply",
        data={"action": action, "pk": [str(pk) for pk in pks], "csrf_token": csrf_of(confirm.text)},
    )


# --- users -----------------------------------------------------------------------------------


async def test_search_finds_users_by_username(
    signed_in: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory("marjorie")
    await user_factory("bartholomew")
    page = (await signed_in.get("/admin/user/list", params={"search": "JORI"})).text
    assert "marjorie" in page
    assert "bartholomew" not in page


async def test_search_finds_users_by_email(
    signed_in: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory("first_one", "first@mail.example")
    await user_factory("second_one", "second@other.example")
    page = (await signed_in.get("/admin/user/list", params={"search": "other.example"})).text
    assert "second_one" in page
    assert "first_one" not in page


async def test_search_takes_percent_and_underscore_literally(
    signed_in: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory("under_score")
    await user_factory("underXscore")
    page = (await signed_in.get("/admin/user/list", params={"search": "under_"})).text
    assert "under_score" in page
    assert "underXscore" not in page


async def test_no_user_page_shows_the_password_hash(
    signed_in: httpx.AsyncClient, user: User
) -> None:
    for path in (
        "/admin/user/list",
        f"/admin/user/details/{user.id}",
        f"/admin/user/edit/{user.id}",
    ):
        page = (await signed_in.get(path)).text
        assert user.hashed_password not in page, path
        assert "hashed_password" not in page, path
        assert "$argon2" not in page, path


async def test_the_user_pages_offer_no_export(signed_in: httpx.AsyncClient) -> None:
    assert (await signed_in.get("/admin/user/export/csv")).status_code == 403


async def test_deactivating_a_user_makes_their_token_403_inactive_user(
    signed_in: httpx.AsyncClient,
    client: httpx.AsyncClient,
    state,
    user: User,
    headers_for: HeadersFor,
) -> None:
    headers = await headers_for(user)
    assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 200

    response = await apply_action(signed_in, "user", "deactivate", user.id)

    assert response.status_code == 302
    stored = await stored_user(state, user.id)
    assert stored is not None
    assert not stored.is_active
    after = await client.get("/api/v1/users/me", headers=headers)
    assert after.status_code == 403
    assert after.json()["code"] == "inactive_user"


async def test_reactivating_a_user_lets_their_token_work_again(
    signed_in: httpx.AsyncClient,
    client: httpx.AsyncClient,
    user_factory: UserFactory,
    headers_for: HeadersFor,
) -> None:
    sleeper = await user_factory("sleeper", is_active=False)
    headers = await headers_for(sleeper)
    assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 403
    await apply_action(signed_in, "user", "activate", sleeper.id)
    assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 200


async def test_an_action_link_alone_changes_nothing(
    signed_in: httpx.AsyncClient, state, user: User
) -> None:
    # SQLAdmin's actions are GET links (which SameSite=Lax lets a cross-site page follow):
    # they only show the confirmation form.
    page = await signed_in.get(f"/admin/user/action/deactivate?pks={user.id}")
    assert page.status_code == 200
    assert user.username in page.text
    stored = await stored_user(state, user.id)
    assert stored is not None
    assert stored.is_active


async def test_granting_a_permission_in_the_form_stores_it(
    signed_in: httpx.AsyncClient, state, user: User
) -> None:
    form = user_form(user, permissions=["teams:delete", "heroes:delete"])
    response = await post_form(signed_in, f"/admin/user/edit/{user.id}", form)
    assert response.status_code == 302, response.text
    stored = await stored_user(state, user.id)
    assert stored is not None
    assert stored.permissions == ["teams:delete", "heroes:delete"]


async def test_a_permission_the_api_would_refuse_is_refused(
    signed_in: httpx.AsyncClient, state, user: User
) -> None:
    form = user_form(user, permissions=["not a permission!"])
    response = await post_form(signed_in, f"/admin/user/edit/{user.id}", form)
    assert response.status_code == 400
    assert "permissions" in response.text
    stored = await stored_user(state, user.id)
    assert stored is not None
    assert stored.permissions == []


async def test_a_username_taken_in_another_case_is_a_conflict(
    signed_in: httpx.AsyncClient, state, user: User, user_factory: UserFactory
) -> None:
    await user_factory("Taken_Name")
    form = user_form(user, username="taken_name")
    response = await post_form(signed_in, f"/admin/user/edit/{user.id}", form)
    assert response.status_code == 400
    assert "A user with this username already exists" in response.text
    stored = await stored_user(state, user.id)
    assert stored is not None
    assert stored.username == user.username


async def test_unchecking_active_in_the_form_deactivates(
    signed_in: httpx.AsyncClient,
    client: httpx.AsyncClient,
    user: User,
    headers_for: HeadersFor,
) -> None:
    headers = await headers_for(user)
    response = await post_form(
        signed_in, f"/admin/user/edit/{user.id}", user_form(user, is_active=False)
    )
    assert response.status_code == 302
    assert (await client.get("/api/v1/users/me", headers=headers)).json()["code"] == (
        "inactive_user"
    )


async def test_deleting_a_user_takes_their_posts_like_the_api(
    signed_in: httpx.AsyncClient,
    client: httpx.AsyncClient,
    state,
    user: User,
    post_factory: Callable[..., Awaitable[Any]],
) -> None:
    post = await post_factory(user)
    page = await signed_in.get(f"/admin/user/details/{user.id}")
    response = await signed_in.delete(
        f"/admin/user/delete?pks={user.id}", headers={"X-CSRF-Token": csrf_of(page.text)}
    )
    assert response.status_code == 200
    assert "error" not in response.text
    assert await stored_user(state, user.id) is None
    assert (await client.get(f"/api/v1/posts/{post.id}")).status_code == 404


# --- posts -----------------------------------------------------------------------------------


async def test_publishing_a_draft_makes_it_public(
    signed_in: httpx.AsyncClient,
    client: httpx.AsyncClient,
    user: User,
    post_factory: Callable[..., Awaitable[Any]],
) -> None:
    draft = await post_factory(user, "Draft notes", is_published=False)
    assert (await client.get(f"/api/v1/posts/{draft.id}")).status_code == 404
    response = await apply_action(signed_in, "post", "publish", draft.id)
    assert response.status_code == 302
    public = await client.get(f"/api/v1/posts/{draft.id}")
    assert public.status_code == 200
    assert public.json()["is_published"] is True


async def test_unpublishing_hides_a_post(
    signed_in: httpx.AsyncClient,
    client: httpx.AsyncClient,
    user: User,
    post_factory: Callable[..., Awaitable[Any]],
) -> None:
    post = await post_factory(user, "Public notes")
    await apply_action(signed_in, "post", "unpublish", post.id)
    assert (await client.get(f"/api/v1/posts/{post.id}")).status_code == 404


async def test_the_post_list_shows_the_author_by_username(
    signed_in: httpx.AsyncClient, user: User, post_factory: Callable[..., Awaitable[Any]]
) -> None:
    await post_factory(user, "Signed post")
    page = (await signed_in.get("/admin/post/list")).text
    assert "Signed post" in page
    assert user.username in page
    assert user.hashed_password not in page


async def test_deleting_a_post(
    signed_in: httpx.AsyncClient,
    client: httpx.AsyncClient,
    user: User,
    post_factory: Callable[..., Awaitable[Any]],
) -> None:
    post = await post_factory(user)
    page = await signed_in.get(f"/admin/post/details/{post.id}")
    response = await signed_in.delete(
        f"/admin/post/delete?pks={post.id}", headers={"X-CSRF-Token": csrf_of(page.text)}
    )
    assert response.status_code == 200
    assert (await client.get(f"/api/v1/posts/{post.id}")).status_code == 404


# --- teams and heroes ------------------------------------------------------------------------


async def test_creating_a_team(signed_in: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    response = await post_form(
        signed_in,
        "/admin/team/create",
        {"name": "Night Watch", "headquarters": "The Wall", "save": "Save"},
    )
    assert response.status_code == 302, response.text
    teams = (await client.get("/api/v1/teams", params={"name": "night"})).json()["items"]
    assert [team["headquarters"] for team in teams] == ["The Wall"]


async def test_a_team_name_taken_in_another_case_is_refused(
    signed_in: httpx.AsyncClient, team_factory: Callable[..., Awaitable[Any]]
) -> None:
    await team_factory("Avengers")
    response = await post_form(
        signed_in,
        "/admin/team/create",
        {"name": "AVENGERS", "headquarters": "Elsewhere", "save": "Save"},
    )
    assert response.status_code == 400
    assert "A team with this name already exists" in response.text


async def test_hero_pages_never_show_the_secret_name(
    signed_in: httpx.AsyncClient,
    hero_factory: Callable[..., Awaitable[Any]],
    team_factory: Callable[..., Awaitable[Any]],
) -> None:
    team = await team_factory("Preventers")
    hero = await hero_factory("Dive", secret_name="Jane Quietwater", team_id=team.id)
    for path in (
        "/admin/hero/list",
        f"/admin/hero/details/{hero.id}",
        f"/admin/hero/edit/{hero.id}",
    ):
        page = (await signed_in.get(path)).text
        assert "Dive" in page, path
        assert "Jane Quietwater" not in page, path
        assert "secret_name" not in page, path
    assert "Preventers" in (await signed_in.get("/admin/hero/list")).text


async def test_moving_a_hero_to_another_team(
    signed_in: httpx.AsyncClient,
    client: httpx.AsyncClient,
    hero_factory: Callable[..., Awaitable[Any]],
    team_factory: Callable[..., Awaitable[Any]],
) -> None:
    first = await team_factory("First")
    second = await team_factory("Second")
    hero = await hero_factory("Mover", team_id=first.id, age=30)
    form = {"name": "Mover", "age": "31", "team": str(second.id), "save": "Save"}
    response = await post_form(signed_in, f"/admin/hero/edit/{hero.id}", form)
    assert response.status_code == 302, response.text
    body = (await client.get(f"/api/v1/heroes/{hero.id}")).json()
    assert (body["team_id"], body["age"]) == (str(second.id), 31)


async def test_console_pages_link_to_no_external_asset(signed_in: httpx.AsyncClient) -> None:
    # SQLAdmin writes absolute URLs: every one is the app's own.
    page = (await signed_in.get("/admin/user/list")).text
    urls = re.findall(r"""(?:src|href)=["']((?:https?:)?//[^"']*)""", page)
    assert urls
    assert [url for url in urls if not url.startswith(f"{BASE_URL}/")] == []


async def test_an_action_on_a_malformed_or_unknown_id_is_404(signed_in: httpx.AsyncClient) -> None:
    for pks in ("not-an-id", "0190e3c1-0000-7000-8000-000000000000"):
        page = await signed_in.get(f"/admin/user/action/deactivate?pks={pks}")
        assert page.status_code == 404, pks


# --- the security log ------------------------------------------------------------------------


async def test_the_security_log_lists_events(
    signed_in: httpx.AsyncClient, client: httpx.AsyncClient, superuser: User
) -> None:
    refused = await client.post(
        "/api/v1/auth/login", data={"username": "nobody", "password": "not-a-password"}
    )
    assert refused.status_code == 401

    response = await signed_in.get("/admin/security-event/list")

    assert response.status_code == 200, response.text
    assert "login_failed" in response.text


async def test_the_security_log_cannot_be_changed_from_the_console(
    signed_in: httpx.AsyncClient, superuser: User, state: Any
) -> None:
    from sqlalchemy import func, select

    from app.security.models import SecurityEvent

    page = await signed_in.get("/admin/security-event/list")
    async with state.db.sessionmaker() as db:
        event_id = (await db.scalars(select(SecurityEvent.id).limit(1))).one()
        before = (await db.execute(select(func.count()).select_from(SecurityEvent))).scalar_one()

    edit = await signed_in.get(f"/admin/security-event/edit/{event_id}")
    create = await signed_in.get("/admin/security-event/create")
    delete = await signed_in.delete(
        f"/admin/security-event/delete?pks={event_id}",
        headers={"X-CSRF-Token": csrf_of(page.text)},
    )

    assert {edit.status_code, create.status_code, delete.status_code} <= {403, 404, 405}
    async with state.db.sessionmaker() as db:
        count = (await db.execute(select(func.count()).select_from(SecurityEvent))).scalar_one()
    assert count == before
