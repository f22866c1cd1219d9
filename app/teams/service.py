"""Rules of the teams domain."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, NotFound
from app.core.pagination import Page, PageParams
from app.teams.models import Team
from app.teams.repository import TeamRepository
from app.teams.schemas import TeamCreate, TeamFilters, TeamRead, TeamUpdate

NAME_TAKEN = "A team with this name already exists"
TEAM_NOT_FOUND = "Team not found"


class TeamService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.teams = TeamRepository(session)

    async def get(self, team_id: uuid.UUID) -> Team:
        team = await self.teams.get(team_id)
        if team is None:
            raise NotFound(TEAM_NOT_FOUND)
        return team

    async def get_with_heroes(self, team_id: uuid.UUID) -> Team:
        team = await self.teams.get_with_heroes(team_id)
        if team is None:
            raise NotFound(TEAM_NOT_FOUND)
        return team

    async def list_teams(self, page: PageParams, filters: TeamFilters) -> Page[TeamRead]:
        items, total = await self.teams.list(page, self.teams.filters(filters))
        return page.page(TeamRead, items, total)

    async def create(self, data: TeamCreate) -> Team:
        if await self.teams.name_taken(data.name):
            raise Conflict(NAME_TAKEN)
        team = self.teams.add(Team(**data.model_dump()))
        await self._flush()
        return team

    async def update(self, team: Team, data: TeamUpdate) -> Team:
        changes: dict[str, Any] = data.model_dump(exclude_unset=True)
        if "name" in changes and await self.teams.name_taken(changes["name"], exclude=team.id):
            raise Conflict(NAME_TAKEN)
        for field, value in changes.items():
            setattr(team, field, value)
        self.teams.add(team)
        await self._flush()
        return team

    async def delete(self, team: Team) -> None:
        # Its heroes stay, team-less: the database sets their team_id to NULL (ON DELETE
        # SET NULL; SQLite enforces it with foreign_keys=ON).
        await self.teams.delete(team)

    async def _flush(self) -> None:
        """A concurrent request may take the name between the check and the write: 409."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(NAME_TAKEN) from exc
