from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from app.auth.dependencies import CurrentUser, OptionalUser
from app.core.state import state_of
from app.db.session import SessionDep
from app.posts.models import Post
from app.posts.service import PostFeedService, PostService


async def get_post_service(session: SessionDep) -> PostService:
    return PostService(session)


PostServiceDep = Annotated[PostService, Depends(get_post_service)]


async def get_post_feed_service(conn: HTTPConnection) -> PostFeedService:
    return PostFeedService(state_of(conn.scope).db.direct)


PostFeedServiceDep = Annotated[PostFeedService, Depends(get_post_feed_service)]


async def valid_post_id(post_id: uuid.UUID, viewer: OptionalUser, posts: PostServiceDep) -> Post:
    """The post named in the path if the caller may see it, else 404."""
    return await posts.get_visible(post_id, viewer)


VisiblePost = Annotated[Post, Depends(valid_post_id)]


async def post_for_change(me: CurrentUser, post: VisiblePost) -> Post:
    """A post the caller may see, after the caller proved who they are (401 before 404).

    Whether they may change it (author or superuser, else 403) is the service's rule.
    """
    return post


ChangeablePost = Annotated[Post, Depends(post_for_change)]
