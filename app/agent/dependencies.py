"""`get_agent_model`: the model the agent runs on, or 503 `agent_unavailable`.

Tests replace it (app.dependency_overrides) with a PydanticAI FunctionModel or TestModel; the
route and the tools stay the real ones.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Depends

from app.core.dependencies import SettingsDep
from app.core.errors import AgentUnavailable

logger = logging.getLogger("app.agent")

EXTRA_MISSING = (
    "The agent is not installed: install the optional extra 'agent' "
    "(uv sync --extra agent, or pip install 'agora[agent]')"
)
NO_MODEL = (
    "No model is configured: set AGENT_MODEL to a PydanticAI model string "
    "(e.g. openai:gpt-4o) and the provider's API key"
)


async def get_agent_model(settings: SettingsDep) -> Any:
    """The configured PydanticAI model (a `pydantic_ai.models.Model`)."""
    try:
        from pydantic_ai.exceptions import UserError

        from app.agent.agent import model_for
    except ImportError as exc:
        logger.info("agent unavailable: %s", exc)
        raise AgentUnavailable(EXTRA_MISSING) from None
    if not settings.AGENT_MODEL:
        raise AgentUnavailable(NO_MODEL)
    try:
        return model_for(settings.AGENT_MODEL)
    except ImportError as exc:
        # The provider's SDK is a further extra of pydantic-ai-slim, e.g. [openai].
        raise AgentUnavailable(
            f"AGENT_MODEL {settings.AGENT_MODEL!r} cannot be used: {exc}"
        ) from None
    except (UserError, ValueError) as exc:  # an unknown model or provider, a missing API key
        raise AgentUnavailable(
            f"AGENT_MODEL {settings.AGENT_MODEL!r} cannot be used: {exc}"
        ) from None


AgentModelDep = Annotated[Any, Depends(get_agent_model)]
