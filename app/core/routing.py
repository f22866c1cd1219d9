"""Mounting the domain routers so that a request only walks the routes that could match it.

FastAPI matches a request by trying every route of every included router in turn, with some
bookkeeping per candidate (about 1.5 us each here): a request for `/api/v1/users/me` tried all
the routes of the nine domains before `users`. A domain router's routes all start with its
full prefix (`/api/v1` + `/users`), so `PrefixGate` answers "no match" for any other path with
one `startswith`, and only the domain the path names is walked. Nothing else changes: the same
routes, paths, OpenAPI operations, dependencies and 404/405/redirect behaviour.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope


class PrefixGate(APIRouter):
    """A router holding one included router, matching only paths under its full prefix."""

    def __init__(self, router: APIRouter, prefix: str) -> None:
        super().__init__()
        self.full_prefix = prefix + router.prefix
        self.include_router(router, prefix=prefix)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not get_route_path(scope).startswith(self.full_prefix):
            return Match.NONE, {}
        return super().matches(scope)


def mount(app: FastAPI, router: APIRouter, prefix: str = "") -> None:
    """Include `router` under `prefix`, behind a gate when the two give its routes a prefix."""
    if prefix + router.prefix:
        app.include_router(PrefixGate(router, prefix))
    else:
        app.include_router(router)
