from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.db.session import SessionDep
from app.teams.models import Team
from app.teams.service import TeamService


async def get_team_service(session: SessionDep) -> TeamService:
    return TeamService(session)


TeamServiceDep = Annotated[TeamService, Depends(get_team_service)]


async def valid_team_id(team_id: uuid.UUID, teams: TeamServiceDep) -> Team:
    """The team named in the path, or 404."""
    return await teams.get(team_id)


PathTeam = Annotated[Team, Depends(valid_team_id)]
