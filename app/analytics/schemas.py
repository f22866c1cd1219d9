"""Output shapes of the analytics domain (docs/api.md, section Analytics)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


class DayCount(BaseModel):
    date: dt.date
    count: int


class AnalyticsSummary(BaseModel):
    total_users: int
    active_users: int
    total_posts: int
    published_posts: int
    signups_by_day: list[DayCount]
