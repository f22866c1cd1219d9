"""GET /users/{id}/with-posts: drafts only for the owner or a superuser."""

from __future__ import annotations

import uuid

from tests.assertions import assert_error, assert_invalid


def url(user_id: object) -> str:
    return f"/api/v1/users/{user_id}/with-posts"


async def test_gives_the_user_with_their_posts(client, user, user_headers, post_factory) -> None:
    await post_factory(user, "older")
    await post_factory(user, "newer")
    response = await client.get(url(user.id), headers=user_headers)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.id)
    assert body["username"] == "alice"
    assert "hashed_password" not in body
    assert [p["title"] for p in body["posts"]] == ["newer", "older"]
    assert body["posts"][0]["author"] == {"id": str(user.id), "username": "alice"}


async def test_owner_sees_their_drafts(client, user, user_headers, post_factory) -> None:
    await post_factory(user, "draft", is_published=False)
    body = (await client.get(url(user.id), headers=user_headers)).json()
    assert [p["title"] for p in body["posts"]] == ["draft"]


async def test_superuser_sees_the_drafts(client, user, superuser_headers, post_factory) -> None:
    await post_factory(user, "draft", is_published=False)
    body = (await client.get(url(user.id), headers=superuser_headers)).json()
    assert [p["title"] for p in body["posts"]] == ["draft"]


async def test_someone_else_sees_only_published_posts(
    client, user, user_factory, headers_for, post_factory
) -> None:
    await post_factory(user, "draft", is_published=False)
    await post_factory(user, "public")
    bob = await user_factory("bob")
    body = (await client.get(url(user.id), headers=await headers_for(bob))).json()
    assert [p["title"] for p in body["posts"]] == ["public"]


async def test_shows_only_that_users_posts(
    client, user, user_factory, user_headers, post_factory
) -> None:
    bob = await user_factory("bob")
    await post_factory(bob, "bob's")
    body = (await client.get(url(user.id), headers=user_headers)).json()
    assert body["posts"] == []


async def test_requires_a_signed_in_caller(client, user) -> None:
    assert_error(await client.get(url(user.id)), 401, "not_authenticated")


async def test_unknown_user_is_404(client, user_headers) -> None:
    response = await client.get(url(uuid.uuid4()), headers=user_headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_malformed_user_id_is_422(client, user_headers) -> None:
    assert_invalid(await client.get(url("nope"), headers=user_headers), "user_id")


async def test_statement_count_does_not_grow_with_posts(
    client, user, user_headers, post_factory, count_statements
) -> None:
    async def statements() -> int:
        count_statements.reset()
        assert (await client.get(url(user.id), headers=user_headers)).status_code == 200
        return count_statements.count

    await post_factory(user, "one")
    few = await statements()
    for i in range(30):
        await post_factory(user, f"post {i}")
    assert await statements() == few
