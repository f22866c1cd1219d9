from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.client import ClientDep
from app.core.dependencies import HasherDep, SettingsDep
from app.db.session import SessionDep
from app.mfa.service import MfaService


async def get_mfa_service(
    session: SessionDep, hasher: HasherDep, settings: SettingsDep, client: ClientDep
) -> MfaService:
    return MfaService(session, hasher, settings, client=client)


MfaServiceDep = Annotated[MfaService, Depends(get_mfa_service)]
