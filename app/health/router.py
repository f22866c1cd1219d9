"""`/`, liveness (`/health`) and readiness (`/health/ready`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from app.core.state import AppState, StateDep

logger = logging.getLogger("app.health")

CHECK_TIMEOUT_SECONDS = 3.0

router = APIRouter(tags=["service"])

CheckResult = Literal["ok", "error", "disabled"]


class Welcome(BaseModel):
    message: str


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, CheckResult]
    detail: str | None = None


@router.get("/", response_model=Welcome)
async def root() -> Welcome:
    return Welcome(message="Welcome to the API")


@router.get("/health", response_model=Liveness)
async def health() -> Liveness:
    """Liveness: the process answers. Touches nothing else."""
    return Liveness(status="ok")


async def _check_database(state: AppState) -> CheckResult:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            async with state.db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        logger.warning("readiness: database check failed: %r", exc)
        return "error"


async def _check_redis(state: AppState) -> CheckResult:
    redis = state.redis
    if redis is None:
        return "disabled"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await redis.ping()
        return "ok"
    except Exception as exc:
        logger.warning("readiness: redis check failed: %r", exc)
        return "error"


@router.get(
    "/health/ready",
    response_model=Readiness,
    response_model_exclude_none=True,
    responses={503: {"model": Readiness, "description": "A dependency is down"}},
)
async def ready(state: StateDep) -> Any:
    """Readiness: the database and (if configured) Redis answer."""
    database, redis = await asyncio.gather(_check_database(state), _check_redis(state))
    checks: dict[str, CheckResult] = {"database": database, "redis": redis}
    failing = [name for name, result in checks.items() if result == "error"]
    if failing:
        body = Readiness(
            status="unavailable", detail=f"unavailable: {', '.join(failing)}", checks=checks
        )
        return JSONResponse(body.model_dump(), status_code=503)
    return Readiness(status="ok", checks=checks)
