"""A real browser against a real server: Debian's Chromium driven by Playwright.

Playwright cannot download its own browsers here; it drives `/usr/bin/chromium` (installed by
`.ci/run` when missing). Without it these tests are skipped, except under CI=true, where they
fail. The server is a uvicorn subprocess on a database of its own (a fresh SQLite file, or on
PostgreSQL a fresh database next to TEST_DATABASE_URL's, dropped afterwards), so what the
browser stores never reaches the rest of the suite. Every page refuses any request that is not
to 127.0.0.1, so what passes here works offline. Each step's screenshot goes to
tests/browser/artifacts/ (git-ignored; under xdist, artifacts/<worker>/).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, async_playwright
from sqlalchemy.engine import make_url

from tests.servers import Server, server_env, start_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ROOT_USERNAME = "admin"
ROOT_EMAIL = "admin@example.com"
ROOT_PASSWORD = "browser-root-password"
LOCAL_HOSTS = frozenset({"127.0.0.1"})


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _run_sync(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine on a loop of its own in a thread (the suite's loop stays untouched)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _postgres(url: str, statement: str) -> None:
    import asyncpg

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database="postgres",
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def browser_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    test_url = os.environ.get("TEST_DATABASE_URL")
    if not test_url:
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('browser') / 'browser.db'}"
        return
    parsed = make_url(test_url)
    name = f"{parsed.database}_browser"
    _run_sync(_postgres(test_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    _run_sync(_postgres(test_url, f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        _run_sync(_postgres(test_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, browser_database: str
) -> Iterator[Server]:
    _require_chromium()
    tmp_path = tmp_path_factory.mktemp("browser-server")
    env = server_env(
        tmp_path,
        {
            "DATABASE_URL": browser_database,
            "FIRST_SUPERUSER_USERNAME": ROOT_USERNAME,
            "FIRST_SUPERUSER_EMAIL": ROOT_EMAIL,
            "FIRST_SUPERUSER_PASSWORD": ROOT_PASSWORD,
        },
    )
    server = start_server(tmp_path, env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def browser(live_server: Server) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


class Offline:
    """Aborts every request not to 127.0.0.1 and remembers which."""

    def __init__(self) -> None:
        self.blocked: list[str] = []

    async def __call__(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            self.blocked.append(url)
            await route.abort("internetdisconnected")


@pytest.fixture
def offline() -> Offline:
    return Offline()


@pytest.fixture
async def page(browser: Browser, offline: Offline) -> AsyncIterator[Page]:
    """A fresh browser context (no cookies, no storage) that cannot leave the machine."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.route("**/*", offline)
    opened = await context.new_page()
    opened.set_default_timeout(15_000)
    try:
        yield opened
    finally:
        await context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Emptied at the start of the session; under xdist a folder per worker (artifacts/gw0)."""
    directory = ARTIFACTS / os.environ.get("PYTEST_XDIST_WORKER", "")
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


async def screenshot(page: Page, directory: Path, name: str) -> Path:
    path = directory / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def register(server: Server, username: str, password: str) -> str:
    """A new account through the API; its access token."""
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        created = await http.post(
            "/api/v1/auth/register",
            json={"username": username, "email": f"{username}@example.com", "password": password},
        )
        assert created.status_code == 201, created.text
        token = await http.post(
            "/api/v1/auth/login", data={"username": username, "password": password}
        )
        assert token.status_code == 200, token.text
        access: str = token.json()["access_token"]
        return access
