"""Signing in to the console from a test: its forms, with their CSRF token, as a browser would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from tests.conftest import DEFAULT_PASSWORD
from tests.support import Running

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
BASE_URL = "http://127.0.0.1"


def csrf_of(page: str) -> str:
    match = CSRF_FIELD.search(page) or CSRF_META.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def sign_in(
    http: httpx.AsyncClient, username: str, password: str = DEFAULT_PASSWORD
) -> httpx.Response:
    page = await http.get("/admin/login")
    assert page.status_code == 200
    return await http.post(
        "/admin/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )


async def post_form(
    http: httpx.AsyncClient, page_path: str, data: dict[str, object]
) -> httpx.Response:
    """Open `page_path` (for its token) and submit its form with `data`."""
    page = await http.get(page_path)
    assert page.status_code == 200, page.text
    return await http.post(page_path, data={**data, "csrf_token": csrf_of(page.text)})


ClientFactory = Callable[[Running], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def browser_like(client: httpx.AsyncClient) -> AsyncIterator[ClientFactory]:
    """Clients with a cookie jar (one per 'browser'), on any app; closed after the test.

    Depends on `client` so the database is emptied after the test."""
    opened: list[httpx.AsyncClient] = []

    async def make(target: Running) -> httpx.AsyncClient:
        http = target.new_client(base_url=BASE_URL)
        opened.append(http)
        return http

    yield make
    for http in opened:
        await http.aclose()


@pytest.fixture
async def console(served: Running, browser_like: ClientFactory) -> httpx.AsyncClient:
    """A client that has not signed in yet."""
    return await browser_like(served)
