"""Queries of link tokens."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import col

from app.accounts.models import LinkPurpose, LinkToken
from app.db.base import utcnow
from app.db.repository import Repository
from app.users.models import User


class LinkTokenRepository(Repository[LinkToken]):
    model = LinkToken

    async def find(self, token_hash: str, purpose: LinkPurpose) -> tuple[LinkToken, User] | None:
        """The token with this digest and purpose, and its user (used or not, expired or not)."""
        statement = (
            select(LinkToken, User)
            .join(User, col(LinkToken.user_id) == col(User.id))
            .where(col(LinkToken.token_hash) == token_hash, col(LinkToken.purpose) == purpose)
        )
        row = (await self.session.execute(statement)).first()
        return None if row is None else (row[0], row[1])

    async def consume(self, token_id: uuid.UUID) -> bool:
        """Use the token up; False if it already was (a concurrent request won)."""
        result: Any = await self.session.execute(
            update(LinkToken)
            .where(col(LinkToken.id) == token_id, col(LinkToken.used_at).is_(None))
            .values(used_at=utcnow())
        )
        return bool(result.rowcount == 1)

    async def delete_for(self, user_id: uuid.UUID, purpose: LinkPurpose) -> None:
        """End the user's links of this purpose (a new one supersedes them): their rows go,
        used and expired ones too, so the table holds at most a link or two per user."""
        await self.session.execute(
            delete(LinkToken).where(
                col(LinkToken.user_id) == user_id, col(LinkToken.purpose) == purpose
            )
        )
