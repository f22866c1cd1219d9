"""Input and output shapes of the posts domain (docs/api.md, section Posts)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.core.schemas import InputModel
from app.core.types import text
from app.users.schemas import UserRead

Title = Annotated[str, text(min_length=1, max_length=255)]
Content = Annotated[str, text(min_length=1, max_length=100_000)]


class PostCreate(InputModel):
    title: Title
    content: Content
    is_published: StrictBool = False


class PostUpdate(InputModel):
    """Omitted fields stay as they are; an explicit null is refused (422)."""

    title: Title = Field(default=None)  # type: ignore[assignment]
    content: Content = Field(default=None)  # type: ignore[assignment]
    is_published: StrictBool = Field(default=None)  # type: ignore[assignment]


class AuthorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str


class PostRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    content: str
    is_published: bool
    author_id: uuid.UUID
    author: AuthorRead
    created_at: datetime
    updated_at: datetime


class PostFilters(BaseModel):
    author_id: uuid.UUID | None = None
    is_published: bool | None = None
    # A filter is text sent to the database too: no NUL (PostgreSQL refuses it), bounded.
    q: Annotated[str, text(max_length=1000)] | None = Field(
        default=None, description="Case-insensitive substring of the title or the content"
    )


class UserWithPosts(UserRead):
    """`GET /users/{id}/with-posts`: the user and the posts the caller may see."""

    posts: list[PostRead]
