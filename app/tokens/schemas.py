"""Shapes of personal access tokens (docs/api.md, "Two-factor sign-in and personal access
tokens")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.core.schemas import InputModel
from app.core.types import JSON_INTEGER, text

Scope = Literal["read", "write"]
SCOPE_ORDER: tuple[Scope, ...] = ("read", "write")
TOKEN_MAX_DAYS = 3650


def _as_set(scopes: list[Scope]) -> list[Scope]:
    """A subset: duplicates collapse, in a fixed order."""
    return [scope for scope in SCOPE_ORDER if scope in scopes]


class PersonalTokenCreate(InputModel):
    name: Annotated[str, text(min_length=1, max_length=100)]
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=2), AfterValidator(_as_set)]
    expires_in_days: Annotated[int, Field(ge=1, le=TOKEN_MAX_DAYS), JSON_INTEGER] | None = None


class PersonalTokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class PersonalTokenCreated(PersonalTokenRead):
    """The answer of POST /auth/tokens: the only time the token itself is shown."""

    token: str
