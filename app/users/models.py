"""Tables of the accounts domain: users and their profiles."""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Column, ForeignKey, Index, Text, false
from sqlmodel import AutoString, Field, Relationship, SQLModel

from app.db.base import IdMixin, TimestampMixin, UTCDateTime, utcnow
from app.db.folding import folded

if TYPE_CHECKING:
    from app.posts.models import Post

# No `from __future__ import annotations`: SQLModel reads relationship annotations at class
# creation time.


class UserBase(SQLModel):
    """A user's public fields, written once: the table's columns (`User`), what every User
    response shows (`UserRead`), the columns the stream reads and the bulk insert writes.

    Lengths are given as column types (`sa_type`), not `max_length`: they size the columns
    without becoming constraints of the response schema. The input models (schemas.py) carry
    the rules a client's values must follow.
    """

    username: str = Field(sa_type=AutoString(50))  # stored as typed; unique case-insensitively
    email: str = Field(sa_type=AutoString(254), unique=True)  # stored lower-cased
    full_name: str | None = Field(default=None, sa_type=AutoString(100))
    is_active: bool = Field(default=True)
    is_superuser: bool = Field(default=False)
    # The email address was confirmed (app/accounts). Rows inserted without it (SQL, old
    # code) start unverified; the migration that added it marked the users of the day verified.
    is_verified: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    permissions: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    # Two-factor sign-in is on (app/mfa); set only by confirming or disabling it.
    mfa_enabled: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class User(IdMixin, TimestampMixin, UserBase, table=True):
    __tablename__ = "users"

    hashed_password: str = Field(max_length=255)  # write-only: no response model has it

    # Read-only view of the user's posts, loaded (with the viewer's visibility) only where a
    # response shows them: GET /users/{id}/with-posts. Posts go with their author in the
    # database (ON DELETE CASCADE).
    posts: list["Post"] = Relationship(
        sa_relationship_kwargs={
            "lazy": "raise",
            "viewonly": True,
            "order_by": "(Post.created_at.desc(), Post.id.desc())",
        }
    )

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
