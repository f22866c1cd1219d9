"""What the agent may read, and one answer from start to finish.

`AgentReader` is the agent's whole view of the service: every read goes through the domain
services and repositories with the caller as viewer, so the model is shown exactly what
GET /posts and friends would show the caller (never someone else's draft, never a password
hash, an email address or a hero's secret name). `AgentService.ask` runs the agent within
AGENT_TIMEOUT_SECONDS and turns model failures into 502 and time-outs into 504.

PydanticAI is an optional extra: it is imported only when a question is asked.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.agent.schemas import (
    CONTENT_LENGTH,
    EXCERPT_LENGTH,
    AgentAnswer,
    HeroEntry,
    PostDetail,
    PostHit,
    TeamRoster,
    UserActivity,
)
from app.core.errors import AgentError, AgentTimeout, NotFound
from app.core.pagination import PageParams
from app.db.direct import Direct
from app.db.folding import fold_case
from app.posts.schemas import PostFilters, PostRead
from app.posts.service import PostFeedService, PostService
from app.teams.schemas import TeamFilters
from app.teams.service import TeamService
from app.users.models import User
from app.users.repository import UserRepository

logger = logging.getLogger("app.agent")

MAX_SEARCH_RESULTS = 20
LATEST_POSTS = 5
MAX_TEAM_CANDIDATES = 10
MAX_ANSWER_POST_IDS = 20


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _hit(post: PostRead) -> PostHit:
    return PostHit(
        id=post.id,
        title=post.title,
        author=post.author.username,
        is_published=post.is_published,
        created_at=post.created_at,
        excerpt=_cut(post.content, EXCERPT_LENGTH),
    )


class AgentReader:
    """The reads behind the agent's tools, made as `caller`."""

    def __init__(self, session: AsyncSession, direct: Direct, caller: User) -> None:
        self.caller = caller
        self.posts = PostService(session)
        self.feed = PostFeedService(direct)
        self.teams = TeamService(session)
        self.users = UserRepository(session)

    async def search_posts(self, query: str, limit: int = 10) -> list[PostHit]:
        """Posts whose title or content contains `query` (any case), newest first."""
        page = PageParams(skip=0, limit=max(1, min(limit, MAX_SEARCH_RESULTS)))
        found = await self.feed.list_posts(page, PostFilters(q=query or None), self.caller)
        return [_hit(post) for post in found.items]

    async def get_post(self, post_id: uuid.UUID) -> PostDetail | None:
        """The post if the caller may see it (as GET /posts/{id}), else None."""
        try:
            post = PostRead.model_validate(await self.posts.get_visible(post_id, self.caller))
        except NotFound:
            return None
        return PostDetail(
            id=post.id,
            title=post.title,
            author=post.author.username,
            is_published=post.is_published,
            created_at=post.created_at,
            content=_cut(post.content, CONTENT_LENGTH),
        )

    async def user_activity(self, login: str) -> UserActivity | None:
        """A user (by username or email, any case) and the posts of theirs the caller sees."""
        user = await self.users.get_by_login(login)
        if user is None:
            return None
        latest = await self.feed.list_posts(
            PageParams(skip=0, limit=LATEST_POSTS), PostFilters(author_id=user.id), self.caller
        )
        published = await self.feed.list_posts(
            PageParams(skip=0, limit=1),
            PostFilters(author_id=user.id, is_published=True),
            self.caller,
        )
        return UserActivity(
            username=user.username,
            full_name=user.full_name,
            member_since=user.created_at,
            visible_posts=latest.total,
            published_posts=published.total,
            drafts=latest.total - published.total,
            latest_posts=[_hit(post) for post in latest.items],
        )

    async def team_roster(self, name: str) -> TeamRoster | list[str]:
        """The team named `name` (any case) with its heroes; when no team has exactly that
        name, the names of the teams that contain it (possibly none)."""
        candidates = await self.teams.list_teams(
            PageParams(skip=0, limit=MAX_TEAM_CANDIDATES), TeamFilters(name=name)
        )
        exact = [team for team in candidates.items if fold_case(team.name) == fold_case(name)]
        if exact:
            chosen = exact[0]
        elif len(candidates.items) == 1:
            chosen = candidates.items[0]
        else:
            return [team.name for team in candidates.items]
        team = await self.teams.get_with_heroes(chosen.id)
        return TeamRoster(
            id=team.id,
            name=team.name,
            headquarters=team.headquarters,
            heroes=[HeroEntry(name=hero.name, age=hero.age) for hero in team.heroes],
        )

    async def visible_post_ids(self, post_ids: list[uuid.UUID]) -> list[uuid.UUID]:
        """The ids (first occurrence, in order) that name posts the caller may see: a model
        cannot cite a post that does not exist or that the caller may not read."""
        kept: list[uuid.UUID] = []
        for post_id in dict.fromkeys(post_ids):
            if len(kept) == MAX_ANSWER_POST_IDS:
                break
            try:
                await self.posts.get_visible(post_id, self.caller)
            except NotFound:
                continue
            kept.append(post_id)
        return kept


class AgentService:
    def __init__(self, session: AsyncSession, direct: Direct, caller: User) -> None:
        self.session = session
        self.direct = direct
        self.caller = caller

    async def ask(self, question: str, model: Any, *, time_limit: float) -> AgentAnswer:
        """Answer `question` with `model` (a PydanticAI model), within `time_limit` seconds."""
        from pydantic_ai.exceptions import AgentRunError, ModelHTTPError, UserError

        from app.agent.agent import AgentDeps, run_agent

        reader = AgentReader(self.session, self.direct, self.caller)
        deadline = asyncio.timeout(time_limit)
        try:
            async with deadline:
                output = await run_agent(question, AgentDeps(reader), model)
        except TimeoutError as exc:
            if not deadline.expired():
                raise  # not ours: a database time-out, say, which has its own handler
            logger.warning("agent timed out after %s s", time_limit)
            raise AgentTimeout(f"The agent did not answer within {time_limit:g} seconds") from exc
        except ModelHTTPError as exc:
            logger.warning("agent model failed: %s", exc)
            raise AgentError(
                f"The model provider answered with HTTP {exc.status_code}; try again later"
            ) from exc
        except (AgentRunError, UserError) as exc:
            logger.warning("agent run failed: %r", exc)
            raise AgentError(f"The model failed to answer ({type(exc).__name__})") from exc
        return AgentAnswer(
            answer=output.answer, post_ids=await reader.visible_post_ids(output.post_ids)
        )
