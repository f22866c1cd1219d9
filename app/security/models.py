"""The security log: an append-only record of what happened to each account."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import AutoString, Field, col

from app.db.base import IdMixin, UTCDateTime, utcnow


class SecurityEventKind(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    REFRESH_REUSE = "refresh_reuse"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"
    PASSWORD_RESET = "password_reset"
    EMAIL_VERIFIED = "email_verified"
    EMAIL_CHANGED = "email_changed"
    MFA_ENABLED = "mfa_enabled"
    MFA_DISABLED = "mfa_disabled"
    BACKUP_CODE_USED = "backup_code_used"
    SESSION_REVOKED = "session_revoked"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    USER_UPDATED_BY_ADMIN = "user_updated_by_admin"


class SecurityEvent(IdMixin, table=True):
    """One event. `user_id` and `actor_id` are plain columns, not foreign keys: deleting a
    user keeps the record of what happened to the account (docs/api.md)."""

    __tablename__ = "security_events"

    event: str = Field(sa_type=AutoString(40))
    user_id: uuid.UUID | None = Field(default=None)
    actor_id: uuid.UUID | None = Field(default=None)
    ip: str | None = Field(default=None, sa_type=AutoString(45))
    user_agent: str | None = Field(default=None, sa_type=AutoString(500))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# The two pages: a user's own events, newest first; the superuser's, filtered by kind.
_created = col(SecurityEvent.created_at)
Index("ix_security_events_user_id_created_at", col(SecurityEvent.user_id), _created)
Index("ix_security_events_created_at", _created)
Index("ix_security_events_event_created_at", col(SecurityEvent.event), _created)
