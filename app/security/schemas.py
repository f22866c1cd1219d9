"""Shapes of the security log (docs/api.md, Account lifecycle: SecurityEvent)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from app.security.models import SecurityEventKind


class SecurityEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event: SecurityEventKind
    user_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    ip: str | None
    user_agent: str | None
    created_at: datetime


class SecurityEventFilters(BaseModel):
    user_id: uuid.UUID | None = None
    event: SecurityEventKind | None = None
