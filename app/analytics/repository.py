"""Aggregate queries of the analytics domain: the database counts, no rows are loaded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col

from app.posts.models import Post
from app.users.models import User


class utc_date(FunctionElement[dt.date]):  # named like the SQL function it is
    """The UTC calendar day of a timestamp column, on every backend.

    PostgreSQL keeps `timestamptz`, whose day depends on the session's time zone: convert to
    UTC first. SQLite stores naive UTC text, whose first ten characters are the day.
    """

    type = Date()
    inherit_cache = True


@compiles(utc_date)
def _utc_date_default(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(utc_date, "postgresql")
def _utc_date_postgresql(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(utc_date, "sqlite")
def _utc_date_sqlite(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


class AnalyticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user_counts(self) -> tuple[int, int]:
        """(all users, active users) in one query."""
        statement = select(func.count(), func.count(case((col(User.is_active), 1))))
        total, active = (await self.session.execute(statement.select_from(User))).one()
        return int(total), int(active)

    async def post_counts(self) -> tuple[int, int]:
        """(all posts, published posts) in one query."""
        statement = select(func.count(), func.count(case((col(Post.is_published), 1))))
        total, published = (await self.session.execute(statement.select_from(Post))).one()
        return int(total), int(published)

    async def signups_per_day(self, since: dt.datetime) -> dict[dt.date, int]:
        """New users per UTC day from `since` on, for the days that had any (one GROUP BY)."""
        day = utc_date(col(User.created_at)).label("day")
        statement = select(day, func.count()).where(col(User.created_at) >= since).group_by(day)
        rows = (await self.session.execute(statement)).all()
        return {_as_date(row[0]): int(row[1]) for row in rows}
