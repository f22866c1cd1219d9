"""Named dependency types for what the application owns (`AppState`, built by the lifespan).

Dependencies are `async def` even when they await nothing: FastAPI runs a plain `def`
dependency in its thread pool, and a hop to a thread and back on every request costs more
than the dependency itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.config import Settings
from app.core.security import PasswordHasher, TokenCodec
from app.core.state import StateDep


async def get_app_settings(state: StateDep) -> Settings:
    return state.settings


async def get_hasher(state: StateDep) -> PasswordHasher:
    return state.hasher


async def get_token_codec(state: StateDep) -> TokenCodec:
    return state.token_codec


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
HasherDep = Annotated[PasswordHasher, Depends(get_hasher)]
TokenCodecDep = Annotated[TokenCodec, Depends(get_token_codec)]
