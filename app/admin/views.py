"""The console's pages: users, posts, teams, heroes, and the security log (read-only).

Each page is a `ServiceModelView` (app/admin/base.py): SQLAdmin lists and shows the rows, and
every change goes through the domain service the API uses. What a page may show is listed
column by column: a user's password hash and a hero's `secret_name` are never shown, edited or
exported (export is off: it would bypass the lists).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqladmin import action
from sqladmin.fields import Select2TagsField
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from app.admin.base import ServiceModelView, blank_to_none, changed_fields, validated
from app.heroes.models import Hero
from app.heroes.schemas import HeroUpdate
from app.heroes.service import HeroService
from app.posts.models import Post
from app.posts.schemas import PostUpdate
from app.posts.service import PostService
from app.security.models import SecurityEvent
from app.teams.models import Team
from app.teams.schemas import TeamCreate, TeamUpdate
from app.teams.service import TeamService
from app.users.models import User
from app.users.schemas import UserUpdate
from app.users.service import UserService


def _permissions(model: Any, _attribute: Any) -> str:
    return ", ".join(model.permissions)


def _created(model: Any, _attribute: Any) -> str:
    return f"{model.created_at:%Y-%m-%d %H:%M}"


class UserAdmin(ServiceModelView, model=User):
    name = "User"
    name_plural = "Users"
    icon = "fa-solid fa-user"
    can_create = False  # accounts come from registration or POST /users
    column_list = [
        "username",
        "email",
        "full_name",
        "is_active",
        "is_superuser",
        "is_verified",
        "permissions",
        "created_at",
    ]
    column_details_list = [
        "id",
        "username",
        "email",
        "full_name",
        "is_active",
        "is_superuser",
        "is_verified",
        "permissions",
        "created_at",
        "updated_at",
    ]
    column_searchable_list = ["username", "email"]
    column_sortable_list = ["username", "email", "created_at"]
    column_default_sort = ("created_at", True)
    form_columns = [
        "username",
        "email",
        "full_name",
        "is_active",
        "is_superuser",
        "is_verified",
        "permissions",
    ]
    column_labels = {
        "username": "Username",
        "email": "Email",
        "full_name": "Full name",
        "is_active": "Active",
        "is_superuser": "Superuser",
        "is_verified": "Email verified",
        "permissions": "Permissions",
        "created_at": "Created",
        "updated_at": "Updated",
    }
    column_formatters = {"permissions": _permissions, "created_at": _created}
    column_formatters_detail = {"permissions": _permissions}
    form_overrides = {"permissions": Select2TagsField}
    form_args = {"permissions": {"description": "e.g. teams:delete, heroes:delete"}}
    bulk = {"deactivate": "Deactivate", "activate": "Activate"}
    EDITABLE = (
        "username",
        "email",
        "full_name",
        "is_active",
        "is_superuser",
        "is_verified",
        "permissions",
    )

    def describe(self, obj: Any) -> str:
        return f"{obj.username} <{obj.email}>"

    async def change(
        self, session: AsyncSession, pk: uuid.UUID, data: dict[str, Any], actor: User
    ) -> User:
        service = UserService(session, self.parts.hasher)
        user = await service.get(pk)
        data = {**data, "full_name": blank_to_none(data.get("full_name"))}
        if "permissions" in data:
            data["permissions"] = [p for p in data["permissions"] or [] if p.strip()]
        update = validated(UserUpdate, changed_fields(user, data, self.EDITABLE))
        return await service.update(user, update, actor=actor)

    async def remove(self, session: AsyncSession, pk: uuid.UUID, actor: User) -> None:
        service = UserService(session, self.parts.hasher)
        await service.delete(await service.get(pk), actor=actor)

    async def bulk_change(self, action_name: str) -> dict[str, Any]:
        return {"is_active": action_name == "activate"}

    @action(name="deactivate", label="Deactivate", add_in_detail=True, add_in_list=True)
    async def deactivate(self, request: Request) -> Response:
        return await self.confirm(request, "deactivate")

    @action(name="activate", label="Activate", add_in_detail=True, add_in_list=True)
    async def activate(self, request: Request) -> Response:
        return await self.confirm(request, "activate")


def _author(model: Any, _attribute: Any) -> str:
    return str(model.author.username)


def _team(model: Any, _attribute: Any) -> str:
    return "" if model.team is None else str(model.team.name)


class PostAdmin(ServiceModelView, model=Post):
    name = "Post"
    name_plural = "Posts"
    icon = "fa-solid fa-file-lines"
    can_create = False  # a post has an author: written through the API
    column_list = ["title", "author", "is_published", "created_at"]
    column_details_list = [
        "id",
        "title",
        "content",
        "author",
        "is_published",
        "created_at",
        "updated_at",
    ]
    column_labels = {"is_published": "Published", "created_at": "Created", "updated_at": "Updated"}
    column_formatters = {"author": _author}
    column_formatters_detail = {"author": _author}
    column_searchable_list = ["title"]
    column_sortable_list = ["title", "created_at"]
    column_default_sort = ("created_at", True)
    form_columns = ["title", "content", "is_published"]
    bulk = {"publish": "Publish", "unpublish": "Unpublish"}
    EDITABLE = ("title", "content", "is_published")

    def describe(self, obj: Any) -> str:
        return str(obj.title)

    async def _post(self, service: PostService, pk: uuid.UUID, actor: User) -> Post:
        return await service.get_visible(pk, actor)  # a superuser sees every post

    async def change(
        self, session: AsyncSession, pk: uuid.UUID, data: dict[str, Any], actor: User
    ) -> Post:
        service = PostService(session)
        post = await self._post(service, pk, actor)
        update = validated(PostUpdate, changed_fields(post, data, self.EDITABLE))
        return await service.update(post, update, actor)

    async def remove(self, session: AsyncSession, pk: uuid.UUID, actor: User) -> None:
        service = PostService(session)
        await service.delete(await self._post(service, pk, actor), actor)

    async def bulk_change(self, action_name: str) -> dict[str, Any]:
        return {"is_published": action_name == "publish"}

    @action(name="publish", label="Publish", add_in_detail=True, add_in_list=True)
    async def publish(self, request: Request) -> Response:
        return await self.confirm(request, "publish")

    @action(name="unpublish", label="Unpublish", add_in_detail=True, add_in_list=True)
    async def unpublish(self, request: Request) -> Response:
        return await self.confirm(request, "unpublish")


class TeamAdmin(ServiceModelView, model=Team):
    name = "Team"
    name_plural = "Teams"
    icon = "fa-solid fa-people-group"
    column_list = ["name", "headquarters", "created_at"]
    column_details_list = ["id", "name", "headquarters", "created_at", "updated_at"]
    column_searchable_list = ["name"]
    column_sortable_list = ["name", "created_at"]
    column_default_sort = ("created_at", True)
    form_columns = ["name", "headquarters"]
    EDITABLE = ("name", "headquarters")

    def describe(self, obj: Any) -> str:
        return str(obj.name)

    async def create(self, session: AsyncSession, data: dict[str, Any], actor: User) -> Team:
        values = {field: data.get(field) for field in self.EDITABLE}
        return await TeamService(session).create(validated(TeamCreate, values))

    async def change(
        self, session: AsyncSession, pk: uuid.UUID, data: dict[str, Any], actor: User
    ) -> Team:
        service = TeamService(session)
        team = await service.get(pk)
        update = validated(TeamUpdate, changed_fields(team, data, self.EDITABLE))
        return await service.update(team, update)

    async def remove(self, session: AsyncSession, pk: uuid.UUID, actor: User) -> None:
        service = TeamService(session)
        await service.delete(await service.get(pk))


class HeroAdmin(ServiceModelView, model=Hero):
    name = "Hero"
    name_plural = "Heroes"
    icon = "fa-solid fa-mask"
    can_create = False  # a hero's secret_name is write-only: created through the API
    column_list = ["name", "age", "team", "created_at"]
    column_details_list = ["id", "name", "age", "team", "created_at"]
    column_formatters = {"team": _team}
    column_formatters_detail = {"team": _team}
    column_searchable_list = ["name"]
    column_sortable_list = ["name", "age", "created_at"]
    column_default_sort = ("created_at", True)
    form_columns = ["name", "age", "team"]
    EDITABLE = ("name", "age", "team_id")

    def describe(self, obj: Any) -> str:
        return str(obj.name)

    async def change(
        self, session: AsyncSession, pk: uuid.UUID, data: dict[str, Any], actor: User
    ) -> Hero:
        service = HeroService(session)
        hero = await service.get(pk)
        values = dict(data)
        if "team" in values:
            # The form's select gives the team's id (its primary key as text), or nothing.
            team = blank_to_none(values.pop("team"))
            values["team_id"] = None if team is None else getattr(team, "id", team)
        update = validated(HeroUpdate, changed_fields(hero, values, self.EDITABLE))
        return await service.update(hero, update)

    async def remove(self, session: AsyncSession, pk: uuid.UUID, actor: User) -> None:
        service = HeroService(session)
        await service.delete(await service.get(pk))


class SecurityEventAdmin(ServiceModelView, model=SecurityEvent):
    """The security log, read-only: events are never changed or deleted (docs/api.md)."""

    name = "Security event"
    name_plural = "Security events"
    icon = "fa-solid fa-shield-halved"
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ["created_at", "event", "user_id", "actor_id", "ip"]
    column_details_list = ["id", "created_at", "event", "user_id", "actor_id", "ip", "user_agent"]
    column_labels = {"created_at": "When", "user_id": "User", "actor_id": "Actor", "ip": "IP"}
    column_searchable_list = ["event", "ip"]
    column_sortable_list = ["created_at", "event"]
    column_default_sort = ("created_at", True)

    def describe(self, obj: Any) -> str:
        return f"{obj.event} {obj.created_at:%Y-%m-%d %H:%M:%S}"


VIEWS: tuple[type[ServiceModelView], ...] = (
    UserAdmin,
    PostAdmin,
    TeamAdmin,
    HeroAdmin,
    SecurityEventAdmin,
)
