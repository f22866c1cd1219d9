"""The console's base view: SQLAdmin reads, the domain services write.

SQLAdmin reads the tables itself (lists, search, details), but every change goes through the
domain services the API uses, in one unit of work, acting as the signed-in superuser: the same
validation (the API's input schemas), the same rules and errors, the same side effects (a
deactivated user's tokens get 403 `inactive_user`, a password change ends every login).
SQLAdmin's own write path (`insert_model`, `update_model`, `delete_model`) is replaced here.
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
from sqladmin import Flash, ModelView, expose
from sqlalchemy import ColumnElement, Select, or_
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.admin.context import AppParts
from app.admin.security import admin_user
from app.core.errors import AppError
from app.db.repository import contains_ci
from app.users.models import User

logger = logging.getLogger("app.admin")

Change = Callable[[AsyncSession, uuid.UUID, User], Coroutine[Any, Any, object]]


class AdminError(Exception):
    """A change the services refused; SQLAdmin shows its message on the form or the list."""


def validated(schema: type[BaseModel], values: dict[str, Any]) -> Any:
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise AdminError(problems) from None


def blank_to_none(value: Any) -> Any:
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


def changed_fields(obj: Any, data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The fields of `data` whose value differs from the object's: the API's PATCH body."""
    return {
        field: data[field]
        for field in fields
        if field in data and data[field] != getattr(obj, field)
    }
