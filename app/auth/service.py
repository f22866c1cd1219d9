"""Logins, token pairs, rotation with reuse detection, logout, and the caller's sessions.

Each change here is recorded in the security log in the same transaction; a failed login in
a transaction of its own (the request fails, and its unit of work rolls back).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.models import AuthSession, RefreshToken
from app.auth.repository import (
    AuthSessionRepository,
    RefreshTokenRepository,
    find_active_user,
)
from app.auth.schemas import SessionRead, Token
from app.core.client import UNKNOWN_CLIENT, ClientInfo
from app.core.config import Settings
from app.core.errors import (
    EmailNotVerified,
    InactiveUser,
    InvalidCredentials,
    InvalidToken,
    NotFound,
)
from app.core.security import PasswordHasher, TokenCodec, TokenKind, token_digest
from app.db.base import new_id, utcnow
from app.db.direct import Direct
from app.db.session import release_connection
from app.security.models import SecurityEventKind
from app.security.service import SecurityLog, record_alone
from app.users.models import User
from app.users.repository import UserRepository


async def caller_of_access_token(
    codec: TokenCodec, direct: Direct, access_token: str
) -> tuple[User, uuid.UUID]:
    """The caller behind an access token, and the login (session id) it belongs to: the one
    query of every request that sends one, on the driver (app/db/direct.py), so a revoked
    login is refused on the very next request, in every process."""
    claims = codec.decode(access_token, TokenKind.ACCESS)
    user = await find_active_user(direct, claims.user_id, claims.session_id)
    if user is None:  # the login was revoked, or the user deleted
        raise InvalidToken()
    if not user.is_active:
        raise InactiveUser()
    return user, claims.session_id


class AuthService:
    def __init__(
        self,
        session: AsyncSession,
        hasher: PasswordHasher,
        codec: TokenCodec,
        settings: Settings,
        *,
        client: ClientInfo = UNKNOWN_CLIENT,
        sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.session = session
        self.hasher = hasher
        self.codec = codec
        self.settings = settings
        self.client = client  # who is asking: recorded with logins and security events
        self.sessionmaker = sessionmaker  # for what is recorded although the request fails
        self.users = UserRepository(session)
        self.logins = AuthSessionRepository(session)
        self.refresh_tokens = RefreshTokenRepository(session)
        self.log = SecurityLog(session)

    async def authenticate(self, identifier: str, password: str) -> User:
        """The user with these credentials. Unknown user and wrong password look the same."""
        user = await self.users.get_by_login(identifier)
        await release_connection(self.session)  # not held while Argon2 works
        if user is None:
            await self.hasher.dummy_verify(password)
            await self._record_failed_login(None)
            raise InvalidCredentials()
        valid, new_hash = await self.hasher.verify_and_update(password, user.hashed_password)
        if not valid:
            await self._record_failed_login(user.id)
            raise InvalidCredentials()
        if new_hash is not None:  # an old bcrypt hash, or outdated Argon2 parameters
            user.hashed_password = new_hash
        if not user.is_active:
            raise InactiveUser()
        if self.settings.EMAIL_VERIFICATION_REQUIRED and not user.is_verified:
            raise EmailNotVerified()  # after the password: tells nothing to others
        return user

    async def start_session(self, user: User) -> Token:
        """A new login for `user` and its first token pair."""
        return await self._issue(self.open_login(user))

    def open_login(self, user: User) -> AuthSession:
        """A new login for `user` (recorded), without tokens: the admin console's cookie."""
        login = self.logins.add(
            AuthSession(user_id=user.id, ip=self.client.ip, user_agent=self.client.user_agent)
        )
        self.log.record(SecurityEventKind.LOGIN, user_id=user.id, client=self.client)
        return login

    async def refresh(self, refresh_token: str) -> Token:
        token, login, user = await self._find_refresh_token(refresh_token)
        if not user.is_active:
            raise InactiveUser()
        if token.used_at is not None or not await self.refresh_tokens.mark_used(token.id):
            await self._revoke_on_reuse(login)
        await self.logins.touch(login.id)
        return await self._issue(login)

    async def logout(self, refresh_token: str) -> None:
        token, login, user = await self._find_refresh_token(refresh_token)
        if not user.is_active:  # a deactivated user's tokens give 403, as for refresh
            raise InactiveUser()
        if token.used_at is not None:
            await self._revoke_on_reuse(login)
        await self.logins.revoke(login.id)
        self.log.record(SecurityEventKind.LOGOUT, user_id=user.id, client=self.client)

    # --- the caller's sessions -------------------------------------------------------------

    def _live_since(self) -> datetime:
        """A login is live while its newest refresh token is: used within that lifetime."""
        return utcnow() - timedelta(seconds=self.settings.refresh_token_seconds)

    async def list_sessions(
        self, user_id: uuid.UUID, current: uuid.UUID | None
    ) -> list[SessionRead]:
        logins = await self.logins.live_of_user(user_id, self._live_since())
        return [
            SessionRead(
                id=login.id,
                created_at=login.created_at,
                last_used_at=login.last_used_at,
                ip=login.ip,
                user_agent=login.user_agent,
                current=login.id == current,
            )
            for login in logins
        ]

    async def revoke_session(self, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        """End one of the caller's logins; 404 for an unknown one or another user's."""
        if not await self.logins.revoke(session_id, user_id=user_id):
            raise NotFound("Session not found")
        self.log.record(SecurityEventKind.SESSION_REVOKED, user_id=user_id, client=self.client)

    async def revoke_other_sessions(self, user_id: uuid.UUID, current: uuid.UUID | None) -> None:
        """End every login of the caller but the current one: one event per login ended."""
        ended = await self.logins.revoke_all_for_user(
            user_id, keep=current, used_since=self._live_since()
        )
        for _ in range(ended):
            self.log.record(SecurityEventKind.SESSION_REVOKED, user_id=user_id, client=self.client)

    async def _find_refresh_token(
        self, refresh_token: str
    ) -> tuple[RefreshToken, AuthSession, User]:
        claims = self.codec.decode(refresh_token, TokenKind.REFRESH)
        found = await self.refresh_tokens.find(token_digest(refresh_token))
        if found is None:
            raise InvalidToken()
        token, login, _user = found
        if (
            login.revoked_at is not None
            or token.expires_at <= utcnow()
            or token.session_id != claims.session_id
        ):
            raise InvalidToken()
        return found

    async def _revoke_on_reuse(self, login: AuthSession) -> NoReturn:
        """A refresh token came back a second time: someone holds a copy. End that login.

        This is the one place a service commits: the revocation must persist even though
        the request itself fails (and the unit of work would roll it back).
        """
        await self.logins.revoke(login.id)
        self.log.record(SecurityEventKind.REFRESH_REUSE, user_id=login.user_id, client=self.client)
        await self.session.commit()
        raise InvalidToken("Refresh token reuse detected; this login has been revoked")

    async def _record_failed_login(self, user_id: uuid.UUID | None) -> None:
        if self.sessionmaker is not None:
            await record_alone(
                self.sessionmaker,
                SecurityEventKind.LOGIN_FAILED,
                user_id=user_id,
                client=self.client,
            )

    async def _issue(self, login: AuthSession) -> Token:
        now = utcnow()
        access_lifetime = timedelta(seconds=self.settings.access_token_seconds)
        refresh_lifetime = timedelta(seconds=self.settings.refresh_token_seconds)
        access = self.codec.encode(
            TokenKind.ACCESS,
            user_id=login.user_id,
            session_id=login.id,
            token_id=new_id(),
            issued_at=now,
            lifetime=access_lifetime,
        )
        refresh_id = new_id()
        refresh = self.codec.encode(
            TokenKind.REFRESH,
            user_id=login.user_id,
            session_id=login.id,
            token_id=refresh_id,
            issued_at=now,
            lifetime=refresh_lifetime,
        )
        self.refresh_tokens.add(
            RefreshToken(
                id=refresh_id,
                session_id=login.id,
                token_hash=token_digest(refresh),
                expires_at=now + refresh_lifetime,
            )
        )
        await self.session.flush()
        return Token(
            access_token=access,
            refresh_token=refresh,
            expires_in=self.settings.access_token_seconds,
        )
