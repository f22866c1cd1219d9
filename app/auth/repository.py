"""Queries of logins (auth sessions) and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import col

from app.auth.models import AuthSession, RefreshToken
from app.db.base import utcnow
from app.db.direct import Direct, DirectStatement
from app.db.repository import Repository
from app.users.models import User
from app.users.repository import USER_COLUMNS, USERS, user_from_row

# The query of every authenticated request: the user, if the token's login is not revoked.
ACTIVE_USER = DirectStatement(
    select(*USER_COLUMNS)
    .join(AuthSession, col(AuthSession.user_id) == USERS.c.id)
    .where(
        USERS.c.id == bindparam("user_id"),
        col(AuthSession.id) == bindparam("session_id"),
        col(AuthSession.revoked_at).is_(None),
    )
)


async def find_active_user(
    direct: Direct, user_id: uuid.UUID, session_id: uuid.UUID
) -> User | None:
    """The user behind an access token, if that token's login is still valid: one round trip,
    outside the request's unit of work (a `User` in no session, app/db/direct.py)."""
    row = await direct.first(ACTIVE_USER, {"user_id": user_id, "session_id": session_id})
    return None if row is None else user_from_row(row)


class AuthSessionRepository(Repository[AuthSession]):
    model = AuthSession

    async def live_of_user(self, user_id: uuid.UUID, used_since: datetime) -> list[AuthSession]:
        """The user's logins not revoked and used (created or refreshed) since `used_since`,
        newest first."""
        statement = (
            select(AuthSession)
            .where(
                col(AuthSession.user_id) == user_id,
                col(AuthSession.revoked_at).is_(None),
                col(AuthSession.last_used_at) > used_since,
            )
            .order_by(*self.order_by())
        )
        return list((await self.session.scalars(statement)).all())

    async def touch(self, session_id: uuid.UUID) -> None:
        await self.session.execute(
            update(AuthSession)
            .where(col(AuthSession.id) == session_id)
            .values(last_used_at=utcnow())
        )

    async def revoke(self, session_id: uuid.UUID, *, user_id: uuid.UUID | None = None) -> bool:
        """End a login (only if it is `user_id`'s, when given). False if none was ended."""
        where = [col(AuthSession.id) == session_id, col(AuthSession.revoked_at).is_(None)]
        if user_id is not None:
            where.append(col(AuthSession.user_id) == user_id)
        result: Any = await self.session.execute(
            update(AuthSession).where(*where).values(revoked_at=utcnow())
        )
        return bool(result.rowcount == 1)

    async def revoke_all_for_user(
        self,
        user_id: uuid.UUID,
        *,
        keep: uuid.UUID | None = None,
        used_since: datetime | None = None,
    ) -> int:
        """End every login of the user (but `keep`; only those used since `used_since`,
        when given); how many were ended."""
        where = [col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None)]
        if keep is not None:
            where.append(col(AuthSession.id) != keep)
        if used_since is not None:
            where.append(col(AuthSession.last_used_at) > used_since)
        result: Any = await self.session.execute(
            update(AuthSession).where(*where).values(revoked_at=utcnow())
        )
        return int(result.rowcount)


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
