"""Shapes of two-factor sign-in (docs/api.md, "Two-factor sign-in and personal access tokens")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, StringConstraints

from app.core.schemas import InputModel

# A TOTP code (6 digits) or a backup code (`abcde-fghjk`), with the spaces or dashes people
# type; anything longer cannot be either.
Code = Annotated[str, StringConstraints(min_length=1, max_length=32)]
# Checked against the stored hash only: the rules of a new password do not apply.
CurrentPassword = Annotated[str, StringConstraints(min_length=1, max_length=128)]
MfaToken = Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class TotpSetupRequest(InputModel):
    password: CurrentPassword


class TotpSetup(BaseModel):
    secret: str
    otpauth_uri: str


class TotpConfirmRequest(InputModel):
    code: Code


class PasswordAndCode(InputModel):
    """Disabling two-factor or renewing backup codes: the password and a TOTP or backup code."""

    password: CurrentPassword
    code: Code


class BackupCodes(BaseModel):
    backup_codes: list[str]


class MfaRequired(BaseModel):
    """The answer of POST /auth/login when the user has two-factor on: no tokens yet."""

    mfa_required: Literal[True] = True
    mfa_token: str
    token_type: Literal["mfa"] = "mfa"  # noqa: S105 (a kind of token, not a secret)
    expires_in: int


class MfaLoginRequest(InputModel):
    mfa_token: MfaToken
    code: Code
