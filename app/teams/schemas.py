"""Input and output shapes of the teams domain (docs/api.md, section Teams and heroes)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import InputModel
from app.core.types import text

TeamName = Annotated[str, text(min_length=1, max_length=100)]
Headquarters = Annotated[str, text(min_length=1, max_length=255)]


class TeamCreate(InputModel):
    name: TeamName
    headquarters: Headquarters


class TeamUpdate(InputModel):
    """Omitted fields stay as they are; an explicit null is refused (422)."""

    name: TeamName = Field(default=None)  # type: ignore[assignment]
    headquarters: Headquarters = Field(default=None)  # type: ignore[assignment]


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    headquarters: str
    created_at: datetime
    updated_at: datetime


class HeroInTeam(BaseModel):
    """A hero as listed in its team: a Hero without the `team` key (never `secret_name`)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    age: int | None
    team_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class TeamWithHeroes(TeamRead):
    heroes: list[HeroInTeam]


class TeamFilters(BaseModel):
    # A filter is text sent to the database too: no NUL (PostgreSQL refuses it), bounded.
    name: Annotated[str, text(max_length=100)] | None = Field(
        default=None, description="Case-insensitive substring"
    )
