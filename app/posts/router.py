from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.dependencies import CurrentUser, OptionalUser
from app.core.errors import Forbidden, NotAuthenticated, NotFound, responses
from app.core.pagination import Page, PageDep
from app.posts.dependencies import (
    ChangeablePost,
    PostFeedServiceDep,
    PostServiceDep,
    VisiblePost,
)
from app.posts.models import Post
from app.posts.schemas import PostCreate, PostFilters, PostRead, PostUpdate

router = APIRouter(prefix="/posts", tags=["posts"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PostRead,
    responses=responses(NotAuthenticated),
)
async def create_post(data: PostCreate, me: CurrentUser, posts: PostFeedServiceDep) -> PostRead:
    """Create a post; its author is the caller."""
    return await posts.create(data, me)


@router.get("", response_model=Page[PostRead])
async def list_posts(
    viewer: OptionalUser,
    page: PageDep,
    filters: Annotated[PostFilters, Query()],
    posts: PostFeedServiceDep,
) -> Page[PostRead]:
    """Anonymous callers see published posts; signed-in ones also their own drafts;
    superusers everything. Newest first."""
    return await posts.list_posts(page, filters, viewer)


@router.get("/{post_id}", response_model=PostRead, responses=responses(NotFound))
async def read_post(post: VisiblePost) -> Post:
    """A draft is visible to its author and superusers only (404 for anyone else)."""
    return post


@router.patch(
    "/{post_id}",
    response_model=PostRead,
    responses=responses(NotAuthenticated, Forbidden, NotFound),
)
async def update_post(
    data: PostUpdate, me: CurrentUser, post: ChangeablePost, posts: PostServiceDep
) -> Post:
    return await posts.update(post, data, me)


@router.delete(
    "/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(NotAuthenticated, Forbidden, NotFound),
)
async def delete_post(me: CurrentUser, post: ChangeablePost, posts: PostServiceDep) -> None:
    await posts.delete(post, me)
