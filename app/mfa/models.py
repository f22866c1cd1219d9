"""Tables of two-factor sign-in: a user's TOTP secret, backup codes, and pending logins.

The TOTP secret is stored encrypted (app/mfa/crypto.py), backup codes and `mfa_token`s only
as keyed or plain digests: a database dump alone gives away neither the second factor nor a
way past it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey
from sqlmodel import Field, SQLModel

from app.db.base import IdMixin, UTCDateTime, utcnow


class TotpSecret(SQLModel, table=True):
    """A user's authenticator secret: pending until a code confirms it (`confirmed_at`)."""

    __tablename__ = "mfa_totp"

    user_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    secret_encrypted: str = Field(max_length=255)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The 30-second step of the last code accepted: a code of that step or an earlier one
    # is refused, so each code works once.
    last_used_step: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class BackupCode(IdMixin, table=True):
    __tablename__ = "mfa_backup_codes"

    user_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    code_hash: str = Field(max_length=64)  # HMAC-SHA-256, keyed from SECRET_KEY
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MfaChallenge(IdMixin, table=True):
    """The first step of a login with two-factor on: its `mfa_token`, stored as a digest."""

    __tablename__ = "mfa_challenges"

    user_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    failed_attempts: int = Field(default=0, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
