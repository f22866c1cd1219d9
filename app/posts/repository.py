"""Queries of the posts domain."""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func, insert, or_, select, true
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption
from sqlmodel import col

from app.core.pagination import PageParams
from app.db.direct import Direct, DirectStatement
from app.db.folding import contains_folded_param, contains_pattern
from app.db.repository import Repository
from app.posts.models import Post
from app.posts.schemas import PostFilters
from app.users.models import User

# What a Post response shows beyond its columns: the author, in the same query.
WITH_AUTHOR: Sequence[ExecutableOption] = (joinedload(Post.author),)  # type: ignore[arg-type]

# The tables, for the hot statements (app/db/direct.py); the ORM stays for single posts and
# their changes.
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
INSERT_POST = DirectStatement(insert(POSTS))


class Visibility(enum.Enum):
    """Which posts a viewer may see: every post, the published ones, or those and their own."""

    ALL = "all"
    PUBLISHED = "published"
    PUBLISHED_OR_OWN = "published_or_own"

    @classmethod
    def of(cls, viewer: User | None) -> Visibility:
        if viewer is None:
            return cls.PUBLISHED
        return cls.ALL if viewer.is_superuser else cls.PUBLISHED_OR_OWN


def _visible(visibility: Visibility) -> ColumnElement[bool]:
    if visibility is Visibility.ALL:
        return true()
    if visibility is Visibility.PUBLISHED:
        return PUBLISHED
    return or_(PUBLISHED, POSTS.c.author_id == bindparam("viewer_id"))


@functools.cache
def _page_statements(
    visibility: Visibility, by_author: bool, by_published: bool, by_text: bool
) -> tuple[DirectStatement, DirectStatement]:
    """The page and the count of one shape of the posts list, built and compiled once (24
    shapes at most); the values (viewer, filters, skip, limit) are bind parameters."""
    where = [_visible(visibility)]
    if by_author:
        where.append(POSTS.c.author_id == bindparam("author_id"))
    if by_published:
        where.append(POSTS.c.is_published == bindparam("is_published"))
    if by_text:
        where.append(
            or_(
                contains_folded_param(POSTS.c.title, "q"),
                contains_folded_param(POSTS.c.content, "q"),
            )
        )
    page = (
        select(*PAGE_COLUMNS)
        .select_from(PAGE_FROM)
        .where(*where)
        .order_by(POSTS.c.created_at.desc(), POSTS.c.id.desc())
        .offset(bindparam("skip"))
        .limit(bindparam("limit"))
    )
    count = select(func.count()).select_from(POSTS).where(*where)
    return DirectStatement(page), DirectStatement(count)


class PostFeed:
    """The posts' hot statements, outside any unit of work (app/db/direct.py): the list and a
    new post, one statement each (the list's count aside)."""

    def __init__(self, direct: Direct) -> None:
        self.direct = direct

    async def list_with_authors(
        self, page: PageParams, filters: PostFilters, viewer: User | None
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the posts `viewer` may see that match `filters` (newest first), each
        with its author's id and username, as the fields of `PostRead`; and how many match.

        The hot read of the posts: a statement of a fixed shape on the driver (outside the unit
        of work, app/db/direct.py), and the count only when the page does not tell it."""
        page_statement, count_statement = _page_statements(
            Visibility.of(viewer),
            filters.author_id is not None,
            filters.is_published is not None,
            bool(filters.q),
        )
        values = {
            "viewer_id": None if viewer is None else viewer.id,
            "author_id": filters.author_id,
            "is_published": filters.is_published,
            "q": contains_pattern(filters.q) if filters.q else None,
            "skip": page.skip,
            "limit": page.limit,
        }
        async with self.direct.connection() as connection:  # the count, if any, on it too
            rows = await connection.all(page_statement, values)
            if page.skip == 0 and len(rows) < page.limit:
                total = len(rows)  # the page holds every match: no count query needed
            else:
                total = int(await connection.scalar(count_statement, values))
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
        return items, total

    async def insert(self, values: dict[str, Any]) -> None:
        """Store a new post: one INSERT, committed on its own (the hot write path, outside the
        unit of work; `values` carries every column, the id and timestamps included)."""
        await self.direct.write(INSERT_POST, values)


class PostRepository(Repository[Post]):
    model = Post

    async def get_with_author(self, post_id: uuid.UUID) -> Post | None:
        return await self.get(post_id, options=WITH_AUTHOR)

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
        visibility = Visibility.of(viewer)
        if visibility is Visibility.PUBLISHED_OR_OWN and viewer is not None:
            return or_(PUBLISHED, POSTS.c.author_id == viewer.id)
        return _visible(visibility)
