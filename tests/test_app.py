"""The application as a whole: OpenAPI, docs switch, CORS, lifespan's first superuser."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable

import httpx
from sqlalchemy import select

from app.core.config import Settings
from app.main import create_app
from app.users.models import User
from tests.assertions import assert_error
from tests.support import running


async def test_openapi_declares_the_oauth2_password_flow(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    schemes = schema["components"]["securitySchemes"]
    flows = [s["flows"]["password"] for s in schemes.values() if s["type"] == "oauth2"]
    assert flows == [{"scopes": {}, "tokenUrl": "/api/v1/auth/login"}]


def test_the_openapi_schema_builds_without_warnings(make_settings: Callable[..., Settings]) -> None:
    # FastAPI warns of duplicate operation ids (two routes, one function name); a second app
    # in the same process must not repeat routes either.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            schema = create_app(make_settings(AGENT_MODEL="test")).openapi()
    ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


async def test_openapi_lists_the_account_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/users/me",
        "/api/v1/users/me/profile",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/users/{user_id}/profile",
        "/api/v1/users/{user_id}/notify",
        "/health",
        "/health/ready",
    ):
        assert path in paths


async def test_openapi_documents_error_bodies(client: httpx.AsyncClient) -> None:
    register = (await client.get("/openapi.json")).json()["paths"]["/api/v1/auth/register"]
    assert "409" in register["post"]["responses"]


async def test_docs_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/redoc")).status_code == 200


async def test_docs_can_be_turned_off(make_settings: Callable[..., Settings]) -> None:
    application = create_app(make_settings(DOCS_ENABLED=False))
    async with running(application) as served:
        http = served.client
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert_error(await http.get(path), 404, "not_found")
        assert (await http.get("/health")).status_code == 200


async def test_cors_allows_only_configured_origins(make_settings: Callable[..., Settings]) -> None:
    application = create_app(make_settings(CORS_ORIGINS=["https://app.example"]))
    async with running(application) as served:
        http = served.client
        allowed = await http.get("/health", headers={"Origin": "https://app.example"})
        other = await http.get("/health", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in other.headers


async def test_no_cors_headers_without_configured_origins(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in response.headers


async def test_lifespan_creates_the_first_superuser_once(
    state, client: httpx.AsyncClient, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        FIRST_SUPERUSER_EMAIL="Boss@Example.com",
        FIRST_SUPERUSER_PASSWORD="boss-password-1",
        FIRST_SUPERUSER_USERNAME="boss",
    )
    for _ in range(2):  # a second start finds the user and leaves it alone
        async with running(create_app(settings)):
            pass
    async with state.db.sessionmaker() as session:
        users = (await session.scalars(select(User).where(User.username == "boss"))).all()
    assert len(users) == 1
    assert users[0].is_superuser
    assert users[0].email == "boss@example.com"
    login = await client.post(
        "/api/v1/auth/login", data={"username": "boss", "password": "boss-password-1"}
    )
    assert login.status_code == 200


async def test_lifespan_freezes_what_start_up_built_and_unfreezes_it_at_shutdown(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(create_app(make_settings(AUTO_MIGRATE=False))):
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
