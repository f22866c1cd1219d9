"""Link tokens: the secrets in the links of account emails (verify the address, reset the
password).

The token itself is only ever in the email; the table keeps its SHA-256 digest. A token works
once (`used_at`), until `expires_at`; issuing a new one for the same user and purpose deletes
the earlier ones (used, expired or not), so the table stays at a row or two per user.
Unknown, used, expired and superseded tokens are refused alike.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey
from sqlmodel import AutoString, Field

from app.db.base import IdMixin, UTCDateTime, utcnow


class LinkPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose, not a secret)


class LinkToken(IdMixin, table=True):
    __tablename__ = "link_tokens"

    user_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    purpose: str = Field(sa_type=AutoString(20))  # a LinkPurpose
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
