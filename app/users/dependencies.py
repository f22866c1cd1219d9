from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from app.core.client import ClientDep
from app.core.dependencies import HasherDep
from app.core.state import state_of
from app.db.session import SessionDep, StreamSessionDep
from app.users.models import User
from app.users.service import UserService, existing_user


async def get_user_service(
    session: SessionDep, hasher: HasherDep, client: ClientDep
) -> UserService:
    return UserService(session, hasher, client=client)


UserServiceDep = Annotated[UserService, Depends(get_user_service)]


async def get_user_stream_service(session: StreamSessionDep, hasher: HasherDep) -> UserService:
    """The service on a session that lives as long as a streamed response."""
    return UserService(session, hasher)


UserStreamServiceDep = Annotated[UserService, Depends(get_user_stream_service)]


async def valid_user_id(user_id: uuid.UUID, conn: HTTPConnection) -> User:
    """The user named in the path, or 404: read outside the request's unit of work (one
    round trip, app/db/direct.py); a route that changes the user `add`s it to its own."""
    return await existing_user(state_of(conn.scope).db.direct, user_id)


PathUser = Annotated[User, Depends(valid_user_id)]
