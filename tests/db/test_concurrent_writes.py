"""Writers racing on one resource (docs/api.md, Conventions): each gets an answer of the
contract, 200/204 or 404 for the one that lost to a delete, never a 5xx.

Each round creates a resource and fires its PATCH and its DELETE (or two DELETEs) at once;
on PostgreSQL the two requests run in two transactions of their own, on SQLite they
interleave between statements. Which one wins changes from round to round; what is checked is
that every answer is one the contract allows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.orm.exc import StaleDataError

from app.core.state import AppState
from app.teams.models import Team
from app.teams.repository import TeamRepository
from app.users.models import User
from tests.assertions import assert_error
from tests.conftest import HeadersFor, UserFactory

ROUNDS = 20


@dataclass
class Target:
    """One resource of a kind, and who may change and delete it."""

    url: str
    headers: dict[str, str]
    patch: dict[str, Any]


Arrange = Callable[[int], Awaitable[Target]]


@pytest.fixture(params=["team", "hero", "post", "user"])
async def arrange(
    request: pytest.FixtureRequest,
    client: httpx.AsyncClient,
    user_factory: UserFactory,
    headers_for: HeadersFor,
    team_factory: Callable[..., Awaitable[Any]],
    hero_factory: Callable[..., Awaitable[Any]],
    post_factory: Callable[..., Awaitable[Any]],
) -> Arrange:
    """Makes the `round`th resource of the parametrized kind."""
    kind: str = request.param
    owner = await user_factory("owner", permissions=["teams:delete", "heroes:delete"])
    root = await user_factory("root", is_superuser=True)
    owner_headers = await headers_for(owner)
    root_headers = await headers_for(root)

    async def make(round_: int) -> Target:
        if kind == "team":
            team = await team_factory(f"team{round_}")
            return Target(f"/api/v1/teams/{team.id}", owner_headers, {"headquarters": "Moon"})
        if kind == "hero":
            hero = await hero_factory(f"hero{round_}", age=30)
            return Target(f"/api/v1/heroes/{hero.id}", owner_headers, {"age": 31})
        if kind == "post":
            post = await post_factory(owner, f"post{round_}")
            return Target(f"/api/v1/posts/{post.id}", owner_headers, {"title": "Edited"})
        victim = await user_factory(f"victim{round_}")
        return Target(f"/api/v1/users/{victim.id}", root_headers, {"full_name": "Renamed"})

    return make


async def race(client: httpx.AsyncClient, *requests: tuple[str, Target]) -> list[httpx.Response]:
    """Send the requests at the same moment; each is (method, target)."""

    def send(method: str, target: Target) -> Awaitable[httpx.Response]:
        if method == "PATCH":
            return client.patch(target.url, json=target.patch, headers=target.headers)
        return client.delete(target.url, headers=target.headers)

    return list(await asyncio.gather(*(send(method, target) for method, target in requests)))


async def test_a_patch_racing_a_delete_gets_200_or_404_and_the_delete_204(
    client: httpx.AsyncClient, arrange: Arrange
) -> None:
    for round_ in range(ROUNDS):
        target = await arrange(round_)
        # Alternate which request starts first, so that each gets to win some rounds.
        order = [("PATCH", target), ("DELETE", target)]
        if round_ % 2:
            order.reverse()
        responses = dict(zip([m for m, _ in order], await race(client, *order), strict=True))
        patched, deleted = responses["PATCH"], responses["DELETE"]
        assert deleted.status_code == 204, deleted.text
        if patched.status_code != 200:
            assert_error(patched, 404, "not_found")
        assert (await client.get(target.url, headers=target.headers)).status_code == 404


async def test_two_deletes_racing_give_one_204_and_one_404(
    client: httpx.AsyncClient, arrange: Arrange
) -> None:
    for round_ in range(ROUNDS):
        target = await arrange(round_)
        responses = await race(client, ("DELETE", target), ("DELETE", target))
        by_status = {r.status_code: r for r in responses}
        assert sorted(r.status_code for r in responses) == [204, 404], [r.text for r in responses]
        assert_error(by_status[404], 404, "not_found")


async def test_a_post_created_while_its_author_is_deleted_gets_201_or_401(
    client: httpx.AsyncClient, user_factory: UserFactory, headers_for: HeadersFor
) -> None:
    """The author's account goes while the post is being written: the caller no longer
    exists, so the answer is the 401 a deleted user's request gets, not a 409."""
    for round_ in range(ROUNDS):
        author: User = await user_factory(f"author{round_}")
        headers = await headers_for(author)
        created, deleted = await asyncio.gather(
            client.post(
                "/api/v1/posts", json={"title": "Last words", "content": "..."}, headers=headers
            ),
            client.delete("/api/v1/users/me", headers=headers),
        )
        assert deleted.status_code == 204, deleted.text
        if created.status_code != 201:
            assert_error(created, 401, "invalid_token")


async def test_a_caller_changing_their_account_while_it_is_deleted_gets_200_or_401(
    client: httpx.AsyncClient, user_factory: UserFactory, headers_for: HeadersFor
) -> None:
    """The row that vanished is the caller: a deleted user's request is 401, not 404."""
    for round_ in range(ROUNDS):
        headers = await headers_for(await user_factory(f"leaver{round_}"))
        patched, deleted = await asyncio.gather(
            client.patch("/api/v1/users/me", json={"full_name": "Gone"}, headers=headers),
            client.delete("/api/v1/users/me", headers=headers),
        )
        assert deleted.status_code == 204, deleted.text
        if patched.status_code != 200:
            assert_error(patched, 401, "invalid_token")


async def test_the_repository_refuses_to_delete_a_row_deleted_meanwhile(
    state: AppState, team_factory: Callable[..., Awaitable[Team]]
) -> None:
    """The ORM's own `session.delete` only warns when its DELETE matches no row."""
    team = await team_factory()
    async with state.db.sessionmaker() as loser:
        loaded = await TeamRepository(loser).get(team.id)
        assert loaded is not None
        async with state.db.sessionmaker() as winner:
            await TeamRepository(winner).delete(team)
            await winner.commit()

        with pytest.raises(StaleDataError):
            await TeamRepository(loser).delete(loaded)
