"""Mounting the domain routers so that a request only walks the routes that could match it.

FastAPI matches a request by trying every route of every included router in turn, with some
bookkeeping per candidate (measured in bench/results/NOTES.md). A domain router's routes all
start with its full prefix (`/api/v1` + `/users`), so `PrefixGate` answers "no match" for any
other path with one `startswith`, and only the domain the path names is walked. Nothing else
changes: the same routes, paths, OpenAPI operations, dependencies and 404/405/redirect
behaviour.

The service routes (`/`, `/health`, `/health/ready`) are not included at all: `mount_first`
adds them to the app's own route list, ahead of the gates (see there).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope


def route_path(scope: Scope) -> str:
    """The path the routes match against: the request path without the app's `root_path`
    (Starlette's rule, written here rather than imported from its private `_utils`)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if (
        root_path
        and path.startswith(root_path)
        and path[len(root_path) : len(root_path) + 1] == "/"
    ):
        return path[len(root_path) :]
    return path


class PrefixGate(APIRouter):
    """A router holding one included router, matching only paths under its full prefix."""

    def __init__(self, router: APIRouter, prefix: str) -> None:
        super().__init__()
        self.full_prefix = prefix + router.prefix
        self.include_router(router, prefix=prefix)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not route_path(scope).startswith(self.full_prefix):
            return Match.NONE, {}
        return super().matches(scope)


def mount(app: FastAPI, router: APIRouter, prefix: str = "") -> None:
    """Include `router` under `prefix`, behind a gate when the two give its routes a prefix."""
    if prefix + router.prefix:
        app.include_router(PrefixGate(router, prefix))
    else:
        app.include_router(router)


def mount_first(app: FastAPI, router: APIRouter) -> None:
    """Add the routes of `router` to the app's own route list, ahead of every other route.

    For the few routes outside /api/v1 that a probe calls over and over (`/health`). FastAPI
    0.165 serves a route of an included router through its `_IncludedRouter` (matched, then
    matched again to be handled, with scope bookkeeping at each step) and tries the app's list
    in order: GET /health went through that and past the domain gates before it, about 20 us
    of its 80 in-process (bench/results/NOTES.md). A route of the app's own list is one regex
    match; every other request pays a regex miss for each route added here.

    Each route is added anew with `add_api_route` and its own settings, as an include would
    have served it: what the app gives its own routes (its dependency overrides above all)
    applies. Only for a router with no prefix, dependencies or other settings of its own to
    pass on (they are in each route already: `tags` and the like are merged when a route is
    declared), and only for HTTP routes. The OpenAPI schema lists these paths first.
    """
    if router.prefix or router.dependencies or router.responses or router.callbacks:
        raise ValueError("mount_first: a router with settings of its own to pass on")
    own = app.router.routes
    start = len(own)
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"mount_first: {route!r} is not an HTTP route")
        app.router.add_api_route(
            route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=route.tags,
            dependencies=route.dependencies,
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=route.responses,
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            route_class_override=type(route),
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            generate_unique_id_function=route.generate_unique_id_function,
            strict_content_type=route.strict_content_type,
            max_body_size=route.max_body_size,
            form_limits=route.form_limits,
        )
    added = own[start:]
    del own[start:]
    own[:0] = added
