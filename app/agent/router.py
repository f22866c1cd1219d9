from __future__ import annotations

from fastapi import APIRouter

from app.agent.dependencies import AgentModelDep
from app.agent.schemas import AgentAnswer, Question
from app.agent.service import AgentService
from app.auth.dependencies import CurrentUser
from app.core.dependencies import SettingsDep
from app.core.errors import (
    AgentError,
    AgentTimeout,
    AgentUnavailable,
    NotAuthenticated,
    responses,
)
from app.core.state import StateDep
from app.db.session import SessionDep

router = APIRouter(prefix="/agent", tags=["agent"])


@router.post(
    "/ask",
    response_model=AgentAnswer,
    responses=responses(NotAuthenticated, AgentError, AgentUnavailable, AgentTimeout),
)
async def ask(
    data: Question,
    me: CurrentUser,
    model: AgentModelDep,
    session: SessionDep,
    settings: SettingsDep,
    state: StateDep,
) -> AgentAnswer:
    """Answer a question about the service's content, from what the caller may see.

    `post_ids` names the posts the answer draws on. 503 when no model is configured (or the
    extra `agent` is not installed), 502 when the model fails, 504 past AGENT_TIMEOUT_SECONDS.
    """
    service = AgentService(session, state.db.direct, me)
    return await service.ask(data.question, model, time_limit=settings.AGENT_TIMEOUT_SECONDS)
