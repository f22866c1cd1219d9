"""Named dependency types for what the application owns (set up by its lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from app.core.config import Settings
from app.core.security import PasswordHasher, TokenCodec


def get_app_settings(conn: HTTPConnection) -> Settings:
    settings: Settings = conn.app.state.settings
    return settings


def get_hasher(conn: HTTPConnection) -> PasswordHasher:
    hasher: PasswordHasher = conn.app.state.hasher
    return hasher


def get_token_codec(conn: HTTPConnection) -> TokenCodec:
    codec: TokenCodec = conn.app.state.token_codec
    return codec


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
HasherDep = Annotated[PasswordHasher, Depends(get_hasher)]
TokenCodecDep = Annotated[TokenCodec, Depends(get_token_codec)]
