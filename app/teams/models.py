"""The teams table. A team's name is unique in any letter case."""

from typing import TYPE_CHECKING

from sqlalchemy import Index
from sqlmodel import Field, Relationship

from app.db.base import IdMixin, TimestampMixin
from app.db.folding import folded

if TYPE_CHECKING:
    from app.heroes.models import Hero

# No `from __future__ import annotations`: SQLModel reads relationship annotations at class
# creation time.


class Team(IdMixin, TimestampMixin, table=True):
    __tablename__ = "teams"

    name: str = Field(max_length=100)  # stored as typed; unique case-insensitively
    headquarters: str = Field(max_length=255)

    # Read-only view of the team's heroes, loaded with selectinload where a response shows
    # them. Deleting a team leaves its heroes to the database (ON DELETE SET NULL).
    heroes: list["Hero"] = Relationship(
        sa_relationship_kwargs={
            "lazy": "raise",
            "viewonly": True,
            "order_by": "(Hero.created_at.desc(), Hero.id.desc())",
        }
    )


# Unique in any letter case (app/db/folding.py: the SQL function fold_case).
Index("uq_teams_name_fold", folded(Team.name), unique=True)
