from __future__ import annotations

from fastapi import APIRouter

from app.analytics.dependencies import AnalyticsSessionDep, analytics_lifespan
from app.analytics.schemas import AnalyticsSummary
from app.analytics.service import AnalyticsService
from app.auth.dependencies import SuperUser
from app.core.errors import Forbidden, NotAuthenticated, responses

# The router's lifespan is merged into the application's: it disposes of the analytics engine.
router = APIRouter(prefix="/analytics", tags=["analytics"], lifespan=analytics_lifespan)


@router.get(
    "/summary", response_model=AnalyticsSummary, responses=responses(NotAuthenticated, Forbidden)
)
async def summary(_: SuperUser, session: AnalyticsSessionDep) -> AnalyticsSummary:
    """Counts of users and posts, and signups per UTC day over the last 30 days (oldest
    first, today included, zero days included), from the read-only analytics database."""
    return await AnalyticsService(session).summary()
