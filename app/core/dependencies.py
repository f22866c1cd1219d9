"""Named dependency types for what the application owns (set up by its lifespan).

Dependencies are `async def` even when they await nothing: FastAPI runs a plain `def`
dependency in its thread pool, and a hop to a thread and back on every request costs more
than the dependency itself (and contends for the GIL with the event loop).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from app.core.config import Settings
from app.core.security import PasswordHasher, TokenCodec


async def get_app_settings(conn: HTTPConnection) -> Settings:
    settings: Settings = conn.app.state.settings
    return settings


async def get_hasher(conn: HTTPConnection) -> PasswordHasher:
    hasher: PasswordHasher = conn.app.state.hasher
    return hasher


async def get_token_codec(conn: HTTPConnection) -> TokenCodec:
    codec: TokenCodec = conn.app.state.token_codec
    return codec


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
HasherDep = Annotated[PasswordHasher, Depends(get_hasher)]
TokenCodecDep = Annotated[TokenCodec, Depends(get_token_codec)]
