"""How the routers reach the app: their routes on the app's own route list (`add_routes`).

FastAPI 0.165 serves the routes of an included router through an `_IncludedRouter`, walking
its candidates once to match and again to handle, with scope bookkeeping for each; the API's
routers are therefore not included but copied route by route onto the app's list, which costs
a regex match per route tried (tests/core/test_routing.py: no route shadows another, so the
order of the domains is only about speed). `route_path` is the path routes match against.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
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


def add_routes(app: FastAPI, router: APIRouter, prefix: str = "", *, first: bool = False) -> None:
    """Add every route of `router` to the app's own route list, under `prefix`, after the
    routes already there (`first`: ahead of them all): no included router on the way to them.

    FastAPI 0.165 serves a route of an included router through its `_IncludedRouter`: the
    router's candidates are walked once to match and again to handle (three times behind the
    prefix gates this replaced), with scope bookkeeping for each candidate; about 9% of a GET
    /api/v1/users/{id} under load (py-spy, bench/results/NOTES.md). A route of the app's own
    list costs one regex match, and a miss about 0.6 us: with the 57 API routes in one list,
    the hot domains first, no request tries more than that.

    Each route is added anew with `add_api_route` and its own settings, as the include would
    have served it (so the app's dependency overrides apply to it): a router's own prefix,
    tags, dependencies and responses are in each of its routes already (FastAPI merges them
    when a route is declared); only `prefix` is added here. Only for HTTP routes (a WebSocket
    router is included as usual).
    """
    own = app.router.routes
    start = len(own)
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"add_routes: {route!r} is not an HTTP route")
        app.router.add_api_route(
            prefix + route.path,
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
    if first:
        added = own[start:]
        del own[start:]
        own[:0] = added
