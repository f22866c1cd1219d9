"""Queries of the posts domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, func, insert, or_, select, true
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption
from sqlmodel import col

from app.core.pagination import PageParams
from app.db.repository import Repository, contains_ci
from app.posts.models import Post
from app.posts.schemas import PostFilters
from app.users.models import User

# What a Post response shows beyond its columns: the author, in the same query.
WITH_AUTHOR: Sequence[ExecutableOption] = (joinedload(Post.author),)  # type: ignore[arg-type]

# The tables, for the Core reads of the posts page (the ORM stays for single posts and writes).
POSTS: Table = Post.__table__  # type: ignore[attr-defined]
USERS: Table = User.__table__  # type: ignore[attr-defined]
PUBLISHED = POSTS.c.is_published.is_(True)
# A page item: the post's columns and its author's username (in PostRead's order).
PAGE_COLUMNS = (
    POSTS.c.id,
    POSTS.c.title,
    POSTS.c.content,
    POSTS.c.is_published,
    POSTS.c.author_id,
    POSTS.c.created_at,
    POSTS.c.updated_at,
    USERS.c.username,
)
PAGE_FROM = POSTS.join(USERS, POSTS.c.author_id == USERS.c.id)
INSERT_POST = insert(POSTS)


class PostRepository(Repository[Post]):
    model = Post

    async def get_with_author(self, post_id: uuid.UUID) -> Post | None:
        return await self.get(post_id, options=WITH_AUTHOR)

    async def list_with_authors(
        self, page: PageParams, where: Sequence[ColumnElement[bool]]
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of posts matching `where` (newest first), each with its author's id and
        username, as the fields of `PostRead`; and how many match in all.

        A read of the hot path: Core rows of the columns the page shows (not whole `Post` and
        `User` entities in the identity map), in one query, and the count only when the page
        does not already tell it."""
        statement = (
            select(*PAGE_COLUMNS)
            .select_from(PAGE_FROM)
            .where(*where)
            .order_by(POSTS.c.created_at.desc(), POSTS.c.id.desc())
            .offset(page.skip)
            .limit(page.limit)
        )
        rows = (await self.session.execute(statement)).all()
        items = [
            {
                "id": row[0],
                "title": row[1],
                "content": row[2],
                "is_published": row[3],
                "author_id": row[4],
                "created_at": row[5],
                "updated_at": row[6],
                "author": {"id": row[4], "username": row[7]},
            }
            for row in rows
        ]
        if page.skip == 0 and len(items) < page.limit:
            return items, len(items)  # the page holds every match: no count query needed
        count = select(func.count()).select_from(POSTS).where(*where)
        return items, int((await self.session.execute(count)).scalar_one())

    async def insert(self, values: dict[str, Any]) -> None:
        """Store a new post: one INSERT, without an ORM unit of work (the hot write path;
        `values` carries every column, the id and timestamps included)."""
        await self.session.execute(INSERT_POST, values)

    async def author_with_posts(
        self, author_id: uuid.UUID, where: ColumnElement[bool]
    ) -> User | None:
        """The user and their posts matching `where` (newest first, each with its author): two
        queries however many posts there are."""
        posts = selectinload(User.posts.and_(where)).joinedload(Post.author)  # type: ignore[attr-defined, arg-type]
        statement = (
            select(User)
            .where(col(User.id) == author_id)
            .options(posts)
            .execution_options(populate_existing=True)  # the user may be loaded already
        )
        return (await self.session.scalars(statement)).first()

    @staticmethod
    def visible_to(viewer: User | None) -> ColumnElement[bool]:
        """Published posts for everyone; a signed-in user's own drafts; all for superusers."""
        if viewer is not None and viewer.is_superuser:
            return true()
        if viewer is None:
            return PUBLISHED
        return or_(PUBLISHED, POSTS.c.author_id == viewer.id)

    @staticmethod
    def filters(filters: PostFilters) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if filters.author_id is not None:
            where.append(POSTS.c.author_id == filters.author_id)
        if filters.is_published is not None:
            where.append(POSTS.c.is_published.is_(filters.is_published))
        if filters.q:
            where.append(
                or_(contains_ci(POSTS.c.title, filters.q), contains_ci(POSTS.c.content, filters.q))
            )
        return where
