"""Every router of the API, in one place: what the service answers, at a glance."""

from __future__ import annotations

from fastapi import FastAPI

from app.accounts.router import router as accounts_router
from app.agent.router import router as agent_router
from app.analytics.router import router as analytics_router
from app.auth.router import router as auth_router
from app.core.routing import mount, mount_first
from app.health.router import router as health_router
from app.heroes.router import router as heroes_router
from app.mfa.router import router as mfa_router
from app.posts.router import router as posts_router
from app.realtime.router import router as realtime_router
from app.security.router import router as security_router
from app.teams.router import router as teams_router
from app.tokens.router import router as tokens_router
from app.users.router import router as users_router

API_PREFIX = "/api/v1"

# Under /api/v1 (API.md), each behind its own prefix.
API_ROUTERS = (
    auth_router,
    mfa_router,
    tokens_router,
    security_router,  # before users_router: /users/me/security-events
    accounts_router,
    users_router,
    posts_router,
    teams_router,
    heroes_router,
    analytics_router,
    agent_router,
)
# At the root: `/`, `/health` and `/health/ready` first of all (`mount_first`), and the
# WebSocket `/ws/{client_id}`.
FIRST_ROUTERS = (health_router,)
ROOT_ROUTERS = (realtime_router,)


def include_routers(app: FastAPI) -> None:
    for router in FIRST_ROUTERS:
        mount_first(app, router)
    for router in API_ROUTERS:
        mount(app, router, prefix=API_PREFIX)
    for router in ROOT_ROUTERS:
        mount(app, router)
