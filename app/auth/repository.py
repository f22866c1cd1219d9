"""Queries of logins (auth sessions) and refresh tokens."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from app.auth.models import AuthSession, RefreshToken
from app.db.base import utcnow
from app.db.repository import Repository
from app.users.models import User


class AuthSessionRepository(Repository[AuthSession]):
    model = AuthSession

    async def active_user(self, user_id: uuid.UUID, session_id: uuid.UUID) -> User | None:
        """The user behind an access token, if that token's login is still valid (one query)."""
        statement = (
            select(User)
            .join(AuthSession, col(AuthSession.user_id) == col(User.id))
            .where(
                col(User.id) == user_id,
                col(AuthSession.id) == session_id,
                col(AuthSession.revoked_at).is_(None),
            )
        )
        return (await self.session.scalars(statement)).first()

    async def revoke(self, session_id: uuid.UUID) -> None:
        await self.session.execute(
            update(AuthSession)
            .where(col(AuthSession.id) == session_id, col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )

    async def revoke_all_for_user(self, user_id: uuid.UUID) -> None:
        await self.session.execute(
            update(AuthSession)
            .where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )


class RefreshTokenRepository(Repository[RefreshToken]):
    model = RefreshToken

    async def find(self, token_hash: str) -> tuple[RefreshToken, AuthSession, User] | None:
        statement = (
            select(RefreshToken, AuthSession, User)
            .join(AuthSession, col(RefreshToken.session_id) == col(AuthSession.id))
            .join(User, col(AuthSession.user_id) == col(User.id))
            .where(col(RefreshToken.token_hash) == token_hash)
        )
        row = (await self.session.execute(statement)).first()
        return None if row is None else (row[0], row[1], row[2])

    async def mark_used(self, token_id: uuid.UUID) -> bool:
        """Consume a refresh token; False if it was already used (a concurrent request won)."""
        result: Any = await self.session.execute(
            update(RefreshToken)
            .where(col(RefreshToken.id) == token_id, col(RefreshToken.used_at).is_(None))
            .values(used_at=utcnow())
        )
        return bool(result.rowcount == 1)
