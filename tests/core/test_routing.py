"""Routing: every API route on the app's own route list, none shadowing another; the 404,
405 and trailing-slash behaviour of a FastAPI app."""

from __future__ import annotations

import re
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match

from app.api import API_PREFIX
from tests.assertions import assert_error

SAMPLE_ID = "0190a000-0000-7000-8000-000000000000"


def api_routes(app: FastAPI) -> list[APIRoute]:
    return [
        route
        for route in app.router.routes
        if isinstance(route, APIRoute) and route.path.startswith(API_PREFIX)
    ]


def test_every_api_route_is_on_the_apps_own_route_list(app: FastAPI) -> None:
    """No included router on the way to an API route (app/core/routing.py: `add_routes`)."""
    schema_paths = {path for path in app.openapi()["paths"] if path.startswith(API_PREFIX)}

    assert {route.path for route in api_routes(app)} == schema_paths


def test_no_route_shadows_another(app: FastAPI) -> None:
    """For each route and method, the first route of the app's list that fully matches a
    request for it is that route itself: the order of the domains changes nothing but speed."""
    for route in api_routes(app):
        path = re.sub(r"{[^}]+}", SAMPLE_ID, route.path)
        for method in route.methods:
            scope = {"type": "http", "path": path, "root_path": "", "method": method}
            first = next(
                candidate
                for candidate in app.router.routes
                if candidate.matches(scope)[0] is Match.FULL
            )
            assert first is route, (method, route.path, getattr(first, "path", first))


async def test_a_wrong_method_is_405_naming_the_allowed_ones(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.put("/api/v1/users/me", headers=user_headers)

    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


async def test_an_unknown_path_next_to_a_known_prefix_is_404(client: httpx.AsyncClient) -> None:
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
