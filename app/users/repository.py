"""Queries of the accounts domain."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import col

from app.db.repository import Repository, contains_ci
from app.users.models import Profile, User
from app.users.schemas import UserFilters


class UserRepository(Repository[User]):
    model = User

    async def get_by_login(self, identifier: str) -> User | None:
        """A user by username or email, in any letter case."""
        if "\x00" in identifier:  # no stored value has one, and PostgreSQL refuses the query
            return None
        folded = identifier.lower()
        return await self.get_one_by(
            or_(func.lower(col(User.username)) == folded, col(User.email) == folded)
        )

    async def username_taken(self, username: str, *, exclude: uuid.UUID | None = None) -> bool:
        where = [func.lower(col(User.username)) == username.lower()]
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


class ProfileRepository(Repository[Profile]):
    model = Profile

    async def get_for_user(self, user_id: uuid.UUID) -> Profile | None:
        return await self.session.get(Profile, user_id)
