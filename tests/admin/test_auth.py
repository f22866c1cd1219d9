"""Signing in and out of the console, its cookie, its CSRF check, and the ADMIN_ENABLED switch."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app
from app.users.models import User
from tests.admin.conftest import ClientFactory, csrf_of, sign_in
from tests.conftest import UserFactory, login
from tests.support import Running, running


async def test_the_console_sends_a_visitor_to_the_sign_in_page(
    console: httpx.AsyncClient,
) -> None:
    response = await console.get("/admin/user/list")
    assert response.status_code == 302
    assert response.headers["location"].endswith("/admin/login")


async def test_a_superuser_signs_in_with_username_and_password(
    console: httpx.AsyncClient, superuser: User
) -> None:
    response = await sign_in(console, superuser.username)
    assert response.status_code == 302
    assert response.headers["location"].endswith("/admin/")
    assert (await console.get("/admin/user/list")).status_code == 200


async def test_a_superuser_signs_in_with_the_email_in_any_case(
    console: httpx.AsyncClient, superuser: User
) -> None:
    response = await sign_in(console, superuser.email.upper())
    assert response.status_code == 302


async def test_a_non_superuser_is_refused(console: httpx.AsyncClient, user: User) -> None:
    response = await sign_in(console, user.username)
    assert response.status_code == 403
    assert "Only superusers" in response.text
    assert (await console.get("/admin/user/list")).status_code == 302


async def test_a_wrong_password_is_refused(console: httpx.AsyncClient, superuser: User) -> None:
    response = await sign_in(console, superuser.username, "not the password")
    assert response.status_code == 400
    assert "Invalid credentials" in response.text
    assert (await console.get("/admin/user/list")).status_code == 302


async def test_a_deactivated_superuser_is_refused(
    console: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    boss = await user_factory("former_boss", is_superuser=True, is_active=False)
    response = await sign_in(console, boss.username)
    assert response.status_code == 403
    assert "deactivated" in response.text


async def test_the_session_cookie_is_httponly_lax_and_scoped_to_the_console(
    console: httpx.AsyncClient, superuser: User
) -> None:
    response = await sign_in(console, superuser.username)
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("agora_admin=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/admin" in cookie
    assert "secure" not in cookie  # local: plain http


async def test_signing_out_ends_the_login_even_for_a_copy_of_the_cookie(
    console: httpx.AsyncClient, superuser: User
) -> None:
    await sign_in(console, superuser.username)
    stolen = dict(console.cookies)
    response = await console.get("/admin/logout")
    assert response.status_code == 302
    assert response.headers["location"].endswith("/admin/login")
    assert (await console.get("/admin/user/list")).status_code == 302
    console.cookies.clear()
    console.cookies.update(stolen)
    assert (await console.get("/admin/user/list")).status_code == 302


async def test_a_superuser_demoted_elsewhere_loses_the_console_at_once(
    console: httpx.AsyncClient,
    superuser: User,
    client: httpx.AsyncClient,
    superuser_headers: dict[str, str],
    user_factory: UserFactory,
) -> None:
    await sign_in(console, superuser.username)
    other = await user_factory("other_boss", is_superuser=True)
    token = (await login(client, other.username)).json()["access_token"]
    demote = await client.patch(
        f"/api/v1/users/{superuser.id}",
        json={"is_superuser": False},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert demote.status_code == 200
    assert (await console.get("/admin/user/list")).status_code == 302


async def test_sign_in_without_the_csrf_token_is_refused(
    console: httpx.AsyncClient, superuser: User
) -> None:
    await console.get("/admin/login")
    response = await console.post(
        "/admin/login", data={"username": superuser.username, "password": "correct horse battery"}
    )
    assert response.status_code == 403
    assert (await console.get("/admin/user/list")).status_code == 302


async def test_a_form_with_a_wrong_csrf_token_is_refused_and_changes_nothing(
    console: httpx.AsyncClient, superuser: User, user: User
) -> None:
    await sign_in(console, superuser.username)
    response = await console.post(
        f"/admin/user/edit/{user.id}",
        data={"username": "renamed", "email": user.email, "csrf_token": "forged", "save": "Save"},
    )
    assert response.status_code == 403
    page = await console.get(f"/admin/user/details/{user.id}")
    assert "renamed" not in page.text


async def test_signing_in_gives_a_new_csrf_token(
    console: httpx.AsyncClient, superuser: User
) -> None:
    before = csrf_of((await console.get("/admin/login")).text)
    await sign_in(console, superuser.username)
    after = csrf_of((await console.get("/admin/")).text)
    assert before != after


async def test_a_delete_without_the_csrf_header_is_refused(
    console: httpx.AsyncClient, superuser: User, user: User
) -> None:
    await sign_in(console, superuser.username)
    response = await console.delete(f"/admin/user/delete?pks={user.id}")
    assert response.status_code == 403
    assert (await console.get(f"/admin/user/details/{user.id}")).status_code == 200


async def test_sign_in_attempts_share_the_api_login_rate_limit(
    make_settings: Callable[..., Settings], browser_like: ClientFactory, superuser: User
) -> None:
    application = create_app(make_settings(RATE_LIMIT_ENABLED=True, RATE_LIMIT_LOGIN="2/minute"))
    async with running(application) as served_app:
        http = await browser_like(served_app)
        statuses = [
            (await sign_in(http, superuser.username, "wrong")).status_code for _ in range(3)
        ]
        assert statuses == [400, 400, 429]
        api = await http.post(
            "/api/v1/auth/login", data={"username": superuser.username, "password": "wrong"}
        )
        assert api.status_code == 429


@pytest.mark.parametrize(
    ("overrides", "console_on"),
    [
        ({}, True),
        ({"ADMIN_ENABLED": False}, False),
        ({"ENVIRONMENT": "production"}, False),
        ({"ENVIRONMENT": "production", "ADMIN_ENABLED": True}, True),
    ],
)
async def test_admin_enabled_defaults_on_in_local_and_off_in_production(
    make_settings: Callable[..., Settings],
    browser_like: ClientFactory,
    overrides: dict[str, object],
    console_on: bool,
) -> None:
    application = create_app(make_settings(**overrides))
    async with running(application) as served_app:
        http = await browser_like(served_app)
        response = await http.get("/admin/login")
        assert (response.status_code == 200) is console_on
        if not console_on:
            assert response.status_code == 404


async def test_the_session_cookie_is_secure_in_production(
    make_settings: Callable[..., Settings], browser_like: ClientFactory, superuser: User
) -> None:
    settings = make_settings(ENVIRONMENT="production", ADMIN_ENABLED=True)
    application = create_app(settings)
    async with running(application) as served_app:
        http = await browser_like(served_app)
        page = await http.get("/admin/login")
        assert "secure" in page.headers["set-cookie"].lower()


async def test_each_app_keeps_its_own_console(
    served: Running,
    make_settings: Callable[..., Settings],
    browser_like: ClientFactory,
    superuser: User,
) -> None:
    # SQLAdmin keeps state on view classes; a second app must not take the first one's over.
    other = create_app(make_settings())
    async with running(other):
        http = await browser_like(served)
        await sign_in(http, superuser.username)
        assert (await http.get("/admin/user/list")).status_code == 200


async def test_the_consoles_assets_are_not_rate_limited_but_its_pages_are(
    make_settings: Callable[..., Settings], browser_like: ClientFactory
) -> None:
    # A console page loads about a dozen CSS, JS and font files.
    settings = make_settings(RATE_LIMIT_ENABLED=True, RATE_LIMIT_DEFAULT="3/minute")
    application = create_app(settings)
    async with running(application) as served_app:
        http = await browser_like(served_app)
        for _ in range(6):
            asset = await http.get("/admin/statics/css/main.css")
            assert asset.status_code == 200
        pages = [(await http.get("/admin/login")).status_code for _ in range(4)]
        assert pages == [200, 200, 200, 429]
