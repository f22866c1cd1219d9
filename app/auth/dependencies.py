"""Who is calling: `CurrentPrincipal` (the user and the credential they used), and derived
from it `CurrentUser`, `OptionalUser`, `SuperUser`, `require_permission(...)`."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.auth.service import AuthService
from app.core.caller import remember_caller
from app.core.client import ClientDep
from app.core.dependencies import HasherDep, SettingsDep, TokenCodecDep
from app.core.errors import Forbidden, NotAuthenticated
from app.core.state import StateDep
from app.db.session import SessionDep
from app.tokens.access import authenticate_personal_token
from app.tokens.service import is_personal_token
from app.users.models import User
from app.users.repository import UserRepository

TOKEN_URL = "/api/v1/auth/login"  # noqa: S105 (a URL, not a secret)

# auto_error=False: a missing token is our own 401 `not_authenticated`, in the API's shape.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]


ALL_SCOPES = frozenset({"read", "write"})


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller, and what their credential allows."""

    user: User
    session_id: uuid.UUID | None  # the login (refresh-token family) of an access token
    token_id: uuid.UUID | None = None  # set when a personal access token made the request
    scopes: frozenset[str] = ALL_SCOPES


async def get_auth_service(
    session: SessionDep,
    hasher: HasherDep,
    codec: TokenCodecDep,
    settings: SettingsDep,
    client: ClientDep,
    state: StateDep,
) -> AuthService:
    return AuthService(
        session, hasher, codec, settings, client=client, sessionmaker=state.db.sessionmaker
    )


AuthServiceDep = Annotated[AuthService, Depends(get_auth_service)]


async def get_optional_principal(
    request: Request, token: TokenDep, auth: AuthServiceDep, state: StateDep
) -> Principal | None:
    """The caller if a token was sent (it must be valid then), else None."""
    if token is None:
        return None
    if is_personal_token(token):  # its scopes and limits are enforced there, for every route
        row, user = await authenticate_personal_token(request, token, auth.session)
        principal = Principal(
            user=user, session_id=None, token_id=row.id, scopes=frozenset(row.scopes)
        )
    else:
        user, session_id = await auth.user_for_access_token(token)
        principal = Principal(user=user, session_id=session_id)
    user_id = user.id

    async def still_exists() -> bool:
        # The request's own session may be the one that failed: ask in a session of its own.
        async with state.db.sessionmaker() as session:
            return await UserRepository(session).get(user_id) is not None

    remember_caller(request.scope, still_exists)
    return principal


async def get_current_principal(
    principal: Annotated[Principal | None, Depends(get_optional_principal)],
) -> Principal:
    if principal is None:
        raise NotAuthenticated()
    return principal


async def get_optional_user(
    principal: Annotated[Principal | None, Depends(get_optional_principal)],
) -> User | None:
    return None if principal is None else principal.user


async def get_current_user(
    principal: Annotated[Principal, Depends(get_current_principal)],
) -> User:
    return principal.user


async def get_superuser(user: Annotated[User, Depends(get_current_user)]) -> User:
    if not user.is_superuser:
        raise Forbidden("Superuser privileges required")
    return user


def require_permission(permission: str) -> Callable[..., Awaitable[User]]:
    """A dependency that passes callers holding `permission` (superusers hold them all)."""

    async def check(user: Annotated[User, Depends(get_current_user)]) -> User:
        if not user.has_permission(permission):
            raise Forbidden(f"Permission '{permission}' required")
        return user

    return check


CurrentPrincipal = Annotated[Principal, Depends(get_current_principal)]
OptionalUser = Annotated[User | None, Depends(get_optional_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]
SuperUser = Annotated[User, Depends(get_superuser)]
