"""The API docs in a real browser with every non-local request refused: they still work."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import ROOT_PASSWORD, ROOT_USERNAME, Offline, screenshot
from tests.servers import Server

pytestmark = pytest.mark.timeout(180)

REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


async def test_swagger_ui_renders_the_operations_offline(
    page: Page, live_server: Server, artifacts: Path, offline: Offline
) -> None:
    await page.goto(f"{live_server.http_url}/docs")
    operations = page.locator(".opblock")
    await expect(operations.first).to_be_visible()
    assert await operations.count() > 30
    await expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/users/me").first
    ).to_be_visible()
    await screenshot(page, artifacts, "docs-01-swagger-ui")
    assert offline.blocked == []


async def test_authorize_signs_in_and_the_authorization_survives_a_reload(
    page: Page, live_server: Server, artifacts: Path, offline: Offline
) -> None:
    await page.goto(f"{live_server.http_url}/docs")
    await page.click("button.authorize")
    dialog = page.locator(".modal-ux")
    await dialog.locator("#oauth_username").fill(ROOT_USERNAME)
    await dialog.locator("#oauth_password").fill(ROOT_PASSWORD)
    await dialog.locator("button.authorize").click()
    await expect(dialog.get_by_role("heading", name="Authorized")).to_be_visible()
    await screenshot(page, artifacts, "docs-02-authorized")

    # persistAuthorization: the token is kept across a reload and used by "Try it out".
    await page.reload()
    operation = page.locator(".opblock-get").filter(
        has=page.locator('[data-path="/api/v1/users/me"]')
    )
    await operation.locator(".opblock-summary-control").click()
    await operation.locator("button.try-out__btn").click()
    await operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    await expect(status).to_have_text("200")
    await expect(operation.locator(".live-responses-table")).to_contain_text(ROOT_USERNAME)
    await screenshot(page, artifacts, "docs-03-try-it-out")
    assert offline.blocked == []


async def test_redoc_renders_the_operations_offline(
    page: Page, live_server: Server, artifacts: Path, offline: Offline
) -> None:
    await page.goto(f"{live_server.http_url}/redoc")
    await expect(page.get_by_text("/api/v1/users/me").first).to_be_attached()
    await expect(page.locator("h1").first).to_contain_text("Agora")
    await screenshot(page, artifacts, "docs-04-redoc")
    # ReDoc's one request off the machine is its "API docs by Redocly" logo, an <img> that
    # removes itself when it cannot load; nothing the page needs.
    assert offline.blocked in ([], [REDOC_LOGO])
