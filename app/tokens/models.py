"""Personal access tokens: long-lived bearer credentials for scripts, scoped and revocable.

A token is `agora_pat_` and 43 random characters; only its SHA-256 digest is stored (the
token has 256 bits of entropy: a fast digest is enough, no salt or slow hash needed), with
its first 16 characters (`prefix`) to tell tokens apart in a list.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey
from sqlmodel import AutoString, Field

from app.db.base import IdMixin, UTCDateTime, utcnow


class PersonalToken(IdMixin, table=True):
    __tablename__ = "personal_tokens"

    user_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    name: str = Field(sa_type=AutoString(100))
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    scopes: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
