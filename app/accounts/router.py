"""Email verification and password reset (docs/api.md, Account lifecycle), under /auth."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from app.accounts.dependencies import (
    AccountServiceDep,
    AfterResponseDep,
    forgot_rate_limit,
    resend_rate_limit,
)
from app.accounts.schemas import EmailRequest, ResetPasswordRequest, VerifyEmailRequest
from app.core.errors import RateLimited, TokenInvalid, responses
from app.users.models import User
from app.users.schemas import MessageResponse, UserRead

router = APIRouter(prefix="/auth", tags=["auth"])

# The same answer whether or not the address has an account: it tells a caller nothing.
RESEND_ACCEPTED = "If this address belongs to an unverified account, a new link is on its way"
FORGOT_ACCEPTED = "If this address belongs to an account, a password reset link is on its way"


@router.post("/verify-email", response_model=UserRead, responses=responses(TokenInvalid))
async def verify_email(data: VerifyEmailRequest, accounts: AccountServiceDep) -> User:
    """Confirm an email address with the token of its verification link."""
    return await accounts.verify_email(data.token)


@router.post(
    "/verify-email/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageResponse,
    responses=responses(RateLimited),
    dependencies=[Depends(resend_rate_limit)],
)
async def resend_verification(data: EmailRequest, after: AfterResponseDep) -> MessageResponse:
    """A new verification link for an active, unverified account (earlier links end). The
    answer, and its timing, are the same for any address: the work follows the response."""
    email = data.email
    after.run(lambda accounts: accounts.resend_verification(email))
    return MessageResponse(message=RESEND_ACCEPTED)


@router.post(
    "/forgot-password",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageResponse,
    responses=responses(RateLimited),
    dependencies=[Depends(forgot_rate_limit)],
)
async def forgot_password(data: EmailRequest, after: AfterResponseDep) -> MessageResponse:
    """Email a password reset link to an active account (earlier links end). The answer, and
    its timing, are the same for an address without an account: the work follows the
    response."""
    email = data.email
    after.run(lambda accounts: accounts.forgot_password(email))
    return MessageResponse(message=FORGOT_ACCEPTED)


@router.post(
    "/reset-password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(TokenInvalid),
)
async def reset_password(data: ResetPasswordRequest, accounts: AccountServiceDep) -> None:
    """Choose a new password with the token of a reset link: every login of the user ends."""
    await accounts.reset_password(data.token, data.new_password)
