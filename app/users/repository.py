"""Queries of the accounts domain."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, insert, inspect, or_, select
from sqlmodel import col

from app.db.direct import Direct, DirectStatement, Row, detached
from app.db.folding import equals_folded, folded
from app.db.repository import Repository, contains_ci
from app.users.models import Profile, User
from app.users.schemas import UserFilters, UserRead

USERS: Table = User.__table__  # type: ignore[attr-defined]
# Every column of a user, in the table's order: the rows the hot reads return.
USER_COLUMNS = tuple(USERS.c)
USER_NAMES = tuple(column.key for column in USER_COLUMNS)
USER_BY_ID = DirectStatement(select(*USER_COLUMNS).where(USERS.c.id == bindparam("id")))


def user_from_row(row: Row) -> User:
    """A `User` from a row of USER_COLUMNS, in no session (app/db/direct.py: `detached`)."""
    return detached(User, USER_NAMES, row)


async def find_user(direct: Direct, user_id: uuid.UUID) -> User | None:
    """A user by id, outside the request's unit of work (one round trip, no ORM session)."""
    row = await direct.first(USER_BY_ID, {"id": user_id})
    return None if row is None else user_from_row(row)


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

    async def get_by_email(self, email: str) -> User | None:
        return await self.get_one_by(col(User.email) == email.lower())  # stored lower-cased

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

    async def insert_many(self, users: Sequence[User], *, chunk: int) -> None:
        """The users and their (empty) profiles, in multi-row INSERTs of `chunk` rows each: a
        few statements, not one per user. The objects are not added to the session."""
        columns = [attribute.key for attribute in inspect(User).column_attrs]
        rows = [{key: getattr(user, key) for key in columns} for user in users]
        profiles = [{"user_id": user.id, "updated_at": user.updated_at} for user in users]
        for table, values in ((User, rows), (Profile, profiles)):
            for start in range(0, len(values), chunk):
                await self.session.execute(insert(table).values(values[start : start + chunk]))

    async def stream_rows(self, batch_size: int) -> AsyncGenerator[Sequence[Any], None]:
        """Every user, newest first, `batch_size` rows at a time from a server-side cursor.

        Only the columns a User response shows (UserRead's fields), as plain rows: no ORM
        identity map grows.
        """
        statement = (
            select(*STREAM_COLUMNS)
            .order_by(*self.order_by())
            .execution_options(yield_per=batch_size)
        )
        result = await self.session.stream(statement)
        async for partition in result.partitions():
            yield partition


STREAM_COLUMNS = tuple(col(getattr(User, name)) for name in UserRead.model_fields)


class ProfileRepository(Repository[Profile]):
    model = Profile

    async def get_for_user(self, user_id: uuid.UUID) -> Profile | None:
        return await self.session.get(Profile, user_id)
