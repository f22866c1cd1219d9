"""Input and output shapes of the heroes domain (docs/api.md, section Teams and heroes).

`secret_name` is write-only: it exists on the input models and nowhere else.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, Field

from app.core.schemas import InputModel
from app.core.types import JSON_INTEGER, text
from app.teams.schemas import HeroInTeam, TeamRead

HeroName = Annotated[str, text(min_length=1, max_length=100)]
SecretName = Annotated[str, text(min_length=1, max_length=100)]
Age = Annotated[int, Field(ge=0, le=10_000), JSON_INTEGER]


class HeroCreate(InputModel):
    name: HeroName
    secret_name: SecretName
    age: Age | None = None
    team_id: uuid.UUID | None = None


class HeroUpdate(InputModel):
    """Omitted fields stay as they are. `age` and `team_id` may be set to null; the names
    may not (422)."""

    name: HeroName = Field(default=None)  # type: ignore[assignment]
    secret_name: SecretName = Field(default=None)  # type: ignore[assignment]
    age: Age | None = None
    team_id: uuid.UUID | None = None


class HeroRead(HeroInTeam):
    team: TeamRead | None


class HeroFilters(BaseModel):
    # A filter is text sent to the database too: no NUL (PostgreSQL refuses it), bounded.
    name: Annotated[str, text(max_length=100)] | None = Field(
        default=None, description="Case-insensitive substring"
    )
    team_id: uuid.UUID | None = None
