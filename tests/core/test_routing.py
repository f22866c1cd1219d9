"""Domain routers are mounted behind a prefix gate: a request only tries its own domain's routes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.posts.router import router as posts_router
from tests.assertions import assert_error


@pytest.fixture
def posts_route_tries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every time a route of the posts domain is tried against a request."""
    tried: list[str] = []
    for route in posts_router.routes:
        assert isinstance(route, APIRoute)
        original = route.matches

        def spy(scope: Any, original: Any = original, path: str = route.path) -> Any:
            tried.append(path)
            return original(scope)

        monkeypatch.setattr(route, "matches", spy)
    return tried


async def test_a_request_for_another_domain_never_tries_the_posts_routes(
    client: httpx.AsyncClient, user_headers: dict[str, str], posts_route_tries: list[str]
) -> None:
    response = await client.get("/api/v1/users/me", headers=user_headers)

    assert response.status_code == 200
    assert posts_route_tries == []


async def test_a_request_for_posts_tries_the_posts_routes(
    client: httpx.AsyncClient, posts_route_tries: list[str]
) -> None:
    response = await client.get("/api/v1/posts")

    assert response.status_code == 200
    assert posts_route_tries


async def test_a_wrong_method_under_a_gated_prefix_is_still_405(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.put("/api/v1/users/me", headers=user_headers)

    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


async def test_an_unknown_path_under_a_gated_prefix_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/posts-archive")

    assert_error(response, 404, "not_found")
    assert response.json() == {"detail": "Not Found", "code": "not_found"}


def test_every_route_keeps_its_full_path_in_the_schema(app: FastAPI) -> None:
    paths = app.openapi()["paths"]

    assert "/api/v1/posts/{post_id}" in paths
    assert "/api/v1/users/me" in paths
    assert "/health" in paths


def test_the_service_routes_are_the_apps_own_and_tried_first(app: FastAPI) -> None:
    first = [(route.path, sorted(route.methods)) for route in app.routes[:3]]  # type: ignore[attr-defined]

    assert first == [("/", ["GET"]), ("/health", ["GET"]), ("/health/ready", ["GET"])]
    assert all(type(route) is APIRoute for route in app.routes[:3])
    assert app.openapi()["paths"]["/health"]["get"]["tags"] == ["service"]


async def test_a_service_route_mounted_first_honours_the_apps_dependency_overrides(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Added anew on the app's own router (not moved there as they were declared), the
    routes take the app's dependency overrides as the included ones do."""
    from app.core.state import get_state

    database_down = SimpleNamespace(redis=None, db=SimpleNamespace(engine=None))
    app.dependency_overrides[get_state] = lambda: database_down

    response = await client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "error", "redis": "disabled"}


@pytest.mark.parametrize(
    ("path", "root_path"),
    [
        ("/api/v1/users/me", ""),
        ("/prefix/api/v1/users/me", "/prefix"),
        ("/prefix", "/prefix"),
        ("/prefixed/api/v1/users", "/prefix"),
        ("/other/api/v1/users", "/prefix"),
    ],
)
def test_route_path_agrees_with_starlettes_own_rule(path: str, root_path: str) -> None:
    """`route_path` restates a private Starlette helper: this fails loudly if Starlette's
    rule changes (then update `app/core/routing.py` to match)."""
    from starlette._utils import get_route_path

    from app.core.routing import route_path

    scope = {"type": "http", "path": path, "root_path": root_path}
    expected = get_route_path(scope)
    # Where Starlette gives "" (the path is the root itself) no route prefix matches either.
    assert route_path(scope) == expected or (expected == "" and route_path(scope) == path)


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/api/v1/teams/", "/api/v1/teams"),
        ("/api/v1/teams/?name=a%20b", "/api/v1/teams?name=a%20b"),
        ("/health/", "/health"),
        ("/docs/", "/docs"),
    ],
)
async def test_a_trailing_slash_redirect_stays_on_the_host_whatever_the_host_header(
    client: httpx.AsyncClient, path: str, location: str
) -> None:
    """The Location is relative: a client's `Host: evil.example` cannot send it elsewhere."""
    response = await client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)

    assert response.status_code == 307
    assert response.headers["Location"] == location


async def test_a_trailing_slash_redirect_keeps_the_method_and_lands(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/teams/", follow_redirects=True)

    assert response.status_code == 200
    assert str(response.url) == "http://test/api/v1/teams"


async def test_a_path_no_route_has_with_or_without_a_slash_is_404(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/teams-archive/", follow_redirects=False)

    assert_error(response, 404, "not_found")


async def test_an_admin_console_redirect_stays_on_the_host_whatever_the_host_header(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/admin/", headers={"Host": "evil.example"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login"


@pytest.mark.parametrize(
    ("location", "relative"),
    [
        ("http://evil.example/a/b?c=d#e", "/a/b?c=d#e"),
        ("https://EVIL.example", "/"),
        ("http://evil.example//other.example/x", "/.//other.example/x"),
        ("http://other.example/a", None),
        ("http://evil.example:8080/a", None),
        ("/already/relative", None),
    ],
)
def test_only_a_location_on_the_requests_own_origin_is_made_relative(
    location: str, relative: str | None
) -> None:
    from app.core.middleware import relative_location

    scope = {
        "type": "http",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "path": "/",
        "query_string": b"",
        "headers": [(b"host", b"evil.example")],
    }
    assert relative_location(location, scope) == relative
