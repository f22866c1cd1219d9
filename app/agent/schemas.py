"""Shapes of the agent domain: the question, the answer, and what its tools hand the model.

The tool shapes are the model's whole view of the service: they carry no password hash, no
email address and no hero's `secret_name`, and only posts the caller may see.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from app.core.schemas import InputModel
from app.core.types import text

QUESTION_MAX_LENGTH = 2000
EXCERPT_LENGTH = 300
CONTENT_LENGTH = 4000


class Question(InputModel):
    question: Annotated[str, text(min_length=1, max_length=QUESTION_MAX_LENGTH)]


class AgentAnswer(BaseModel):
    """The agent's structured result (and the body of POST /agent/ask)."""

    answer: str = Field(description="The answer to the question, in plain prose")
    post_ids: list[uuid.UUID] = Field(
        default_factory=list, description="Ids of the posts the answer draws on"
    )


# --- what the tools return -----------------------------------------------------------------


class PostHit(BaseModel):
    id: uuid.UUID
    title: str
    author: str
    is_published: bool
    created_at: datetime
    excerpt: str


class PostDetail(BaseModel):
    id: uuid.UUID
    title: str
    author: str
    is_published: bool
    created_at: datetime
    content: str = Field(description=f"The post's text, cut at {CONTENT_LENGTH} characters")


class UserActivity(BaseModel):
    username: str
    full_name: str | None
    member_since: datetime
    visible_posts: int = Field(description="Posts of this user the caller may see")
    published_posts: int
    drafts: int = Field(description="Drafts the caller may see (their own, or all for admins)")
    latest_posts: list[PostHit]


class HeroEntry(BaseModel):
    name: str
    age: int | None


class TeamRoster(BaseModel):
    id: uuid.UUID
    name: str
    headquarters: str
    heroes: list[HeroEntry]
