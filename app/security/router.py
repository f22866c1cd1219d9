"""The security log: the caller's own events, and every event for superusers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import CurrentUser, SuperUser
from app.core.errors import Forbidden, InactiveUser, NotAuthenticated, responses
from app.core.pagination import Page, PageDep
from app.security.dependencies import SecurityLogDep
from app.security.schemas import SecurityEventFilters, SecurityEventRead

router = APIRouter(tags=["security"], responses=responses(NotAuthenticated, InactiveUser))


@router.get("/users/me/security-events", response_model=Page[SecurityEventRead])
async def my_security_events(
    me: CurrentUser, page: PageDep, log: SecurityLogDep
) -> Page[SecurityEventRead]:
    """What happened to the caller's account, newest first."""
    return await log.for_user(me.id, page)


@router.get(
    "/security-events", response_model=Page[SecurityEventRead], responses=responses(Forbidden)
)
async def security_events(
    _: SuperUser,
    page: PageDep,
    filters: Annotated[SecurityEventFilters, Query()],
    log: SecurityLogDep,
) -> Page[SecurityEventRead]:
    """Every account's events, newest first; filter by `user_id` and `event`."""
    return await log.search(page, filters)
