"""Who is calling: `CurrentPrincipal` (the user and the credential they used), and derived
from it `CurrentUser`, `OptionalUser`, `SuperUser`, `require_permission(...)`."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.auth.service import AuthService, caller_of_access_token
from app.core.caller import remember_caller
from app.core.client import ClientDep
from app.core.dependencies import HasherDep, SettingsDep, TokenCodecDep
from app.core.errors import Forbidden, NotAuthenticated
from app.core.state import StateDep, state_of
from app.db.session import SessionDep
from app.tokens.access import authenticate_personal_token
from app.tokens.service import is_personal_token
from app.users.models import User
from app.users.repository import find_user

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


# Where a request keeps its caller once authenticated (the dependencies below share it).
_PRINCIPAL_KEY = "agora.principal"


async def _principal(request: Request, token: str | None) -> Principal | None:
    """The caller if a token was sent (it must be valid then), else None: authenticated once
    per request, whichever of the dependencies below asks first.

    Every authenticated request runs this, so the dependencies stay flat (each is one node
    beside the token's: no chain of dependencies to solve), the app's state comes from the
    scope, and the caller is looked up outside the request's unit of work: an access token by
    `caller_of_access_token` (one round trip on the driver), a personal token in a unit of
    work of its own, which records its use. The user is in no session: a route that changes
    it `add`s it to its own unit of work.
    """
    scope = request.scope
    if _PRINCIPAL_KEY in scope:
        cached: Principal | None = scope[_PRINCIPAL_KEY]
        return cached
    if token is None:
        scope[_PRINCIPAL_KEY] = None
        return None
    state = state_of(scope)
    if is_personal_token(token):  # its scopes and limits are enforced there, for every route
        async with state.db.sessionmaker() as session:
            row, user = await authenticate_personal_token(request, token, session)
            await session.commit()
        principal = Principal(
            user=user, session_id=None, token_id=row.id, scopes=frozenset(row.scopes)
        )
    else:
        user, session_id = await caller_of_access_token(state.token_codec, state.db.direct, token)
        principal = Principal(user=user, session_id=session_id)
    direct, user_id = state.db.direct, user.id

    async def still_exists() -> bool:
        # Outside the request's unit of work, which may be the one that failed.
        return await find_user(direct, user_id) is not None

    remember_caller(scope, still_exists)
    scope[_PRINCIPAL_KEY] = principal
    return principal


async def get_optional_principal(request: Request, token: TokenDep) -> Principal | None:
    return await _principal(request, token)


async def get_current_principal(request: Request, token: TokenDep) -> Principal:
    principal = await _principal(request, token)
    if principal is None:
        raise NotAuthenticated()
    return principal


async def get_optional_user(request: Request, token: TokenDep) -> User | None:
    principal = await _principal(request, token)
    return None if principal is None else principal.user


async def get_current_user(request: Request, token: TokenDep) -> User:
    return (await get_current_principal(request, token)).user


async def get_superuser(request: Request, token: TokenDep) -> User:
    user = await get_current_user(request, token)
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
