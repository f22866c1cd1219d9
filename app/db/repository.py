"""The generic repository: every query of a domain goes through one of these.

`list` is the one list/filter/page path: the same `where` clauses give the page and its total,
and the order is always newest first with the id as a stable tie-break.

A row another request deleted meanwhile is "gone" for every write: an UPDATE that matches no
row raises SQLAlchemy's `StaleDataError` at the flush, and so does `delete` here when its
DELETE matches none (the ORM's own `session.delete` only warns); the handlers answer 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, CursorResult, delete, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.base import ExecutableOption
from sqlmodel import SQLModel, col

from app.core.pagination import PageParams
from app.db.folding import contains_folded

ModelT = TypeVar("ModelT", bound=SQLModel)


def contains_ci(column: Any, value: str) -> ColumnElement[bool]:
    """Substring match in any letter case (Unicode: app/db/folding.py) where `%` and `_`
    are literal characters."""
    return contains_folded(column, value)


class Repository(Generic[ModelT]):
    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def order_by(self) -> tuple[Any, ...]:
        """Newest first, the id breaking ties: a stable order for paging."""
        return (col(self.model.created_at).desc(), col(self.model.id).desc())

    async def get(
        self, id_: uuid.UUID, *, options: Sequence[ExecutableOption] = ()
    ) -> ModelT | None:
        if not options:
            return await self.session.get(self.model, id_)
        statement = select(self.model).where(col(self.model.id) == id_).options(*options)
        return (await self.session.scalars(statement)).first()

    async def get_one_by(self, *where: ColumnElement[bool]) -> ModelT | None:
        statement = select(self.model).where(*where).limit(1)
        return (await self.session.scalars(statement)).first()

    async def count(self, where: Sequence[ColumnElement[bool]] = ()) -> int:
        statement = select(func.count()).select_from(self.model).where(*where)
        return int((await self.session.execute(statement)).scalar_one())

    async def all(
        self,
        where: Sequence[ColumnElement[bool]] = (),
        *,
        options: Sequence[ExecutableOption] = (),
    ) -> list[ModelT]:
        """Every row matching `where`, in the same stable order as `list` (for bounded sets)."""
        statement = select(self.model).where(*where).order_by(*self.order_by()).options(*options)
        return list((await self.session.scalars(statement)).all())

    async def list(
        self,
        page: PageParams,
        where: Sequence[ColumnElement[bool]] = (),
        *,
        options: Sequence[ExecutableOption] = (),
    ) -> tuple[list[ModelT], int]:
        """One page of rows matching `where`, and how many rows match in all."""
        statement = (
            select(self.model)
            .where(*where)
            .order_by(*self.order_by())
            .offset(page.skip)
            .limit(page.limit)
            .options(*options)
        )
        items: list[ModelT] = list((await self.session.scalars(statement)).all())
        if page.skip == 0 and len(items) < page.limit:
            return items, len(items)  # the page holds every match: no count query needed
        return items, await self.count(where)

    def add(self, obj: ModelT) -> ModelT:
        self.session.add(obj)
        return obj

    async def flush(self) -> None:
        await self.session.flush()

    async def delete(self, obj: ModelT) -> None:
        """Delete the row of `obj` now; `StaleDataError` if no row matched (a concurrent
        request deleted it first). The database's ON DELETE rules do the cascades."""
        state = inspect(obj)
        assert state.identity is not None, "only a stored row can be deleted"
        key = zip(inspect(self.model).primary_key, state.identity, strict=True)
        statement = delete(self.model).where(*(column == value for column, value in key))
        result = await self.session.execute(statement)
        assert isinstance(result, CursorResult)
        if result.rowcount != 1:
            table = self.model.__tablename__
            raise StaleDataError(
                f"DELETE statement on table '{table}' expected to delete 1 row(s); "
                f"{result.rowcount} were matched."
            )
