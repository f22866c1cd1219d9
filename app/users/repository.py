"""Queries of the accounts domain."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, insert, or_, select
from sqlmodel import col

from app.db.folding import equals_folded, folded
from app.db.repository import Repository, contains_ci
from app.users.models import Profile, User
from app.users.schemas import UserFilters


class UserRepository(Repository[User]):
    model = User

    async def get_by_login(self, identifier: str) -> User | None:
        """A user by username or email, in any letter case."""
        if "\x00" in identifier:  # no stored value has one, and PostgreSQL refuses the query
            return None
        return await self.get_one_by(
            or_(
                equals_folded(User.username, identifier),
                col(User.email) == identifier.lower(),  # stored lower-cased
            )
        )

    async def username_taken(self, username: str, *, exclude: uuid.UUID | None = None) -> bool:
        where = [equals_folded(User.username, username)]
        if exclude is not None:
            where.append(col(User.id) != exclude)
        return await self.get_one_by(*where) is not None

    async def email_taken(self, email: str, *, exclude: uuid.UUID | None = None) -> bool:
        where = [col(User.email) == email.lower()]
        if exclude is not None:
            where.append(col(User.id) != exclude)
        return await self.get_one_by(*where) is not None

    @staticmethod
    def filters(filters: UserFilters) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if filters.username:
            where.append(contains_ci(User.username, filters.username))
        if filters.email:
            where.append(col(User.email) == filters.email.lower())
        if filters.is_active is not None:
            where.append(col(User.is_active) == filters.is_active)
        return where

    # --- bulk reads and writes -------------------------------------------------------------

    async def taken_logins(
        self, usernames: Collection[str], emails: Collection[str]
    ) -> tuple[set[str], set[str]]:
        """Which of these usernames (case-folded: `fold_case`) and emails the table already
        holds."""
        if not usernames and not emails:
            return set(), set()
        username = folded(User.username)
        statement = select(username, col(User.email)).where(
            or_(username.in_(list(usernames)), col(User.email).in_(list(emails)))
        )
        rows = (await self.session.execute(statement)).all()
        return {row[0] for row in rows}, {row[1] for row in rows}

    async def insert_many(
        self, users: Sequence[dict[str, Any]], profiles: Sequence[dict[str, Any]], *, chunk: int
    ) -> None:
        """Multi-row INSERTs of `chunk` rows each: a few statements, not one per user."""
        for start in range(0, len(users), chunk):
            await self.session.execute(insert(User).values(list(users[start : start + chunk])))
        for start in range(0, len(profiles), chunk):
            await self.session.execute(
                insert(Profile).values(list(profiles[start : start + chunk]))
            )

    async def stream_rows(self, batch_size: int) -> AsyncIterator[Sequence[Any]]:
        """Every user, newest first, `batch_size` rows at a time from a server-side cursor.

        Only the columns a User response shows, as plain rows: no ORM identity map grows.
        """
        statement = (
            select(*STREAM_COLUMNS)
            .order_by(*self.order_by())
            .execution_options(yield_per=batch_size)
        )
        result = await self.session.stream(statement)
        async for partition in result.partitions():
            yield partition


STREAM_COLUMNS = (
    col(User.id),
    col(User.username),
    col(User.email),
    col(User.full_name),
    col(User.is_active),
    col(User.is_superuser),
    col(User.permissions),
    col(User.created_at),
    col(User.updated_at),
)


class ProfileRepository(Repository[Profile]):
    model = Profile

    async def get_for_user(self, user_id: uuid.UUID) -> Profile | None:
        return await self.session.get(Profile, user_id)
