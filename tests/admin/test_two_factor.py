"""The console's sign-in asks a user with two-factor on for a code too: the password alone
never opens it (the API's rule: two-factor cannot be bypassed through another door)."""

from __future__ import annotations

import httpx

from app.users.models import User
from tests.admin.conftest import csrf_of
from tests.conftest import DEFAULT_PASSWORD, HeadersFor
from tests.mfa.helpers import code, enable_two_factor


async def sign_in_with_code(
    console: httpx.AsyncClient, username: str, value: str | None
) -> httpx.Response:
    page = await console.get("/admin/login")
    data = {"username": username, "password": DEFAULT_PASSWORD, "csrf_token": csrf_of(page.text)}
    if value is not None:
        data["code"] = value
    return await console.post("/admin/login", data=data)


async def test_the_sign_in_page_has_a_code_field(console: httpx.AsyncClient) -> None:
    page = await console.get("/admin/login")

    assert 'name="code"' in page.text


async def test_a_superuser_with_two_factor_is_refused_without_a_code(
    client: httpx.AsyncClient, console: httpx.AsyncClient, superuser: User, headers_for: HeadersFor
) -> None:
    await enable_two_factor(client, await headers_for(superuser))

    response = await sign_in_with_code(console, superuser.username, None)

    assert response.status_code == 400
    assert "two-factor" in response.text.lower()
    assert (await console.get("/admin/user/list")).status_code == 302


async def test_a_superuser_with_two_factor_is_refused_with_a_wrong_code(
    client: httpx.AsyncClient, console: httpx.AsyncClient, superuser: User, headers_for: HeadersFor
) -> None:
    enabled = await enable_two_factor(client, await headers_for(superuser))
    wrong = f"{(int(code(enabled.secret)) + 1) % 1_000_000:06d}"

    response = await sign_in_with_code(console, superuser.username, wrong)

    assert response.status_code == 400
    assert (await console.get("/admin/user/list")).status_code == 302


async def test_a_superuser_with_two_factor_signs_in_with_a_totp_code(
    client: httpx.AsyncClient, console: httpx.AsyncClient, superuser: User, headers_for: HeadersFor
) -> None:
    enabled = await enable_two_factor(client, await headers_for(superuser))

    response = await sign_in_with_code(console, superuser.username, code(enabled.secret))

    assert response.status_code == 302
    assert (await console.get("/admin/user/list")).status_code == 200


async def test_a_backup_code_opens_the_console_once(
    client: httpx.AsyncClient,
    console: httpx.AsyncClient,
    browser_like,
    served,
    superuser: User,
    headers_for: HeadersFor,
) -> None:
    enabled = await enable_two_factor(client, await headers_for(superuser))
    first = await sign_in_with_code(console, superuser.username, enabled.backup_codes[0])
    assert first.status_code == 302
    other = await browser_like(served)

    again = await sign_in_with_code(other, superuser.username, enabled.backup_codes[0])

    assert again.status_code == 400
