"""One handler turns errors into docs/api.md's bodies; database failures become 409 or 503."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter

from app.core.config import Settings
from app.core.errors import NotFound
from app.db.session import SessionDep
from app.main import create_app
from app.users.models import User
from tests.assertions import assert_error, assert_invalid
from tests.support import running


@pytest.fixture(scope="module")
async def broken_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app of this module's own with a few routes that fail on purpose."""
    router = APIRouter()

    @router.get("/_test/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: SELECT * FROM users")

    @router.get("/_test/timeout")
    async def timeout() -> None:
        raise TimeoutError("an upstream that is not the database")

    @router.get("/_test/not-found")
    async def not_found() -> None:
        raise NotFound("No such thing")

    @router.get("/_test/duplicate")
    async def duplicate(session: SessionDep) -> None:
        # A unique violation no service anticipated: the generic handler still answers 409.
        for name in ("first", "second"):
            session.add(User(username=name, email="same@example.com", hashed_password="x"))
            await session.flush()

    application = create_app(settings)
    application.include_router(router)
    async with running(application, raise_app_exceptions=False) as served:
        yield served.client


async def test_domain_error_renders_detail_and_code(broken_client: httpx.AsyncClient) -> None:
    response = await broken_client.get("/_test/not-found")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such thing", "code": "not_found"}


async def test_unexpected_error_is_a_500_without_internals(
    broken_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await broken_client.get("/_test/boom", headers={"X-Request-ID": "trace-me-42"})
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error", "code": "internal_error"}
    assert "SELECT" not in response.text
    assert "Traceback" not in response.text
    assert response.headers["X-Request-ID"] == "trace-me-42"
    logged = [r for r in caplog.records if r.name == "app.errors"]
    assert logged
    assert logged[0].exc_info is not None
    assert logged[0].request_id == "trace-me-42"  # type: ignore[attr-defined]


async def test_a_timeout_that_is_not_the_database_is_a_500_not_a_503(
    broken_client: httpx.AsyncClient,
) -> None:
    response = await broken_client.get("/_test/timeout")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error", "code": "internal_error"}


async def test_integrity_error_is_a_409_conflict(broken_client: httpx.AsyncClient) -> None:
    response = await broken_client.get("/_test/duplicate")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


async def test_unknown_route_is_a_404_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert_error(response, 404, "not_found")


async def test_validation_error_keeps_fastapi_shape(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/register", json={"username": "ab"})
    errors = assert_invalid(response, "username", "email", "password")
    assert set(response.json()) == {"detail"}
    assert {"loc", "msg", "type"} <= errors[0].keys()
