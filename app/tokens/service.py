"""Personal access tokens: created, listed and revoked by their owner; checked on each
request that presents one (app/auth/dependencies.py).

A token is `agora_pat_` + 43 URL-safe random characters (256 bits). It is stored only as its
SHA-256 digest, found by that digest (an indexed lookup; the digests are compared again in
constant time), and its `prefix` (the first 16 characters) tells tokens apart in a list.
`last_used_at` is written at most once a minute per token, not on every request.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.client import UNKNOWN_CLIENT, ClientInfo
from app.core.errors import InactiveUser, InvalidToken, NotFound
from app.core.security import token_digest
from app.db.base import utcnow
from app.security.models import SecurityEventKind
from app.security.service import SecurityLog
from app.tokens.models import PersonalToken
from app.tokens.repository import PersonalTokenRepository
from app.tokens.schemas import PersonalTokenCreate, PersonalTokenCreated
from app.users.models import User

TOKEN_PREFIX = "agora_pat_"  # noqa: S105 (the marker of a personal token, not a secret)
PREFIX_LENGTH = 16
LAST_USED_GRANULARITY = timedelta(minutes=1)


def is_personal_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class PersonalTokenService:
    def __init__(self, session: AsyncSession, *, client: ClientInfo = UNKNOWN_CLIENT) -> None:
        self.session = session
        self.client = client  # recorded with the security events
        self.tokens = PersonalTokenRepository(session)
        self.log = SecurityLog(session)

    async def create(self, user: User, data: PersonalTokenCreate) -> PersonalTokenCreated:
        token = new_token()
        now = utcnow()
        row = self.tokens.add(
            PersonalToken(
                user_id=user.id,
                name=data.name,
                token_hash=token_digest(token),
                prefix=token[:PREFIX_LENGTH],
                scopes=list(data.scopes),
                created_at=now,
                expires_at=(
                    None
                    if data.expires_in_days is None
                    else now + timedelta(days=data.expires_in_days)
                ),
            )
        )
        self.log.record(SecurityEventKind.TOKEN_CREATED, user_id=user.id, client=self.client)
        await self.session.flush()
        return PersonalTokenCreated.model_validate({**row.model_dump(), "token": token})

    async def list_for(self, user: User) -> list[PersonalToken]:
        return await self.tokens.for_user(user.id)

    async def revoke(self, user: User, token_id: uuid.UUID) -> None:
        """Delete one of the user's tokens (404 for an unknown one or another user's)."""
        if not await self.tokens.delete_for_user(token_id, user.id):
            raise NotFound("Personal access token not found")
        self.log.record(SecurityEventKind.TOKEN_REVOKED, user_id=user.id, client=self.client)

    async def revoke_all_for_user(self, user_id: uuid.UUID) -> None:
        """End every personal token of the user for good (a password reset does this)."""
        await self.tokens.delete_all_for_user(user_id)

    async def authenticate(self, token: str) -> tuple[PersonalToken, User]:
        """The token and its owner: 401 `invalid_token` for an unknown, revoked or expired
        token, 403 `inactive_user` while the owner is deactivated."""
        digest = token_digest(token)
        found = await self.tokens.find(digest)
        if found is None:
            raise InvalidToken()
        row, user = found
        now = utcnow()
        if not hmac.compare_digest(row.token_hash, digest) or (
            row.expires_at is not None and row.expires_at <= now
        ):
            raise InvalidToken()
        if not user.is_active:
            raise InactiveUser()
        if row.last_used_at is None or row.last_used_at <= now - LAST_USED_GRANULARITY:
            await self.tokens.touch(row.id, now, not_since=now - LAST_USED_GRANULARITY)
        return row, user
