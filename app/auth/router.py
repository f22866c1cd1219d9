from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from app.accounts.dependencies import AccountServiceDep
from app.auth.dependencies import AuthServiceDep, CurrentPrincipal
from app.auth.schemas import RefreshRequest, SessionRead, Token
from app.core.errors import (
    Conflict,
    EmailNotVerified,
    InactiveUser,
    InvalidCredentials,
    InvalidToken,
    NotAuthenticated,
    NotFound,
    RateLimited,
    responses,
)
from app.core.ratelimit import login_rate_limit
from app.mfa.dependencies import MfaServiceDep
from app.mfa.schemas import MfaRequired
from app.notifications.dependencies import MailerDep
from app.notifications.email import welcome_email
from app.users.dependencies import UserServiceDep
from app.users.models import User
from app.users.schemas import UserCreate, UserRead

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=responses(Conflict),
)
async def register(
    data: UserCreate, users: UserServiceDep, mailer: MailerDep, accounts: AccountServiceDep
) -> User:
    """Create an account; a welcome email and a verification link follow in the background."""
    user = await users.register(data)
    mailer.send_later(welcome_email(user.email, user.username))
    mailer.send_later(await accounts.verification_email(user))
    return user


@router.post(
    "/login",
    response_model=Token | MfaRequired,
    responses=responses(InvalidCredentials, InactiveUser, EmailNotVerified, RateLimited),
    dependencies=[Depends(login_rate_limit)],
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    auth: AuthServiceDep,
    mfa: MfaServiceDep,
) -> Token | MfaRequired:
    """OAuth2 password flow: `username` may be the username or the email, in any case.

    With two-factor on, the answer is `mfa_required` and an `mfa_token` instead of tokens:
    finish at POST /auth/login/mfa with a code.
    """
    user = await auth.authenticate(form.username, form.password)
    if user.mfa_enabled:
        return await mfa.start_login(user)
    return await auth.start_session(user)


@router.post("/refresh", response_model=Token, responses=responses(InvalidToken, InactiveUser))
async def refresh(data: RefreshRequest, auth: AuthServiceDep) -> Token:
    """Trade a refresh token for a new pair. A token presented twice ends its login."""
    return await auth.refresh(data.refresh_token)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(InvalidToken, InactiveUser),
)
async def logout(data: RefreshRequest, auth: AuthServiceDep) -> None:
    """End this login: its access and refresh tokens stop working."""
    await auth.logout(data.refresh_token)


# --- the caller's logins --------------------------------------------------------------------

signed_in = responses(NotAuthenticated, InactiveUser)


@router.get("/sessions", response_model=list[SessionRead], responses=signed_in)
async def list_sessions(caller: CurrentPrincipal, auth: AuthServiceDep) -> list[SessionRead]:
    """The caller's live logins, newest first; `current` marks the one asking."""
    return await auth.list_sessions(caller.user.id, caller.session_id)


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**signed_in, **responses(NotFound)},
)
async def revoke_session(
    session_id: uuid.UUID, caller: CurrentPrincipal, auth: AuthServiceDep
) -> None:
    """End one of the caller's logins: its tokens stop working at once."""
    await auth.revoke_session(caller.user.id, session_id)


@router.delete("/sessions", status_code=status.HTTP_204_NO_CONTENT, responses=signed_in)
async def revoke_other_sessions(caller: CurrentPrincipal, auth: AuthServiceDep) -> None:
    """End every login of the caller but the current one."""
    await auth.revoke_other_sessions(caller.user.id, caller.session_id)
