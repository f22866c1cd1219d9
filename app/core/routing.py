"""Mounting the domain routers so that a request only walks the routes that could match it.

FastAPI matches a request by trying every route of every included router in turn, with some
bookkeeping per candidate (measured in bench/results/NOTES.md). A domain router's routes all
start with its full prefix (`/api/v1` + `/users`), so `PrefixGate` answers "no match" for any
other path with one `startswith`, and only the domain the path names is walked. Nothing else
changes: the same routes, paths, OpenAPI operations, dependencies and 404/405/redirect
behaviour.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
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
