"""Input and output shapes of the accounts domain (docs/api.md, section Users)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import email_validator
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)

from app.core.schemas import InputModel, ReadModel
from app.core.types import HttpUrlStr, text
from app.db.base import IdMixin, TimestampMixin
from app.users.models import UserBase

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,50}$"
PERMISSION_PATTERN = r"^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.*-]+)*$"
EMAIL_MAX_LENGTH = 254


def _normalise_email(value: str) -> str:
    if len(value) > EMAIL_MAX_LENGTH:
        raise ValueError(f"an email address has at most {EMAIL_MAX_LENGTH} characters")
    return value.lower()


Username = Annotated[str, StringConstraints(min_length=3, max_length=50, pattern=USERNAME_PATTERN)]


def _bare_address(value: object) -> object:
    # EmailStr also accepts "Name <addr>"; an account's email is the bare address only.
    if isinstance(value, str) and ("<" in value or ">" in value):
        raise ValueError("give the bare address, without a display name")
    return value


def _valid_address(value: str) -> str:
    # Pydantic's EmailStr, but `.test` (RFC 6761, reserved for testing) is a valid domain:
    # the schema's `format: email` cannot exclude it, so clients and test tools use it.
    try:
        parts = email_validator.validate_email(
            value.strip(), check_deliverability=False, test_environment=True
        )
    except email_validator.EmailNotValidError as exc:
        raise ValueError(f"value is not a valid email address: {exc}") from exc
    return str(parts.normalized)


Email = Annotated[
    str,
    BeforeValidator(_bare_address),
    AfterValidator(_valid_address),
    AfterValidator(_normalise_email),
    WithJsonSchema({"type": "string", "format": "email"}, mode="validation"),
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
FullName = Annotated[str, text(max_length=100)]
Permission = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=PERMISSION_PATTERN)
]
Permissions = Annotated[list[Permission], Field(max_length=100)]


class UserCreate(InputModel):
    username: Username
    email: Email
    password: Password
    full_name: FullName | None = None


class UserCreateAdmin(UserCreate):
    is_active: StrictBool = True
    is_superuser: StrictBool = False
    is_verified: StrictBool = False
    permissions: Permissions = Field(default_factory=list)


class UserUpdateMe(InputModel):
    """Fields a user may change on their own account. Omitted fields stay as they are.

    The defaults are None only to tell "omitted" apart: an explicit null for a field that
    cannot be null is refused (422), as the schema says.
    """

    username: Username = Field(default=None)  # type: ignore[assignment]
    email: Email = Field(default=None)  # type: ignore[assignment]
    full_name: FullName | None = None
    password: Password = Field(default=None)  # type: ignore[assignment]


class UserUpdate(UserUpdateMe):
    """`PATCH /users/{id}`: the administrative fields are for superusers only."""

    is_active: StrictBool = Field(default=None)  # type: ignore[assignment]
    is_superuser: StrictBool = Field(default=None)  # type: ignore[assignment]
    is_verified: StrictBool = Field(default=None)  # type: ignore[assignment]
    permissions: Permissions = Field(default=None)  # type: ignore[arg-type]


BULK_MAX_USERS = 1000


class UserBulkCreate(InputModel):
    """`POST /users/bulk`: 1..1000 users shaped as for `POST /users`, all or nothing."""

    users: Annotated[list[UserCreateAdmin], Field(min_length=1, max_length=BULK_MAX_USERS)]


ADMIN_FIELDS = frozenset({"is_active", "is_superuser", "is_verified", "permissions"})


# A user as every response shows it: the id, UserBase's fields, the timestamps (in this order:
# pydantic lists the fields of the last base first). No docstring: it would become the
# schema's description.
class UserRead(ReadModel, TimestampMixin, UserBase, IdMixin):
    pass


class UserFilters(BaseModel):
    username: Annotated[str, text(max_length=254)] | None = Field(
        default=None, description="Case-insensitive substring"
    )
    email: Annotated[str, text(max_length=254)] | None = Field(
        default=None, description="Exact address, any letter case"
    )
    is_active: bool | None = None


class ProfileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: uuid.UUID
    bio: str | None
    avatar_url: str | None
    updated_at: datetime


class ProfileUpdate(InputModel):
    """`PUT` replaces the profile: an omitted field becomes null."""

    bio: Annotated[str, text(max_length=5000)] | None = None
    avatar_url: HttpUrlStr | None = None


class NotifyRequest(InputModel):
    message: Annotated[str, text(min_length=1, max_length=5000)] = "Welcome to our platform!"


class MessageResponse(BaseModel):
    message: str
