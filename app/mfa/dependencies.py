from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.dependencies import HasherDep, SettingsDep
from app.db.session import SessionDep
from app.mfa.service import MfaService


async def get_mfa_service(
    session: SessionDep, hasher: HasherDep, settings: SettingsDep
) -> MfaService:
    return MfaService(session, hasher, settings)


MfaServiceDep = Annotated[MfaService, Depends(get_mfa_service)]
