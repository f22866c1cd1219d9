"""Writing and reading the security log.

An event is written in the same transaction as the change it records: `record` adds it to
the request's unit of work, so the change and its record commit or roll back together, at no
extra round trip. What is recorded about a request that fails (a wrong password) goes
through `record_alone`, in a transaction of its own.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.client import ClientInfo
from app.core.pagination import Page, PageParams
from app.security.models import SecurityEvent, SecurityEventKind
from app.security.repository import SecurityEventRepository
from app.security.schemas import SecurityEventFilters, SecurityEventRead


def new_event(
    event: SecurityEventKind,
    *,
    user_id: uuid.UUID | None,
    client: ClientInfo,
    actor_id: uuid.UUID | None = None,
) -> SecurityEvent:
    return SecurityEvent(
        event=event.value,
        user_id=user_id,
        actor_id=actor_id if actor_id is not None else user_id,
        ip=client.ip,
        user_agent=client.user_agent,
    )


class SecurityLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.events = SecurityEventRepository(session)

    def record(
        self,
        event: SecurityEventKind,
        *,
        user_id: uuid.UUID | None,
        client: ClientInfo,
        actor_id: uuid.UUID | None = None,
    ) -> None:
        """Record `event` with the request's own changes (written when they are)."""
        self.events.add(new_event(event, user_id=user_id, client=client, actor_id=actor_id))

    async def for_user(self, user_id: uuid.UUID, page: PageParams) -> Page[SecurityEventRead]:
        items, total = await self.events.list(page, self.events.of_user(user_id))
        return page.page(SecurityEventRead, items, total)

    async def search(
        self, page: PageParams, filters: SecurityEventFilters
    ) -> Page[SecurityEventRead]:
        items, total = await self.events.list(page, self.events.filters(filters))
        return page.page(SecurityEventRead, items, total)


async def record_alone(
    sessionmaker: async_sessionmaker[AsyncSession],
    event: SecurityEventKind,
    *,
    user_id: uuid.UUID | None,
    client: ClientInfo,
    actor_id: uuid.UUID | None = None,
) -> None:
    """Record `event` in a transaction of its own: for a request that is about to fail."""
    async with sessionmaker() as session:
        session.add(new_event(event, user_id=user_id, client=client, actor_id=actor_id))
        await session.commit()
