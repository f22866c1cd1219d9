"""Queries of the posts domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, select, true
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


class PostRepository(Repository[Post]):
    model = Post

    async def get_with_author(self, post_id: uuid.UUID) -> Post | None:
        return await self.get(post_id, options=WITH_AUTHOR)

    async def list_with_authors(
        self, page: PageParams, where: Sequence[ColumnElement[bool]]
    ) -> tuple[list[Post], int]:
        return await self.list(page, where, options=WITH_AUTHOR)

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
