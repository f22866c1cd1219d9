"""A scripted PydanticAI model for the agent tests: it calls the real tools through the real
route and records every message the agent sent it (what the model got to see)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_core import to_jsonable_python

from app.agent.dependencies import get_agent_model
from app.core.config import Settings
from app.core.dependencies import get_app_settings

URL = "/api/v1/agent/ask"

ToolCalls = list[tuple[str, dict[str, Any]]]


@dataclass
class Final:
    """The model's last response: the structured result (post_ids may be computed from what
    the tools returned)."""

    answer: str
    post_ids: list[str] | Callable[[Script], list[str]] = field(default_factory=list)


@dataclass
class Script:
    """Responds with one step per model request: tool calls, then a `Final`."""

    steps: list[ToolCalls | Final]
    requests: list[list[ModelMessage]] = field(default_factory=list)

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.requests.append(list(messages))
        step = self.steps.pop(0)
        if isinstance(step, Final):
            ids = step.post_ids(self) if callable(step.post_ids) else step.post_ids
            args = {"answer": step.answer, "post_ids": ids}
            return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, args)])
        return ModelResponse(parts=[ToolCallPart(name, args) for name, args in step])

    @property
    def model(self) -> FunctionModel:
        return FunctionModel(self)

    def returns(self, tool: str) -> list[Any]:
        """What the tool `tool` returned to the model, in call order (as JSON-able data)."""
        found = []
        for message in self.requests[-1]:
            if isinstance(message, ModelRequest):
                for part in message.parts:
                    if isinstance(part, ToolReturnPart) and part.tool_name == tool:
                        found.append(to_jsonable_python(part.content))
        return found

    def transcript(self) -> str:
        """Everything the model was sent, over all requests, as JSON text."""
        return "\n".join(
            ModelMessagesTypeAdapter.dump_json(messages).decode() for messages in self.requests
        )


@pytest.fixture
def use_model(app: FastAPI) -> Callable[[Any], None]:
    """Make the route run on `model` (the override is cleared by the client fixture)."""

    def use(model: Any) -> None:
        app.dependency_overrides[get_agent_model] = lambda: model

    return use


@pytest.fixture
def with_settings(app: FastAPI, settings: Settings) -> Iterator[Callable[..., None]]:
    """Run the app's routes with some settings changed (for this test only)."""

    def change(**updates: Any) -> None:
        changed = settings.model_copy(update=updates)
        app.dependency_overrides[get_app_settings] = lambda: changed

    yield change
    app.dependency_overrides.pop(get_app_settings, None)
