from __future__ import annotations

from fastapi import APIRouter

from app.analytics.dependencies import AnalyticsSessionDep
from app.analytics.schemas import AnalyticsSummary
from app.analytics.service import AnalyticsService
from app.auth.dependencies import SuperUser
from app.core.errors import Forbidden, NotAuthenticated, responses

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get(
    "/summary", response_model=AnalyticsSummary, responses=responses(NotAuthenticated, Forbidden)
)
async def summary(_: SuperUser, session: AnalyticsSessionDep) -> AnalyticsSummary:
    """Counts of users and posts, and signups per UTC day over the last 30 days (oldest
    first, today included, zero days included), from the read-only analytics database."""
    return await AnalyticsService(session).summary()
