"""POST /api/v1/agent/ask: access, input bounds, and the 503/502/504 paths."""

from __future__ import annotations

import asyncio
import sys

from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from app.agent.agent import get_agent, model_for
from tests.agent.conftest import URL, Final, Script
from tests.assertions import assert_invalid


async def test_anonymous_callers_get_401(client, use_model) -> None:
    use_model(Script([Final("never")]).model)

    response = await client.post(URL, json={"question": "hi"})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_an_empty_question_is_422(client, user_headers, use_model) -> None:
    use_model(Script([Final("never")]).model)

    response = await client.post(URL, json={"question": ""}, headers=user_headers)

    assert_invalid(response, "question")


async def test_a_question_of_2001_characters_is_422(client, user_headers, use_model) -> None:
    use_model(Script([Final("never")]).model)

    response = await client.post(URL, json={"question": "x" * 2001}, headers=user_headers)

    assert_invalid(response, "question")


async def test_a_question_of_2000_characters_is_answered(client, user_headers, use_model) -> None:
    use_model(Script([Final("Long question.")]).model)

    response = await client.post(URL, json={"question": "x" * 2000}, headers=user_headers)

    assert response.status_code == 200


async def test_unknown_fields_are_422(client, user_headers, use_model) -> None:
    use_model(Script([Final("never")]).model)

    response = await client.post(URL, json={"question": "hi", "model": "x"}, headers=user_headers)

    assert_invalid(response, "model")


async def test_without_agent_model_the_answer_is_503_agent_unavailable(
    client, user_headers, with_settings
) -> None:
    with_settings(AGENT_MODEL=None)

    response = await client.post(URL, json={"question": "hi"}, headers=user_headers)

    assert response.status_code == 503
    assert response.json()["code"] == "agent_unavailable"
    assert "AGENT_MODEL" in response.json()["detail"]


async def test_without_agent_model_the_rest_of_the_api_works(
    client, user_headers, with_settings
) -> None:
    with_settings(AGENT_MODEL=None)

    response = await client.get("/api/v1/posts", headers=user_headers)

    assert response.status_code == 200


async def test_an_unknown_model_string_is_503_naming_it(
    client, user_headers, with_settings
) -> None:
    with_settings(AGENT_MODEL="nowhere:no-model")

    response = await client.post(URL, json={"question": "hi"}, headers=user_headers)

    assert response.status_code == 503
    assert response.json()["code"] == "agent_unavailable"
    assert "nowhere:no-model" in response.json()["detail"]


async def test_without_the_agent_extra_the_answer_is_503_naming_the_extra(
    client, user_headers, with_settings, monkeypatch
) -> None:
    with_settings(AGENT_MODEL="test")
    monkeypatch.setitem(sys.modules, "pydantic_ai", None)  # `import pydantic_ai` now fails
    monkeypatch.delitem(sys.modules, "app.agent.agent")

    response = await client.post(URL, json={"question": "hi"}, headers=user_headers)

    assert response.status_code == 503
    assert response.json()["code"] == "agent_unavailable"
    assert "extra 'agent'" in response.json()["detail"]


async def test_a_model_string_from_settings_runs_the_real_agent(
    client, user, user_headers, post_factory, with_settings
) -> None:
    await post_factory(user, "Anything")
    with_settings(AGENT_MODEL="test")  # PydanticAI's TestModel: calls every tool once

    response = await client.post(URL, json={"question": "hi"}, headers=user_headers)

    assert response.status_code == 200
    assert set(response.json()) == {"answer", "post_ids"}


def test_the_agent_is_built_once_and_a_model_once_per_string() -> None:
    assert get_agent() is get_agent()
    assert model_for("test") is model_for("test")


def _failing(exc: Exception) -> FunctionModel:
    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise exc

    return FunctionModel(respond)


async def test_a_provider_http_error_is_502_agent_error(client, user_headers, use_model) -> None:
    use_model(_failing(ModelHTTPError(500, "gpt-x", body={"error": "secret internals"})))

    response = await client.post(URL, json={"question": "hi"}, headers=user_headers)

    assert response.status_code == 502
    assert response.json() == {
        "detail": "The model provider answered with HTTP 500; try again later",
        "code": "agent_error",
    }


async def test_a_model_that_never_gives_a_result_is_502_without_a_traceback(
    client, user_headers, use_model
) -> None:
    def chatter(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[TextPart("I refuse to use the output tool.")])

    use_model(FunctionModel(chatter))

    response = await client.post(URL, json={"question": "hi"}, headers=user_headers)

    assert response.status_code == 502
    body = response.json()
    assert body["code"] == "agent_error"
    assert "Traceback" not in body["detail"]
    assert "UnexpectedModelBehavior" in body["detail"]


async def test_a_model_slower_than_the_time_limit_is_504_agent_timeout(
    client, user_headers, use_model, with_settings
) -> None:
    async def slow(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await asyncio.sleep(10)
        raise AssertionError("not reached")

    use_model(FunctionModel(slow))
    with_settings(AGENT_TIMEOUT_SECONDS=0.2)

    response = await asyncio.wait_for(
        client.post(URL, json={"question": "hi"}, headers=user_headers), timeout=5
    )

    assert response.status_code == 504
    assert response.json() == {
        "detail": "The agent did not answer within 0.2 seconds",
        "code": "agent_timeout",
    }
