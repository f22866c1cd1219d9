"""Security configuration (SECURITY.md, API8): docs off in production, CORS only for
CORS_ORIGINS, preflights included."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx

from app.core.config import Settings
from app.main import create_app
from tests.assertions import assert_error
from tests.support import running

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization",
}


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings)
    async with running(application) as served:
        http = served.client
        yield http


async def test_production_with_docs_disabled_serves_no_docs_or_schema(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(ENVIRONMENT="production", DOCS_ENABLED=False)
    async with serving(settings) as http:
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            assert_error(await http.get(path), 404, "not_found")
        assert (await http.get("/health")).status_code == 200
        assert (await http.get("/api/v1/posts")).status_code == 200


async def test_cors_preflight_is_answered_only_for_configured_origins(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(CORS_ORIGINS=["https://app.example", "https://admin.example"])
    async with serving(settings) as http:
        allowed = await http.options(
            "/api/v1/posts", headers={"Origin": "https://admin.example", **PREFLIGHT}
        )
        refused = await http.options(
            "/api/v1/posts", headers={"Origin": "https://evil.example", **PREFLIGHT}
        )
        lookalike = await http.get(
            "/api/v1/posts", headers={"Origin": "https://app.example.evil.example"}
        )
        null_origin = await http.get("/api/v1/posts", headers={"Origin": "null"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://admin.example"
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    for response in (lookalike, null_origin):
        assert "access-control-allow-origin" not in response.headers
    # Never the wildcard: credentials are allowed, so the origin is always named.
    assert allowed.headers["access-control-allow-origin"] != "*"
