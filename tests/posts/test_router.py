"""docs/api.md, section Posts: every row, with the bad inputs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.posts.models import Post
from tests.assertions import assert_error, assert_invalid

URL = "/api/v1/posts"


def new_post(**fields: object) -> dict[str, object]:
    return {"title": "Hello", "content": "World", **fields}


# --- POST /posts ---------------------------------------------------------------------------


async def test_create_returns_201_with_the_caller_as_author(client, user, user_headers) -> None:
    response = await client.post(URL, json=new_post(), headers=user_headers)
    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Hello"
    assert body["content"] == "World"
    assert body["author_id"] == str(user.id)
    assert body["author"] == {"id": str(user.id), "username": "alice"}
    assert set(body) == {
        "id",
        "title",
        "content",
        "is_published",
        "author_id",
        "author",
        "created_at",
        "updated_at",
    }


async def test_create_makes_a_draft_by_default(client, user_headers) -> None:
    response = await client.post(URL, json=new_post(), headers=user_headers)
    assert response.json()["is_published"] is False


async def test_create_requires_a_signed_in_caller(client) -> None:
    response = await client.post(URL, json=new_post())
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(new_post(author_id=str(uuid.uuid4())), "author_id", id="author-id-in-body"),
        pytest.param(new_post(views=3), "views", id="unknown-field"),
        pytest.param(new_post(title=""), "title", id="empty-title"),
        pytest.param(new_post(title="t" * 256), "title", id="title-256"),
        pytest.param(new_post(content=""), "content", id="empty-content"),
        pytest.param(new_post(content="c" * 100_001), "content", id="content-100001"),
        pytest.param({"content": "x"}, "title", id="missing-title"),
    ],
)
async def test_create_rejects_invalid_input_naming_the_field(
    client, user_headers, body: dict[str, object], field: str
) -> None:
    response = await client.post(URL, json=body, headers=user_headers)
    assert_invalid(response, field)


async def test_create_accepts_a_title_of_255_characters(client, user_headers) -> None:
    response = await client.post(URL, json=new_post(title="t" * 255), headers=user_headers)
    assert response.status_code == 201


# --- GET /posts ----------------------------------------------------------------------------


async def test_anonymous_list_shows_only_published_posts(client, user, post_factory) -> None:
    await post_factory(user, "public")
    await post_factory(user, "draft", is_published=False)
    body = (await client.get(URL)).json()
    assert [p["title"] for p in body["items"]] == ["public"]
    assert body["total"] == 1


async def test_signed_in_list_adds_own_drafts_only(
    client, user, user_factory, user_headers, post_factory
) -> None:
    other = await user_factory("bob")
    await post_factory(user, "mine", is_published=False)
    await post_factory(other, "theirs", is_published=False)
    await post_factory(other, "public")
    body = (await client.get(URL, headers=user_headers)).json()
    assert sorted(p["title"] for p in body["items"]) == ["mine", "public"]


async def test_superuser_list_shows_every_post(
    client, user, superuser_headers, post_factory
) -> None:
    await post_factory(user, "draft", is_published=False)
    await post_factory(user, "public")
    body = (await client.get(URL, headers=superuser_headers)).json()
    assert body["total"] == 2


async def test_list_is_a_page_envelope(client, user, post_factory) -> None:
    await post_factory(user)
    body = (await client.get(URL, params={"skip": 0, "limit": 5})).json()
    assert set(body) == {"items", "total", "skip", "limit"}
    assert body["skip"] == 0
    assert body["limit"] == 5


async def test_list_nests_the_author(client, user, post_factory) -> None:
    await post_factory(user)
    item = (await client.get(URL)).json()["items"][0]
    assert item["author"] == {"id": str(user.id), "username": "alice"}


async def test_list_is_newest_first(client, user, post_factory) -> None:
    for title in ("first", "second", "third"):
        await post_factory(user, title)
    titles = [p["title"] for p in (await client.get(URL)).json()["items"]]
    assert titles == ["third", "second", "first"]


async def test_list_breaks_created_at_ties_by_id_descending(client, user, post_factory) -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    posts = [await post_factory(user, f"p{i}", created_at=moment) for i in range(5)]
    expected = [str(p.id) for p in sorted(posts, key=lambda p: p.id, reverse=True)]
    pages = [
        (await client.get(URL, params={"skip": skip, "limit": 2})).json() for skip in (0, 2, 4)
    ]
    ids = [item["id"] for page in pages for item in page["items"]]
    assert ids == expected
    assert all(page["total"] == 5 for page in pages)


async def test_list_filters_by_author_id(client, user, user_factory, post_factory) -> None:
    other = await user_factory("bob")
    await post_factory(user, "alice's")
    await post_factory(other, "bob's")
    body = (await client.get(URL, params={"author_id": str(other.id)})).json()
    assert [p["title"] for p in body["items"]] == ["bob's"]


async def test_list_rejects_a_malformed_author_id(client) -> None:
    assert_invalid(await client.get(URL, params={"author_id": "nope"}), "author_id")


async def test_list_filters_by_is_published(client, user, user_headers, post_factory) -> None:
    await post_factory(user, "draft", is_published=False)
    await post_factory(user, "public")
    drafts = await client.get(URL, params={"is_published": "false"}, headers=user_headers)
    assert [p["title"] for p in drafts.json()["items"]] == ["draft"]


async def test_anonymous_filter_for_drafts_finds_none(client, user, post_factory) -> None:
    await post_factory(user, "draft", is_published=False)
    body = (await client.get(URL, params={"is_published": "false"})).json()
    assert body["items"] == []


async def test_q_matches_title_case_insensitively(client, user, post_factory) -> None:
    await post_factory(user, "FastAPI Tips", content="nothing")
    await post_factory(user, "Other", content="nothing")
    body = (await client.get(URL, params={"q": "fastapi"})).json()
    assert [p["title"] for p in body["items"]] == ["FastAPI Tips"]


async def test_q_matches_content_case_insensitively(client, user, post_factory) -> None:
    await post_factory(user, "One", content="All about SQLModel")
    await post_factory(user, "Two", content="nothing here")
    body = (await client.get(URL, params={"q": "sqlMODEL"})).json()
    assert [p["title"] for p in body["items"]] == ["One"]


async def test_q_matches_in_any_unicode_case(client, user, post_factory) -> None:
    await post_factory(user, "Über alles", content="plain")
    await post_factory(user, "Uber alles", content="plain")
    await post_factory(user, "Elsewhere", content="ΟΔΥΣΣΕΥΣ and the STRASSE")
    body = (await client.get(URL, params={"q": "über"})).json()
    assert [p["title"] for p in body["items"]] == ["Über alles"]
    body = (await client.get(URL, params={"q": "Straße"})).json()
    assert [p["title"] for p in body["items"]] == ["Elsewhere"]


async def test_q_percent_matches_only_a_literal_percent(client, user, post_factory) -> None:
    await post_factory(user, "100% sure", content="plain")
    await post_factory(user, "plain", content="plain")
    body = (await client.get(URL, params={"q": "%"})).json()
    assert [p["title"] for p in body["items"]] == ["100% sure"]


async def test_q_underscore_matches_only_a_literal_underscore(client, user, post_factory) -> None:
    await post_factory(user, "snake_case", content="plain")
    await post_factory(user, "snakeXcase", content="plain")
    body = (await client.get(URL, params={"q": "e_c"})).json()
    assert [p["title"] for p in body["items"]] == ["snake_case"]


async def test_q_does_not_reveal_others_drafts(
    client, user, user_factory, user_headers, post_factory
) -> None:
    other = await user_factory("bob")
    await post_factory(other, "secret plan", is_published=False)
    body = (await client.get(URL, params={"q": "secret"}, headers=user_headers)).json()
    assert body["items"] == []


async def test_list_rejects_limit_101(client) -> None:
    assert_invalid(await client.get(URL, params={"limit": 101}), "limit")


async def test_list_rejects_limit_0(client) -> None:
    assert_invalid(await client.get(URL, params={"limit": 0}), "limit")


async def test_list_rejects_a_negative_skip(client) -> None:
    assert_invalid(await client.get(URL, params={"skip": -1}), "skip")


async def test_list_statement_count_does_not_grow_with_rows(
    client, user_factory, post_factory, count_statements
) -> None:
    async def statements_for_page() -> int:
        count_statements.reset()
        response = await client.get(URL, params={"limit": 50})
        assert response.status_code == 200
        return count_statements.count

    for i in range(3):
        await post_factory(await user_factory(f"few{i}"), f"few {i}")
    few = await statements_for_page()
    for i in range(60):
        await post_factory(await user_factory(f"many{i}"), f"many {i}")
    many = await statements_for_page()
    assert many <= few + 1  # + the count query a full page needs; never one per row
    assert many <= 3


# --- GET /posts/{id} -----------------------------------------------------------------------


async def test_read_published_post_anonymously(client, user, post_factory) -> None:
    post = await post_factory(user)
    response = await client.get(f"{URL}/{post.id}")
    assert response.status_code == 200
    assert response.json()["id"] == str(post.id)


async def test_read_own_draft(client, user, user_headers, post_factory) -> None:
    post = await post_factory(user, is_published=False)
    assert (await client.get(f"{URL}/{post.id}", headers=user_headers)).status_code == 200


async def test_superuser_reads_any_draft(client, user, superuser_headers, post_factory) -> None:
    post = await post_factory(user, is_published=False)
    assert (await client.get(f"{URL}/{post.id}", headers=superuser_headers)).status_code == 200


async def test_someone_elses_draft_is_404(
    client, user, user_factory, headers_for, post_factory
) -> None:
    post = await post_factory(user, is_published=False)
    bob = await user_factory("bob")
    response = await client.get(f"{URL}/{post.id}", headers=await headers_for(bob))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_draft_is_404_anonymously(client, user, post_factory) -> None:
    post = await post_factory(user, is_published=False)
    assert_error(await client.get(f"{URL}/{post.id}"), 404, "not_found")


async def test_unknown_post_is_404(client) -> None:
    response = await client.get(f"{URL}/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Post not found", "code": "not_found"}


async def test_malformed_post_id_is_422(client) -> None:
    assert_invalid(await client.get(f"{URL}/not-a-uuid"), "post_id")


# --- PATCH /posts/{id} ---------------------------------------------------------------------


async def test_author_updates_their_post(client, user, user_headers, post_factory) -> None:
    post = await post_factory(user, is_published=False)
    response = await client.patch(
        f"{URL}/{post.id}", json={"title": "New", "is_published": True}, headers=user_headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "New"
    assert body["is_published"] is True
    assert body["content"] == post.content
    assert body["author"]["username"] == "alice"
    assert body["updated_at"] > body["created_at"]


async def test_superuser_updates_anyones_post(
    client, user, superuser_headers, post_factory
) -> None:
    post = await post_factory(user, is_published=False)
    response = await client.patch(
        f"{URL}/{post.id}", json={"content": "edited"}, headers=superuser_headers
    )
    assert response.status_code == 200
    assert response.json()["content"] == "edited"
    assert response.json()["author_id"] == str(user.id)


async def test_another_user_editing_a_post_gets_403_and_nothing_changes(
    client, session, user, user_factory, headers_for, post_factory
) -> None:
    post = await post_factory(user, "original")
    bob = await user_factory("bob")
    response = await client.patch(
        f"{URL}/{post.id}", json={"title": "hijacked"}, headers=await headers_for(bob)
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    stored = await session.get(Post, post.id)
    assert stored is not None
    assert stored.title == "original"


async def test_another_user_editing_a_draft_gets_404(
    client, user, user_factory, headers_for, post_factory
) -> None:
    post = await post_factory(user, is_published=False)
    bob = await user_factory("bob")
    response = await client.patch(
        f"{URL}/{post.id}", json={"title": "x"}, headers=await headers_for(bob)
    )
    assert_error(response, 404, "not_found")


async def test_update_requires_a_signed_in_caller(client, user, post_factory) -> None:
    post = await post_factory(user, is_published=False)
    response = await client.patch(f"{URL}/{post.id}", json={"title": "x"})
    assert_error(response, 401, "not_authenticated")


async def test_update_of_unknown_post_is_404(client, user_headers) -> None:
    response = await client.patch(
        f"{URL}/{uuid.uuid4()}", json={"title": "x"}, headers=user_headers
    )
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"author_id": str(uuid.uuid4())}, "author_id", id="unknown-field"),
        pytest.param({"title": "t" * 256}, "title", id="title-256"),
        pytest.param({"title": ""}, "title", id="empty-title"),
        pytest.param({"title": None}, "title", id="null-title"),
    ],
)
async def test_update_rejects_invalid_input_naming_the_field(
    client, user, user_headers, post_factory, body: dict[str, object], field: str
) -> None:
    post = await post_factory(user)
    response = await client.patch(f"{URL}/{post.id}", json=body, headers=user_headers)
    assert_invalid(response, field)


# --- DELETE /posts/{id} --------------------------------------------------------------------


async def test_author_deletes_their_post(client, session, user, user_headers, post_factory) -> None:
    post = await post_factory(user)
    assert (await client.delete(f"{URL}/{post.id}", headers=user_headers)).status_code == 204
    assert await session.get(Post, post.id) is None


async def test_superuser_deletes_anyones_post(
    client, session, user, superuser_headers, post_factory
) -> None:
    post = await post_factory(user, is_published=False)
    response = await client.delete(f"{URL}/{post.id}", headers=superuser_headers)
    assert response.status_code == 204
    assert await session.get(Post, post.id) is None


async def test_another_user_deleting_a_post_gets_403_and_it_stays(
    client, session, user, user_factory, headers_for, post_factory
) -> None:
    post = await post_factory(user)
    bob = await user_factory("bob")
    response = await client.delete(f"{URL}/{post.id}", headers=await headers_for(bob))
    assert_error(response, 403, "forbidden")
    assert await session.get(Post, post.id) is not None


async def test_another_user_deleting_a_draft_gets_404(
    client, user, user_factory, headers_for, post_factory
) -> None:
    post = await post_factory(user, is_published=False)
    bob = await user_factory("bob")
    response = await client.delete(f"{URL}/{post.id}", headers=await headers_for(bob))
    assert_error(response, 404, "not_found")


async def test_delete_requires_a_signed_in_caller(client, user, post_factory) -> None:
    post = await post_factory(user)
    assert_error(await client.delete(f"{URL}/{post.id}"), 401, "not_authenticated")


async def test_delete_of_unknown_post_is_404(client, user_headers) -> None:
    response = await client.delete(f"{URL}/{uuid.uuid4()}", headers=user_headers)
    assert_error(response, 404, "not_found")


# --- with the author's account -------------------------------------------------------------


async def test_deleting_the_author_deletes_their_posts(
    app: FastAPI, client: httpx.AsyncClient, session, user, user_headers, post_factory
) -> None:
    await post_factory(user)
    await post_factory(user, is_published=False)
    assert (await client.delete("/api/v1/users/me", headers=user_headers)).status_code == 204
    remaining = (await session.scalars(select(Post))).all()
    assert remaining == []


async def test_openapi_lists_the_post_routes_and_their_errors(client) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/posts"])
    item = paths["/api/v1/posts/{post_id}"]
    assert {"get", "patch", "delete"} <= set(item)
    assert {"401", "403", "404"} <= set(item["patch"]["responses"])
