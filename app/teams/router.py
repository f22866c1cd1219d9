from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from app.auth.dependencies import CurrentUser, require_permission
from app.core.errors import Conflict, Forbidden, NotAuthenticated, NotFound, responses
from app.core.pagination import Page, PageDep
from app.teams.dependencies import PathTeam, TeamServiceDep
from app.teams.models import Team
from app.teams.schemas import TeamCreate, TeamFilters, TeamRead, TeamUpdate, TeamWithHeroes
from app.users.models import User

router = APIRouter(prefix="/teams", tags=["teams"])

CanDeleteTeams = Annotated[User, Depends(require_permission("teams:delete"))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TeamRead,
    responses=responses(NotAuthenticated, Conflict),
)
async def create_team(data: TeamCreate, _: CurrentUser, teams: TeamServiceDep) -> Team:
    """Team names are unique in any letter case (409)."""
    return await teams.create(data)


@router.get("", response_model=Page[TeamRead])
async def list_teams(
    page: PageDep, filters: Annotated[TeamFilters, Query()], teams: TeamServiceDep
) -> Page[TeamRead]:
    return await teams.list_teams(page, filters)


@router.get("/{team_id}", response_model=TeamWithHeroes, responses=responses(NotFound))
async def read_team(team_id: uuid.UUID, teams: TeamServiceDep) -> Team:
    """The team and its heroes (loaded in one extra query)."""
    return await teams.get_with_heroes(team_id)


@router.patch(
    "/{team_id}",
    response_model=TeamRead,
    responses=responses(NotAuthenticated, NotFound, Conflict),
)
async def update_team(
    data: TeamUpdate, _: CurrentUser, team: PathTeam, teams: TeamServiceDep
) -> Team:
    return await teams.update(team, data)


@router.delete(
    "/{team_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(NotAuthenticated, Forbidden, NotFound),
)
async def delete_team(_: CanDeleteTeams, team: PathTeam, teams: TeamServiceDep) -> None:
    """Needs the `teams:delete` permission. The team's heroes stay, team-less."""
    await teams.delete(team)
