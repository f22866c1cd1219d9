"""The analytics summary, read through the read-only analytics engine."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.repository import AnalyticsRepository
from app.analytics.schemas import AnalyticsSummary, DayCount

SIGNUP_DAYS = 30


def last_days(today: dt.date, days: int = SIGNUP_DAYS) -> list[dt.date]:
    """`days` UTC days ending with `today`, oldest first."""
    return [today - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]


class AnalyticsService:
    def __init__(self, session: AsyncSession) -> None:
        self.repository = AnalyticsRepository(session)

    async def summary(self, now: dt.datetime | None = None) -> AnalyticsSummary:
        now = now or dt.datetime.now(dt.UTC)
        days = last_days(now.astimezone(dt.UTC).date())
        since = dt.datetime.combine(days[0], dt.time.min, tzinfo=dt.UTC)
        total_users, active_users = await self.repository.user_counts()
        total_posts, published_posts = await self.repository.post_counts()
        signups = await self.repository.signups_per_day(since)
        return AnalyticsSummary(
            total_users=total_users,
            active_users=active_users,
            total_posts=total_posts,
            published_posts=published_posts,
            signups_by_day=[DayCount(date=day, count=signups.get(day, 0)) for day in days],
        )
