from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.client import ClientDep
from app.db.session import SessionDep
from app.tokens.service import PersonalTokenService


async def get_personal_token_service(
    session: SessionDep, client: ClientDep
) -> PersonalTokenService:
    return PersonalTokenService(session, client=client)


PersonalTokenServiceDep = Annotated[PersonalTokenService, Depends(get_personal_token_service)]
