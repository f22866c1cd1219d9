from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, status
from starlette.responses import StreamingResponse

from app.accounts.dependencies import AccountServiceDep
from app.auth.dependencies import CurrentUser, SuperUser
from app.core.dependencies import SettingsDep
from app.core.errors import (
    Conflict,
    Forbidden,
    InactiveUser,
    NotAuthenticated,
    NotFound,
    responses,
)
from app.core.pagination import Page, PageDep
from app.notifications.dependencies import MailerDep
from app.notifications.email import notification_email
from app.posts.dependencies import PostServiceDep
from app.posts.schemas import UserWithPosts
from app.users.dependencies import PathUser, UserServiceDep, UserStreamServiceDep
from app.users.models import Profile, User
from app.users.schemas import (
    MessageResponse,
    NotifyRequest,
    ProfileRead,
    ProfileUpdate,
    UserBulkCreate,
    UserCreateAdmin,
    UserFilters,
    UserRead,
    UserUpdate,
    UserUpdateMe,
)
from app.users.stream import STREAM_OPENAPI, stream_users_response

# Every route needs a signed-in, active caller: 401 without a valid token, 403 if inactive.
router = APIRouter(
    prefix="/users", tags=["users"], responses=responses(NotAuthenticated, InactiveUser)
)

# --- the caller's own account -------------------------------------------------------------


@router.get("/me", response_model=UserRead)
async def read_me(me: CurrentUser) -> User:
    return me


@router.patch("/me", response_model=UserRead, responses=responses(Conflict))
async def update_me(
    data: UserUpdateMe,
    me: CurrentUser,
    users: UserServiceDep,
    accounts: AccountServiceDep,
    mailer: MailerDep,
) -> User:
    """Change username, email, full name or password. A new password ends every login; a new
    email must be verified again (a link goes to it, a notice to the old one)."""
    old_email = me.email
    user = await users.update(me, data, actor=me)
    for message in await accounts.after_email_change(user, old_email):
        mailer.send_later(message)
    return user


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def delete_me(me: CurrentUser, users: UserServiceDep) -> None:
    """Delete the account, with its profile and posts."""
    await users.delete(me, actor=me)


@router.get("/me/profile", response_model=ProfileRead)
async def read_my_profile(me: CurrentUser, users: UserServiceDep) -> Profile:
    return await users.get_profile(me.id)


@router.put("/me/profile", response_model=ProfileRead)
async def replace_my_profile(
    data: ProfileUpdate, me: CurrentUser, users: UserServiceDep
) -> Profile:
    """Replace the profile: an omitted field becomes null."""
    return await users.replace_profile(me, data)


# --- all accounts ---------------------------------------------------------------------------


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=responses(Forbidden, Conflict),
)
async def create_user(data: UserCreateAdmin, _: SuperUser, users: UserServiceDep) -> User:
    return await users.create(data)


@router.get("", response_model=Page[UserRead])
async def list_users(
    _: CurrentUser,
    page: PageDep,
    filters: Annotated[UserFilters, Query()],
    users: UserServiceDep,
) -> Page[UserRead]:
    return await users.list_users(page, filters)


@router.post(
    "/bulk",
    status_code=status.HTTP_201_CREATED,
    response_model=list[UserRead],
    responses=responses(Forbidden, Conflict),
)
async def create_users_in_bulk(
    data: UserBulkCreate, _: SuperUser, users: UserServiceDep
) -> list[User]:
    """1..1000 users in one transaction, all or nothing: a clash with the table or inside
    the batch is a 409 naming the first one, and nothing is stored. In input order."""
    return await users.create_many(data.users)


# Registered before /{user_id}, which would otherwise take "stream" for a malformed id.
@router.get(
    "/stream",
    response_class=StreamingResponse,
    response_model=None,
    responses={**STREAM_OPENAPI, **responses(Forbidden)},
)
async def stream_users(
    _: SuperUser,
    users: UserStreamServiceDep,
    settings: SettingsDep,
    accept: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Every user, streamed from a server-side cursor: a JSON array, or NDJSON (one User a
    line) with `Accept: application/x-ndjson`. Memory stays flat whatever the table size."""
    return await stream_users_response(users, accept, send_timeout=settings.STREAM_SEND_TIMEOUT)


@router.get("/{user_id}", response_model=UserRead, responses=responses(NotFound))
async def read_user(_: CurrentUser, user: PathUser) -> User:
    return user


@router.get("/{user_id}/with-posts", response_model=UserWithPosts, responses=responses(NotFound))
async def read_user_with_posts(user_id: uuid.UUID, me: CurrentUser, posts: PostServiceDep) -> User:
    """The user and their posts, newest first; drafts only for the owner or a superuser."""
    return await posts.author_with_posts(user_id, me)


@router.get("/{user_id}/profile", response_model=ProfileRead, responses=responses(NotFound))
async def read_profile(_: CurrentUser, user: PathUser, users: UserServiceDep) -> Profile:
    return await users.get_profile(user.id)


@router.patch(
    "/{user_id}", response_model=UserRead, responses=responses(Forbidden, NotFound, Conflict)
)
async def update_user(
    data: UserUpdate,
    me: CurrentUser,
    user: PathUser,
    users: UserServiceDep,
    accounts: AccountServiceDep,
    mailer: MailerDep,
) -> User:
    """The user or a superuser; only a superuser may change the administrative fields."""
    old_email = user.email
    updated = await users.update(user, data, actor=me)
    for message in await accounts.after_email_change(updated, old_email):
        mailer.send_later(message)
    return updated


@router.delete(
    "/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(Forbidden, NotFound)
)
async def delete_user(me: CurrentUser, user: PathUser, users: UserServiceDep) -> None:
    await users.delete(user, actor=me)


@router.post(
    "/{user_id}/notify",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageResponse,
    responses=responses(Forbidden, NotFound),
)
async def notify_user(
    me: CurrentUser,
    user: PathUser,
    users: UserServiceDep,
    mailer: MailerDep,
    data: Annotated[NotifyRequest | None, Body()] = None,
) -> MessageResponse:
    """Email the user in the background (the user themself or a superuser may ask)."""
    users.authorize_self_or_superuser(user, me)
    message = (data or NotifyRequest()).message
    mailer.send_later(notification_email(user.email, message))
    return MessageResponse(message="Notification will be sent")
