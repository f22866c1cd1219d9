"""The page envelope and the one pagination dependency every list endpoint uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

T = TypeVar("T")

MAX_LIMIT = 100
MAX_SKIP = 2**53 - 1  # beyond this no database offset makes sense; reject instead of a 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    skip: int
    limit: int


class PageParams:
    def __init__(
        self,
        skip: Annotated[int, Query(ge=0, le=MAX_SKIP, description="Rows to skip")] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = 20,
    ) -> None:
        self.skip = skip
        self.limit = limit

    def page(self, schema: type[T], items: Sequence[object], total: int) -> Page[T]:
        """Validate rows (ORM objects) into `Page[schema]` once; FastAPI passes it through."""
        model: type[Page[T]] = Page[schema]  # type: ignore[valid-type]
        return model.model_validate(
            {"items": items, "total": total, "skip": self.skip, "limit": self.limit},
            from_attributes=True,
        )


async def page_params(
    skip: Annotated[int, Query(ge=0, le=MAX_SKIP, description="Rows to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = 20,
) -> PageParams:
    # A coroutine, not the class itself: FastAPI would call a class in its thread pool.
    return PageParams(skip, limit)


PageDep = Annotated[PageParams, Depends(page_params)]
