"""API docs that work offline: Swagger UI at `/docs` and ReDoc at `/redoc`.

FastAPI's own pages load Swagger UI and ReDoc from a public CDN, so without internet access
they are blank. The same pages are served here with their JavaScript and CSS taken from the
installed `fastapi-offline` package (Swagger UI 5 and ReDoc 2, the versions the CDN links
name; MIT and Apache-2.0, notices in the files' headers), under `/docs/static/` (exempt from
rate limits like the rest of `/docs`). Everything else is FastAPI's: the same HTML, the same
OAuth2 redirect page (so "Authorize" works) and the app's `swagger_ui_parameters`
(`persistAuthorization`).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
STATIC_URL = "/docs/static"
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"


def install_docs(app: FastAPI) -> None:
    """Serve `/docs`, `/docs/oauth2-redirect`, `/redoc` and their assets from the package.

    The app is built with `docs_url=None, redoc_url=None` (FastAPI's CDN pages off) and an
    `openapi_url`.
    """
    openapi_url = app.openapi_url
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url
    if openapi_url is None or oauth2_redirect_url is None:
        raise ValueError("install_docs needs the app's openapi_url and OAuth2 redirect URL")

    app.mount(STATIC_URL, StaticFiles(directory=ASSETS_DIR), name="docs-static")

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    async def swagger_ui(request: Request) -> HTMLResponse:
        prefix = root(request)
        return get_swagger_ui_html(
            openapi_url=prefix + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{prefix}{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{prefix}{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{prefix}{STATIC_URL}/favicon.png",
            oauth2_redirect_url=prefix + oauth2_redirect_url,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    async def oauth2_redirect(_request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        prefix = root(request)
        return get_redoc_html(
            openapi_url=prefix + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{prefix}{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{prefix}{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )

    # Starlette routes: GET and HEAD, not in the schema (as FastAPI's own docs routes).
    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_route(oauth2_redirect_url, oauth2_redirect, include_in_schema=False)
    app.add_route(REDOC_URL, redoc, include_in_schema=False)
