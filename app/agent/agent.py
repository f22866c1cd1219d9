"""The PydanticAI agent: typed dependencies, four read-only tools, a structured result.

Importing this module needs the optional extra `agent` (pydantic-ai-slim); the rest of the
app only imports it when a question is asked. The agent is built once; the model is chosen
per run (AGENT_MODEL, or a test's FunctionModel), and a model built from a string is built
once per string.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache

from pydantic_ai import Agent, RunContext
from pydantic_ai.models import Model, infer_model
from pydantic_ai.usage import UsageLimits

from app.agent.schemas import AgentAnswer, PostDetail, PostHit, TeamRoster, UserActivity
from app.agent.service import AgentReader

# A run that keeps calling tools is cut off (and answered with 502) rather than left to loop.
USAGE_LIMITS = UsageLimits(request_limit=10, tool_calls_limit=25)

INSTRUCTIONS = """\
You answer questions about the content of Agora, a service of users, posts, teams and heroes.
Use the tools to look things up; answer only from what they return, and say so when they
return nothing useful. Put the ids of the posts your answer relies on in `post_ids` (ids that
a tool returned, nothing else). Keep answers short and factual."""


@dataclass
class AgentDeps:
    """What one run may use: `reader`, which makes every read as the caller (with the
    request's session); tools use nothing else."""

    reader: AgentReader


# The tools share the request's session, which allows one statement at a time: each tool is
# `sequential`, so PydanticAI never runs two of them at once even when the model asks for
# several in one response.


async def search_posts(ctx: RunContext[AgentDeps], query: str, limit: int = 10) -> list[PostHit]:
    """Search the posts you may read by a word or phrase in their title or content.

    Args:
        query: text to look for (case-insensitive substring); empty lists the newest posts
        limit: how many posts to return, 1 to 20
    """
    return await ctx.deps.reader.search_posts(query, limit)


async def get_post(ctx: RunContext[AgentDeps], post_id: str) -> PostDetail | str:
    """Fetch one post, with its text, by id.

    Args:
        post_id: the post's id (a UUID), as returned by search_posts or user_activity
    """
    try:
        parsed = uuid.UUID(post_id)
    except ValueError:
        return f"{post_id!r} is not a post id; post ids are UUIDs."
    post = await ctx.deps.reader.get_post(parsed)
    return post if post is not None else f"No post with id {post_id} is visible to you."


async def user_activity(ctx: RunContext[AgentDeps], username: str) -> UserActivity | str:
    """Summarise a user's activity: who they are, how many posts, their latest posts.

    Args:
        username: the user's username or email address (any letter case)
    """
    activity = await ctx.deps.reader.user_activity(username)
    return activity if activity is not None else f"There is no user {username!r}."


async def team_heroes(ctx: RunContext[AgentDeps], team_name: str) -> TeamRoster | str:
    """List a team's heroes (name and age) and its headquarters.

    Args:
        team_name: the team's name (any letter case; part of it works when only one team matches)
    """
    found = await ctx.deps.reader.team_roster(team_name)
    if isinstance(found, TeamRoster):
        return found
    if not found:
        return f"There is no team named {team_name!r}."
    return f"Several teams match {team_name!r}: {', '.join(found)}. Ask for one of them."


@cache
def get_agent() -> Agent[AgentDeps, AgentAnswer]:
    agent: Agent[AgentDeps, AgentAnswer] = Agent(
        None,
        deps_type=AgentDeps,
        output_type=AgentAnswer,
        instructions=INSTRUCTIONS,
        name="agora",
    )
    for tool in (search_posts, get_post, user_activity, team_heroes):
        agent.tool(sequential=True)(tool)
    return agent


@cache
def model_for(name: str) -> Model:
    """The model an AGENT_MODEL string names (built once per string; its provider reads
    its credentials from its usual environment variable, e.g. OPENAI_API_KEY)."""
    return infer_model(name)


async def run_agent(question: str, deps: AgentDeps, model: Model | str) -> AgentAnswer:
    result = await get_agent().run(question, deps=deps, model=model, usage_limits=USAGE_LIMITS)
    return result.output
