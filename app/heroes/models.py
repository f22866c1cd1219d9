"""The heroes table. A hero may belong to a team; deleting the team leaves the hero team-less."""

import uuid

from sqlalchemy import Column, ForeignKey
from sqlmodel import Field, Relationship

from app.db.base import IdMixin, TimestampMixin
from app.teams.models import Team

# No `from __future__ import annotations`: SQLModel reads relationship annotations at class
# creation time.


class Hero(IdMixin, TimestampMixin, table=True):
    __tablename__ = "heroes"

    name: str = Field(max_length=100)
    secret_name: str = Field(max_length=100)  # write-only: no output schema has it
    age: int | None = Field(default=None)
    team_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True),
    )

    team: Team | None = Relationship(sa_relationship_kwargs={"lazy": "raise"})
