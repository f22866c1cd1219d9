"""Input and output shapes of the account lifecycle (docs/api.md, Account lifecycle)."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from app.core.schemas import InputModel
from app.users.schemas import Email, Password

# token_urlsafe(32) gives 43 characters; anything far longer is not one of ours.
LinkTokenStr = Annotated[str, StringConstraints(min_length=1, max_length=512)]


class VerifyEmailRequest(InputModel):
    token: LinkTokenStr


class EmailRequest(InputModel):
    email: Email


class ResetPasswordRequest(InputModel):
    token: LinkTokenStr
    new_password: Password
