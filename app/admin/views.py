"""The console's pages: users, posts, teams, heroes, and the security log (read-only).

SQLAdmin reads the tables itself (lists, search, details), but every change goes through the
domain services the API uses, in one unit of work, acting as the signed-in superuser: the same
validation (the API's input schemas), the same rules and errors, the same side effects (a
deactivated user's tokens get 403 `inactive_user`, a password change ends every login).
SQLAdmin's own write path (`insert_model`, `update_model`, `delete_model`) is replaced here.

What a page may show is listed column by column: a user's password hash and a hero's
`secret_name` are never shown, edited or exported (export is off: it would bypass the lists).
Actions on selected rows (deactivate, publish...) are SQLAdmin actions whose GET only shows a
confirmation form; its POST (`/{view}/apply`, CSRF-checked) makes the change.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError
from sqladmin import Flash, ModelView, action, expose
from sqladmin.fields import Select2TagsField
from sqlalchemy import ColumnElement, Select, or_
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.admin.context import AppParts
from app.admin.security import admin_user
from app.core.errors import AppError
from app.db.repository import contains_ci
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

logger = logging.getLogger("app.admin")

Change = Callable[[AsyncSession, uuid.UUID, User], Coroutine[Any, Any, object]]


class AdminError(Exception):
    """A change the services refused; SQLAdmin shows its message on the form or the list."""


def _validated(schema: type[BaseModel], values: dict[str, Any]) -> Any:
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise AdminError(problems) from None


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class ServiceModelView(ModelView):
    """A view whose writes go through the domain services (see the module's docstring)."""

    parts: ClassVar[AppParts]  # set per app by install_admin
    can_export = False
    can_import = False
    page_size = 25
    # the actions on selected rows: slug -> label (`bulk_change` says what each sets)
    bulk: ClassVar[dict[str, str]] = {}

    # --- one unit of work, as a request of the API has -----------------------------------

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        async with self.parts.database.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except AppError as exc:
                await session.rollback()
                raise AdminError(exc.detail) from None
            except (AdminError, HTTPException):
                await session.rollback()
                raise
            except Exception as exc:
                await session.rollback()
                logger.exception("admin: a change to %s failed", self.identity)
                raise AdminError("The change could not be saved (see the server log).") from exc

    # --- what each view implements with its service --------------------------------------

    async def create(self, session: AsyncSession, data: dict[str, Any], actor: User) -> Any:
        raise HTTPException(status_code=405)

    async def change(
        self, session: AsyncSession, pk: uuid.UUID, data: dict[str, Any], actor: User
    ) -> Any:
        raise HTTPException(status_code=405)

    async def remove(self, session: AsyncSession, pk: uuid.UUID, actor: User) -> None:
        raise HTTPException(status_code=405)

    def describe(self, obj: Any) -> str:
        return str(obj.id)

    # --- SQLAdmin's write path, replaced -------------------------------------------------

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        async with self.unit_of_work() as session:
            return await self.create(session, data, admin_user(request))

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        async with self.unit_of_work() as session:
            return await self.change(session, _uuid(pk), data, admin_user(request))

    async def delete_model(self, request: Request, pk: Any) -> None:
        async with self.unit_of_work() as session:
            await self.remove(session, _uuid(str(pk)), admin_user(request))

    # --- search: the API's rule (case-insensitive, `%` and `_` literal) ------------------

    def search_query(self, stmt: Select[Any], term: str) -> Select[Any]:
        term = term.replace("\x00", "")
        matches: list[ColumnElement[bool]] = [
            contains_ci(getattr(self.model, field), term) for field in self._search_fields
        ]
        return stmt.where(or_(*matches))

    # --- actions on selected rows: confirm (GET), then apply (POST) ----------------------

    async def bulk_change(self, action_name: str) -> dict[str, Any]:
        raise HTTPException(status_code=404)

    async def confirm(self, request: Request, action_name: str) -> Response:
        pks = [pk for pk in request.query_params.get("pks", "").split(",") if pk]
        items = []
        for pk in pks:
            obj = await self.get_object_for_delete(str(_uuid(pk)))
            if obj is None:
                raise HTTPException(status_code=404)
            items.append(self.describe(obj))
        context = {
            "model_view": self,
            "title": self.name_plural,
            "label": self.bulk[action_name],
            "action": action_name,
            "pks": pks,
            "items": items,
            "apply_url": request.url_for(f"admin:view-{self.identity}-apply"),
            "back_url": request.url_for("admin:list", identity=self.identity),
        }
        return await self.templates.TemplateResponse(request, "agora/confirm.html", context)

    @expose("/apply", methods=["POST"])
    async def apply(self, request: Request) -> Response:
        form = await request.form()
        action_name = str(form.get("action", ""))
        if action_name not in self.bulk:
            raise HTTPException(status_code=400, detail="Unknown action")
        values = await self.bulk_change(action_name)
        pks = [_uuid(str(pk)) for pk in form.getlist("pk")]
        url = request.url_for("admin:list", identity=self.identity)
        try:
            async with self.unit_of_work() as session:
                for pk in pks:
                    await self.change(session, pk, values, admin_user(request))
        except AdminError as exc:
            return RedirectResponse(url.include_query_params(error=str(exc)), status_code=302)
        Flash.success(request, f"{self.bulk[action_name]}: {len(pks)} {self.name_plural.lower()}")
        return RedirectResponse(url, status_code=302)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise HTTPException(status_code=404) from None


def _changed(obj: Any, data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The fields of `data` whose value differs from the object's: the API's PATCH body."""
    return {
        field: data[field]
        for field in fields
        if field in data and data[field] != getattr(obj, field)
    }


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
        "permissions",
    ]
    column_labels = {
        "username": "Username",
        "email": "Email",
        "full_name": "Full name",
        "is_active": "Active",
        "is_superuser": "Superuser",
        "permissions": "Permissions",
        "created_at": "Created",
        "updated_at": "Updated",
    }
    column_formatters = {"permissions": _permissions, "created_at": _created}
    column_formatters_detail = {"permissions": _permissions}
    form_overrides = {"permissions": Select2TagsField}
    form_args = {"permissions": {"description": "e.g. teams:delete, heroes:delete"}}
    bulk = {"deactivate": "Deactivate", "activate": "Activate"}
    EDITABLE = ("username", "email", "full_name", "is_active", "is_superuser", "permissions")

    def describe(self, obj: Any) -> str:
        return f"{obj.username} <{obj.email}>"

    async def change(
        self, session: AsyncSession, pk: uuid.UUID, data: dict[str, Any], actor: User
    ) -> User:
        service = UserService(session, self.parts.hasher)
        user = await service.get(pk)
        data = {**data, "full_name": _blank_to_none(data.get("full_name"))}
        if "permissions" in data:
            data["permissions"] = [p for p in data["permissions"] or [] if p.strip()]
        update = _validated(UserUpdate, _changed(user, data, self.EDITABLE))
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
        update = _validated(PostUpdate, _changed(post, data, self.EDITABLE))
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
        return await TeamService(session).create(_validated(TeamCreate, values))

    async def change(
        self, session: AsyncSession, pk: uuid.UUID, data: dict[str, Any], actor: User
    ) -> Team:
        service = TeamService(session)
        team = await service.get(pk)
        update = _validated(TeamUpdate, _changed(team, data, self.EDITABLE))
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
            team = _blank_to_none(values.pop("team"))
            values["team_id"] = None if team is None else getattr(team, "id", team)
        update = _validated(HeroUpdate, _changed(hero, values, self.EDITABLE))
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
