"""Queries of the security log."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement
from sqlmodel import col

from app.db.repository import Repository
from app.security.models import SecurityEvent
from app.security.schemas import SecurityEventFilters


class SecurityEventRepository(Repository[SecurityEvent]):
    model = SecurityEvent

    def of_user(self, user_id: uuid.UUID) -> list[ColumnElement[bool]]:
        return [col(SecurityEvent.user_id) == user_id]

    def filters(self, filters: SecurityEventFilters) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if filters.user_id is not None:
            where.append(col(SecurityEvent.user_id) == filters.user_id)
        if filters.event is not None:
            where.append(col(SecurityEvent.event) == filters.event.value)
        return where
