"""The posts table: each post belongs to a user and goes when its author goes."""

import uuid

from sqlalchemy import Column, ForeignKey, Text
from sqlmodel import Field, Relationship

from app.db.base import IdMixin, TimestampMixin
from app.users.models import User

# No `from __future__ import annotations` here: SQLModel reads the relationship's annotation
# at class creation, and a string there would not resolve to the mapped class.


class Post(IdMixin, TimestampMixin, table=True):
    __tablename__ = "posts"

    title: str = Field(max_length=255)
    content: str = Field(sa_type=Text)
    is_published: bool = Field(default=False)
    author_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )

    # Loaded explicitly by the repository (joinedload); a hidden lazy load raises.
    author: User = Relationship(sa_relationship_kwargs={"lazy": "raise"})
