"""The admin console in a real browser, offline: sign in, search, deactivate, sign out."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import (
    ROOT_PASSWORD,
    ROOT_USERNAME,
    Offline,
    register,
    screenshot,
)
from tests.servers import Server

pytestmark = pytest.mark.timeout(180)


async def sign_in(page: Page, server: Server, username: str, password: str) -> None:
    await page.goto(f"{server.http_url}/admin/")
    await expect(page).to_have_url(re.compile(r"/admin/login$"))
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("button[type=submit]")


async def test_a_superuser_deactivates_a_user_whose_token_then_gets_403(
    page: Page, live_server: Server, artifacts: Path, offline: Offline
) -> None:
    token = await register(live_server, "dora_explorer", "dora's password")

    await page.goto(f"{live_server.http_url}/admin/")
    await expect(page.locator("#username")).to_be_visible()
    await screenshot(page, artifacts, "console-01-sign-in")
    await sign_in(page, live_server, ROOT_USERNAME, ROOT_PASSWORD)
    await expect(page).to_have_url(re.compile(r"/admin/$"))
    await screenshot(page, artifacts, "console-02-signed-in")

    await page.goto(f"{live_server.http_url}/admin/user/list")
    await page.fill("#search-input", "dora")
    await page.click("#search-button")
    await expect(page).to_have_url(re.compile(r"search=dora"))
    rows = page.locator("table tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("dora_explorer")
    await screenshot(page, artifacts, "console-03-search")

    await rows.first.locator("input.select-box").check()
    await page.click("#dropdownMenuButton")
    await page.click("#action-custom-deactivate")
    await expect(page.locator("#action-items")).to_contain_text("dora_explorer")
    await screenshot(page, artifacts, "console-04-confirm")
    await page.click("#confirm-action")
    await expect(page).to_have_url(re.compile(r"/admin/user/list"))
    await page.goto(f"{live_server.http_url}/admin/user/list?search=dora")
    await screenshot(page, artifacts, "console-05-deactivated")

    async with httpx.AsyncClient(base_url=live_server.http_url, timeout=10) as http:
        me = await http.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 403
    assert me.json()["code"] == "inactive_user"

    await page.click("text=Logout")
    await expect(page).to_have_url(re.compile(r"/admin/login$"))
    await screenshot(page, artifacts, "console-06-signed-out")
    await page.goto(f"{live_server.http_url}/admin/user/list")
    await expect(page).to_have_url(re.compile(r"/admin/login$"))
    assert offline.blocked == []


async def test_a_non_superuser_is_refused(page: Page, live_server: Server, artifacts: Path) -> None:
    await register(live_server, "plain_pat", "pat's password!")
    await sign_in(page, live_server, "plain_pat", "pat's password!")
    await expect(page.locator("#login-error")).to_contain_text("Only superusers")
    await screenshot(page, artifacts, "console-07-non-superuser-refused")
    await page.goto(f"{live_server.http_url}/admin/user/list")
    await expect(page).to_have_url(re.compile(r"/admin/login$"))


async def test_sqladmins_own_edit_form_and_delete_carry_the_csrf_token(
    page: Page, live_server: Server, artifacts: Path, offline: Offline
) -> None:
    # The edit form gets its token from the page's script, the delete (AJAX) a header.
    token = await register(live_server, "team_maker", "team maker's password")
    async with httpx.AsyncClient(base_url=live_server.http_url, timeout=10) as http:
        created = await http.post(
            "/api/v1/teams",
            json={"name": "Old Name", "headquarters": "Somewhere"},
            headers={"Authorization": f"Bearer {token}"},
        )
    team_id = created.json()["id"]
    await sign_in(page, live_server, ROOT_USERNAME, ROOT_PASSWORD)
    await expect(page).to_have_url(re.compile(r"/admin/$"))

    await page.goto(f"{live_server.http_url}/admin/team/edit/{team_id}")
    await page.fill("#name", "New Name")
    await screenshot(page, artifacts, "console-08-edit-team")
    await page.click("input[type=submit][value=Save]")
    await expect(page).to_have_url(re.compile(r"/admin/team/list"))
    await expect(page.locator("table tbody")).to_contain_text("New Name")

    await page.goto(f"{live_server.http_url}/admin/team/details/{team_id}")
    await page.click("a.btn-danger:has-text('Delete')")
    await page.click("#modal-delete-button")
    await expect(page).to_have_url(re.compile(r"/admin/team/list"))
    await expect(page.locator("table tbody")).not_to_contain_text("New Name")
    async with httpx.AsyncClient(base_url=live_server.http_url, timeout=10) as http:
        assert (await http.get(f"/api/v1/teams/{team_id}")).status_code == 404
    assert offline.blocked == []
