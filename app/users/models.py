"""Tables of the accounts domain: users and their profiles."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Text
from sqlmodel import Field, SQLModel

from app.db.base import IdMixin, TimestampMixin, UTCDateTime, utcnow
from app.db.folding import folded


class User(IdMixin, TimestampMixin, table=True):
    __tablename__ = "users"

    username: str = Field(max_length=50)  # stored as typed; unique case-insensitively
    email: str = Field(max_length=254, unique=True)  # stored lower-cased
    hashed_password: str = Field(max_length=255)
    full_name: str | None = Field(default=None, max_length=100)
    is_active: bool = Field(default=True)
    is_superuser: bool = Field(default=False)
    permissions: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)

    def has_permission(self, permission: str) -> bool:
        return self.is_superuser or permission in self.permissions


# Unique in any letter case (app/db/folding.py: the SQL function fold_case).
Index("uq_users_username_fold", folded(User.username), unique=True)


class Profile(SQLModel, table=True):
    __tablename__ = "profiles"

    user_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    bio: str | None = Field(default=None, sa_type=Text)
    avatar_url: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )
