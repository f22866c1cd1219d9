"""Rules of the heroes domain."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import BadRequest, NotFound
from app.core.pagination import Page, PageParams
from app.heroes.models import Hero
from app.heroes.repository import HeroRepository
from app.heroes.schemas import HeroCreate, HeroFilters, HeroRead, HeroUpdate
from app.teams.repository import TeamRepository

HERO_NOT_FOUND = "Hero not found"
NO_SUCH_TEAM = "team_id names no team"


class HeroService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.heroes = HeroRepository(session)
        self.teams = TeamRepository(session)

    async def get(self, hero_id: uuid.UUID) -> Hero:
        hero = await self.heroes.get_with_team(hero_id)
        if hero is None:
            raise NotFound(HERO_NOT_FOUND)
        return hero

    async def list_heroes(self, page: PageParams, filters: HeroFilters) -> Page[HeroRead]:
        items, total = await self.heroes.list_with_teams(page, self.heroes.filters(filters))
        return page.page(HeroRead, items, total)

    async def create(self, data: HeroCreate) -> Hero:
        await self._ensure_team(data.team_id)
        hero = self.heroes.add(Hero(**data.model_dump()))
        await self._flush()
        return await self._reloaded(hero.id)

    async def update(self, hero: Hero, data: HeroUpdate) -> Hero:
        changes: dict[str, Any] = data.model_dump(exclude_unset=True)
        if "team_id" in changes:
            await self._ensure_team(changes["team_id"])
        for field, value in changes.items():
            setattr(hero, field, value)
        self.heroes.add(hero)
        await self._flush()
        return await self._reloaded(hero.id)

    async def delete(self, hero: Hero) -> None:
        await self.heroes.delete(hero)

    async def _ensure_team(self, team_id: uuid.UUID | None) -> None:
        if team_id is not None and not await self.teams.exists(team_id):
            raise BadRequest(NO_SUCH_TEAM)

    async def _reloaded(self, hero_id: uuid.UUID) -> Hero:
        hero = await self.heroes.get_with_team(hero_id, reload=True)
        assert hero is not None  # written in this unit of work
        return hero

    async def _flush(self) -> None:
        """The team may be deleted between the check and the write: the foreign key refuses
        it, and that is still a 400 (heroes have no other constraint to break)."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise BadRequest(NO_SUCH_TEAM) from exc
