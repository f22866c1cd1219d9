"""Queries of personal access tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update
from sqlmodel import col

from app.db.repository import Repository
from app.tokens.models import PersonalToken
from app.users.models import User

# The query of every request made with a personal token, built once.
TOKEN_AND_OWNER = (
    select(PersonalToken, User)
    .join(User, col(PersonalToken.user_id) == col(User.id))
    .where(col(PersonalToken.token_hash) == bindparam("token_hash"))
)


class PersonalTokenRepository(Repository[PersonalToken]):
    model = PersonalToken

    async def find(self, token_hash: str) -> tuple[PersonalToken, User] | None:
        row = (await self.session.execute(TOKEN_AND_OWNER, {"token_hash": token_hash})).first()
        return None if row is None else (row[0], row[1])

    async def for_user(self, user_id: uuid.UUID) -> list[PersonalToken]:
        """The user's tokens, newest first."""
        return await self.all([col(PersonalToken.user_id) == user_id])

    async def delete_for_user(self, token_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        result: Any = await self.session.execute(
            delete(PersonalToken).where(
                col(PersonalToken.id) == token_id, col(PersonalToken.user_id) == user_id
            )
        )
        return bool(result.rowcount == 1)

    async def delete_all_for_user(self, user_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(PersonalToken).where(col(PersonalToken.user_id) == user_id)
        )

    async def touch(self, token_id: uuid.UUID, now: datetime, not_since: datetime) -> None:
        """Set `last_used_at`, unless another request did since `not_since`."""
        await self.session.execute(
            update(PersonalToken)
            .where(
                col(PersonalToken.id) == token_id,
                or_(
                    col(PersonalToken.last_used_at).is_(None),
                    col(PersonalToken.last_used_at) < not_since,
                ),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
