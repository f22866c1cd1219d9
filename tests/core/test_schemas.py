"""The shared bases of the input and output shapes (app/core/schemas.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlmodel import SQLModel

from app.core.schemas import InputModel, ReadModel


class Base(SQLModel):
    """Fields shared with a table, whose defaults build rows."""

    name: str
    active: bool = True
    note: str | None = None


class Read(ReadModel, Base):
    pass


def test_a_read_model_schema_requires_every_field_and_shows_no_default() -> None:
    schema = Read.model_json_schema(mode="serialization")
    assert schema["required"] == ["name", "active", "note"]
    assert all("default" not in field for field in schema["properties"].values())


def test_a_read_model_is_built_from_attributes() -> None:
    class Row:
        name = "x"
        active = False
        note = None

    assert Read.model_validate(Row()).model_dump() == {"name": "x", "active": False, "note": None}


def test_an_input_model_refuses_unknown_fields() -> None:
    class Body(InputModel):
        name: str

    with pytest.raises(ValidationError):
        Body.model_validate({"name": "x", "other": 1})


async def test_the_user_schema_requires_every_field_and_shows_no_default(client) -> None:
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]["UserRead"]
    assert set(schema["required"]) == set(schema["properties"])
    assert all("default" not in field for field in schema["properties"].values())
