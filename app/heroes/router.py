from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from app.auth.dependencies import CurrentUser, require_permission
from app.core.errors import BadRequest, Forbidden, NotAuthenticated, NotFound, responses
from app.core.pagination import Page, PageDep
from app.heroes.dependencies import HeroServiceDep, PathHero
from app.heroes.models import Hero
from app.heroes.schemas import HeroCreate, HeroFilters, HeroRead, HeroUpdate
from app.users.models import User

router = APIRouter(prefix="/heroes", tags=["heroes"])

CanDeleteHeroes = Annotated[User, Depends(require_permission("heroes:delete"))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=HeroRead,
    responses=responses(BadRequest, NotAuthenticated),
)
async def create_hero(data: HeroCreate, _: CurrentUser, heroes: HeroServiceDep) -> Hero:
    """`secret_name` is stored but never returned; a `team_id` of no team is a 400."""
    return await heroes.create(data)


@router.get("", response_model=Page[HeroRead])
async def list_heroes(
    page: PageDep, filters: Annotated[HeroFilters, Query()], heroes: HeroServiceDep
) -> Page[HeroRead]:
    return await heroes.list_heroes(page, filters)


@router.get("/{hero_id}", response_model=HeroRead, responses=responses(NotFound))
async def read_hero(hero: PathHero) -> Hero:
    return hero


@router.patch(
    "/{hero_id}",
    response_model=HeroRead,
    responses=responses(BadRequest, NotAuthenticated, NotFound),
)
async def update_hero(
    data: HeroUpdate, _: CurrentUser, hero: PathHero, heroes: HeroServiceDep
) -> Hero:
    return await heroes.update(hero, data)


@router.delete(
    "/{hero_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(NotAuthenticated, Forbidden, NotFound),
)
async def delete_hero(_: CanDeleteHeroes, hero: PathHero, heroes: HeroServiceDep) -> None:
    """Needs the `heroes:delete` permission."""
    await heroes.delete(hero)
