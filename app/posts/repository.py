"""Queries of the posts domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, true
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.base import ExecutableOption
from sqlmodel import col

from app.core.pagination import PageParams
from app.db.repository import Repository, contains_ci
from app.posts.models import Post
from app.posts.schemas import PostFilters
from app.users.models import User

# What a Post response shows beyond its columns: the author, in the same query.
WITH_AUTHOR: Sequence[ExecutableOption] = (joinedload(Post.author),)  # type: ignore[arg-type]


class PostRepository(Repository[Post]):
    model = Post

    async def get_with_author(self, post_id: uuid.UUID) -> Post | None:
        return await self.get(post_id, options=WITH_AUTHOR)

    async def list_with_authors(
        self, page: PageParams, where: Sequence[ColumnElement[bool]]
    ) -> tuple[list[Post], int]:
        return await self.list(page, where, options=WITH_AUTHOR)

    async def all_by_author(
        self, author_id: uuid.UUID, where: Sequence[ColumnElement[bool]] = ()
    ) -> list[Post]:
        return await self.all([col(Post.author_id) == author_id, *where], options=WITH_AUTHOR)

    @staticmethod
    def visible_to(viewer: User | None) -> ColumnElement[bool]:
        """Published posts for everyone; a signed-in user's own drafts; all for superusers."""
        if viewer is not None and viewer.is_superuser:
            return true()
        if viewer is None:
            return col(Post.is_published).is_(True)
        return or_(col(Post.is_published).is_(True), col(Post.author_id) == viewer.id)

    @staticmethod
    def filters(filters: PostFilters) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if filters.author_id is not None:
            where.append(col(Post.author_id) == filters.author_id)
        if filters.is_published is not None:
            where.append(col(Post.is_published).is_(filters.is_published))
        if filters.q:
            where.append(
                or_(contains_ci(Post.title, filters.q), contains_ci(Post.content, filters.q))
            )
        return where
