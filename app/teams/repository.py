"""Queries of the teams domain."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement
from sqlalchemy.orm import selectinload
from sqlmodel import col

from app.db.folding import equals_folded
from app.db.repository import Repository, contains_ci
from app.teams.models import Team
from app.teams.schemas import TeamFilters


class TeamRepository(Repository[Team]):
    model = Team

    async def get_with_heroes(self, team_id: uuid.UUID) -> Team | None:
        """The team, and its heroes in one more query (however many there are)."""
        return await self.get(team_id, options=[selectinload(Team.heroes)])  # type: ignore[arg-type]

    async def exists(self, team_id: uuid.UUID) -> bool:
        return await self.get(team_id) is not None

    async def name_taken(self, name: str, *, exclude: uuid.UUID | None = None) -> bool:
        where = [equals_folded(Team.name, name)]
        if exclude is not None:
            where.append(col(Team.id) != exclude)
        return await self.get_one_by(*where) is not None

    @staticmethod
    def filters(filters: TeamFilters) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if filters.name:
            where.append(contains_ci(Team.name, filters.name))
        return where
