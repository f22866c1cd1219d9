"""Queries of the heroes domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.base import ExecutableOption
from sqlmodel import col

from app.core.pagination import PageParams
from app.db.repository import Repository, contains_ci
from app.heroes.models import Hero
from app.heroes.schemas import HeroFilters

# What a Hero response shows beyond its columns: its team, in the same query.
WITH_TEAM: Sequence[ExecutableOption] = (joinedload(Hero.team),)  # type: ignore[arg-type]


class HeroRepository(Repository[Hero]):
    model = Hero

    async def get_with_team(self, hero_id: uuid.UUID, *, reload: bool = False) -> Hero | None:
        """The hero and its team. `reload` re-reads a hero this session already holds (after
        its team_id changed, the loaded `team` would otherwise be stale)."""
        statement = select(Hero).where(col(Hero.id) == hero_id).options(*WITH_TEAM)
        if reload:
            statement = statement.execution_options(populate_existing=True)
        return (await self.session.scalars(statement)).first()

    async def list_with_teams(
        self, page: PageParams, where: Sequence[ColumnElement[bool]]
    ) -> tuple[list[Hero], int]:
        return await self.list(page, where, options=WITH_TEAM)

    @staticmethod
    def filters(filters: HeroFilters) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if filters.name:
            where.append(contains_ci(Hero.name, filters.name))
        if filters.team_id is not None:
            where.append(col(Hero.team_id) == filters.team_id)
        return where
