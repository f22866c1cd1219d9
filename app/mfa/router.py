"""Two-factor sign-in: setting it up, turning it off, backup codes, the second login step."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from app.auth.dependencies import AuthServiceDep, CurrentUser
from app.auth.schemas import Token
from app.core.errors import (
    InactiveUser,
    InsufficientScope,
    InvalidCode,
    InvalidCredentials,
    InvalidLoginCode,
    InvalidToken,
    MfaAlreadyEnabled,
    MfaNotEnabled,
    NotAuthenticated,
    RateLimited,
    responses,
)
from app.core.ratelimit import enforce_login_limit
from app.mfa.dependencies import MfaServiceDep
from app.mfa.schemas import (
    BackupCodes,
    MfaLoginRequest,
    PasswordAndCode,
    TotpConfirmRequest,
    TotpSetup,
    TotpSetupRequest,
)

router = APIRouter(prefix="/auth", tags=["auth"])

# Every route here but the login step needs a signed-in caller, and never a personal token.
SIGNED_IN = (NotAuthenticated, InactiveUser, InsufficientScope)


@router.post(
    "/mfa/totp/setup",
    response_model=TotpSetup,
    responses=responses(*SIGNED_IN, MfaAlreadyEnabled, InvalidCredentials),
)
async def setup_totp(data: TotpSetupRequest, me: CurrentUser, mfa: MfaServiceDep) -> TotpSetup:
    """A new TOTP secret for an authenticator app (pending until confirmed with a code); a
    setup started earlier and not confirmed is replaced."""
    return await mfa.setup(me, data.password)


@router.post(
    "/mfa/totp/confirm",
    response_model=BackupCodes,
    responses=responses(*SIGNED_IN, InvalidCode, MfaNotEnabled),
)
async def confirm_totp(
    data: TotpConfirmRequest, me: CurrentUser, mfa: MfaServiceDep
) -> BackupCodes:
    """Turn two-factor on with a code from the app; the 10 backup codes, shown this once."""
    return BackupCodes(backup_codes=await mfa.confirm(me, data.code))


@router.post(
    "/mfa/totp/disable",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*SIGNED_IN, InvalidCode, MfaNotEnabled, InvalidCredentials),
)
async def disable_totp(data: PasswordAndCode, me: CurrentUser, mfa: MfaServiceDep) -> None:
    """Turn two-factor off: the password and a TOTP or backup code."""
    await mfa.disable(me, data.password, data.code)


@router.post(
    "/mfa/backup-codes",
    response_model=BackupCodes,
    responses=responses(*SIGNED_IN, InvalidCode, MfaNotEnabled, InvalidCredentials),
)
async def regenerate_backup_codes(
    data: PasswordAndCode, me: CurrentUser, mfa: MfaServiceDep
) -> BackupCodes:
    """Ten new backup codes (the password and a TOTP or backup code); the old ones stop
    working."""
    codes, _kind = await mfa.regenerate_backup_codes(me, data.password, data.code)
    return BackupCodes(backup_codes=codes)


@router.post(
    "/login/mfa",
    response_model=Token,
    responses=responses(InvalidToken, InvalidLoginCode, InactiveUser, RateLimited),
)
async def login_mfa(
    data: MfaLoginRequest, request: Request, mfa: MfaServiceDep, auth: AuthServiceDep
) -> Token:
    """The second step of a login with two-factor on: the `mfa_token` POST /auth/login gave
    and a TOTP or backup code. The fifth wrong code ends the `mfa_token`."""
    challenge, user = await mfa.challenge_for(data.mfa_token)
    # RATE_LIMIT_LOGIN covers this step too, per address and the user the token names.
    await enforce_login_limit(request, f"mfa:{user.id}")
    await mfa.complete_login(challenge, user, data.code)
    return await auth.start_session(user)
