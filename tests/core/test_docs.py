"""The API docs load nothing from outside the app (app/core/docs.py).

A real browser with every non-local request blocked renders them: tests/browser/test_docs.py.
"""

from __future__ import annotations

import re

import httpx
import pytest

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_pages_reference_no_external_asset(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert "/docs/static/" in response.text
    assert not EXTERNAL.search(response.text), response.text
    assert "cdn." not in response.text
    assert "fonts.googleapis" not in response.text


@pytest.mark.parametrize(
    ("asset", "media_type"),
    [
        ("swagger-ui-bundle.js", "javascript"),
        ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "javascript"),
        ("favicon.png", "image/png"),
    ],
)
async def test_docs_assets_are_served_from_the_package(
    client: httpx.AsyncClient, asset: str, media_type: str
) -> None:
    response = await client.get(f"/docs/static/{asset}")
    assert response.status_code == 200
    assert media_type in response.headers["content-type"]
    assert len(response.content) > 1000


async def test_swagger_ui_keeps_persist_authorization_and_the_oauth2_redirect(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/docs")).text
    assert '"persistAuthorization": true' in page
    assert "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'" in page
    redirect = await client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200
    assert "oauth2" in redirect.text.lower()


async def test_docs_answer_head(client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc", "/docs/static/swagger-ui.css"):
        response = await client.head(path)
        assert response.status_code == 200, path
        assert response.content == b""


async def test_docs_routes_stay_out_of_the_schema(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith(("/docs", "/redoc"))]
