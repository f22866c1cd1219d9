"""Logins and their refresh tokens.

A login is an `AuthSession`; every token pair it issues carries its id (`sid`). Revoking the
session ends all of that login's tokens and no other login's. Refresh tokens are single-use
and stored as SHA-256 digests.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey
from sqlmodel import AutoString, Field, SQLModel

from app.db.base import IdMixin, UTCDateTime, utcnow


class AuthSession(IdMixin, table=True):
    __tablename__ = "auth_sessions"

    user_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Moves on each refresh: a login is live while its last refresh token is.
    last_used_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ip: str | None = Field(default=None, sa_type=AutoString(45))
    user_agent: str | None = Field(default=None, sa_type=AutoString(500))


class RefreshToken(IdMixin, table=True):
    __tablename__ = "refresh_tokens"

    session_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("auth_sessions.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


__all__ = ["AuthSession", "RefreshToken", "SQLModel"]
