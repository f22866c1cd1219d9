"""What the input and output shapes of every domain have in common."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlmodel import SQLModel


class InputModel(BaseModel):
    """A request body: an unknown field is refused (422), not ignored."""

    model_config = ConfigDict(extra="forbid")


def _no_defaults(schema: dict[str, Any]) -> None:
    for field in schema.get("properties", {}).values():
        field.pop("default", None)


class ReadModel(SQLModel):
    """A response model that shares its fields with a table (`UserRead(..., UserBase)`).

    The defaults of those fields build rows, but a response always has every field: the
    published schema marks them all required and shows no default. Built from ORM objects.
    """

    # SQLModel types `model_config` with a TypedDict of its own (private): a ConfigDict is one
    # too, with fewer keys.
    model_config = ConfigDict(  # type: ignore[assignment]
        from_attributes=True,
        json_schema_serialization_defaults_required=True,
        json_schema_extra=_no_defaults,
    )
