from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.db.session import SessionDep
from app.heroes.models import Hero
from app.heroes.service import HeroService


async def get_hero_service(session: SessionDep) -> HeroService:
    return HeroService(session)


HeroServiceDep = Annotated[HeroService, Depends(get_hero_service)]


async def valid_hero_id(hero_id: uuid.UUID, heroes: HeroServiceDep) -> Hero:
    """The hero named in the path (with its team), or 404."""
    return await heroes.get(hero_id)


PathHero = Annotated[Hero, Depends(valid_hero_id)]
