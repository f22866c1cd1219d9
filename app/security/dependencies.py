from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.db.session import SessionDep
from app.security.service import SecurityLog


async def get_security_log(session: SessionDep) -> SecurityLog:
    return SecurityLog(session)


SecurityLogDep = Annotated[SecurityLog, Depends(get_security_log)]
