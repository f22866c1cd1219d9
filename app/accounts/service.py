"""The account lifecycle: email verification, forgotten passwords, email changes.

Every email a flow sends is returned to the route, which hands it to the mailer: it leaves
after the response (and after the unit of work has committed the link it carries).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.emails import email_changed_email, reset_email, verification_email
from app.accounts.models import LinkPurpose, LinkToken
from app.accounts.repository import LinkTokenRepository
from app.auth.repository import AuthSessionRepository
from app.core.client import UNKNOWN_CLIENT, ClientInfo
from app.core.config import Settings
from app.core.errors import TokenInvalid
from app.core.security import PasswordHasher, token_digest
from app.db.base import utcnow
from app.notifications.email import EmailMessage
from app.security.models import SecurityEventKind
from app.security.service import SecurityLog
from app.tokens.service import PersonalTokenService
from app.users.models import User
from app.users.repository import UserRepository

LINK_PATHS = {
    LinkPurpose.VERIFY_EMAIL: "verify-email",
    LinkPurpose.RESET_PASSWORD: "reset-password",
}
TOKEN_BYTES = 32  # token_urlsafe(32): 43 URL-safe characters, 256 random bits


class AccountService:
    def __init__(
        self,
        session: AsyncSession,
        hasher: PasswordHasher,
        settings: Settings,
        *,
        client: ClientInfo = UNKNOWN_CLIENT,
    ) -> None:
        self.session = session
        self.hasher = hasher
        self.settings = settings
        self.client = client  # who is asking, for the security log
        self.users = UserRepository(session)
        self.links = LinkTokenRepository(session)
        self.log = SecurityLog(session)

    def _record(self, event: SecurityEventKind, user: User) -> None:
        """In the transaction of the change it records (the unit of work's)."""
        self.log.record(event, user_id=user.id, client=self.client)

    # --- links -----------------------------------------------------------------------------

    def lifetime(self, purpose: LinkPurpose) -> timedelta:
        if purpose is LinkPurpose.VERIFY_EMAIL:
            return timedelta(hours=self.settings.EMAIL_VERIFY_TOKEN_HOURS)
        return timedelta(minutes=self.settings.PASSWORD_RESET_TOKEN_MINUTES)

    async def issue_link(self, user: User, purpose: LinkPurpose) -> str:
        """A new link for `user`; the user's earlier links of this purpose end (deleted)."""
        await self.links.delete_for(user.id, purpose)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self.links.add(
            LinkToken(
                user_id=user.id,
                purpose=purpose,
                token_hash=token_digest(token),
                expires_at=utcnow() + self.lifetime(purpose),
            )
        )
        await self.session.flush()
        base = self.settings.PUBLIC_URL.rstrip("/")
        return f"{base}/{LINK_PATHS[purpose]}?token={token}"

    async def _use(self, token: str, purpose: LinkPurpose) -> User:
        """The user of a valid link token, which is used up. Unknown, used, expired or
        superseded: one error for all."""
        found = await self.links.find(token_digest(token), purpose)
        if found is None:
            raise TokenInvalid()
        link, user = found
        if link.used_at is not None or link.expires_at <= utcnow():
            raise TokenInvalid()
        if not await self.links.consume(link.id):  # a concurrent request used it first
            raise TokenInvalid()
        return user

    # --- verification ----------------------------------------------------------------------

    async def verification_email(self, user: User) -> EmailMessage:
        link = await self.issue_link(user, LinkPurpose.VERIFY_EMAIL)
        hours = self.settings.EMAIL_VERIFY_TOKEN_HOURS
        return verification_email(user.email, user.username, link, hours)

    async def verify_email(self, token: str) -> User:
        user = await self._use(token, LinkPurpose.VERIFY_EMAIL)
        user.is_verified = True
        self.users.add(user)
        self._record(SecurityEventKind.EMAIL_VERIFIED, user)
        await self.session.flush()
        return user

    async def resend_verification(self, email: str) -> EmailMessage | None:
        """A new link for an active, unverified account with this address; else nothing
        (the caller answers the same either way)."""
        user = await self.users.get_by_email(email)
        if user is None or not user.is_active or user.is_verified:
            return None
        return await self.verification_email(user)

    async def after_email_change(self, user: User, old_email: str) -> list[EmailMessage]:
        """After `user`'s address changed from `old_email`: earlier verification links end, a
        new one goes to the new address (unless a superuser marked it verified), a notice to
        the old one. Nothing when the address did not change."""
        if user.email == old_email:
            return []
        notice = email_changed_email(old_email, user.username, user.email)
        if user.is_verified:
            await self.links.delete_for(user.id, LinkPurpose.VERIFY_EMAIL)
            return [notice]
        return [await self.verification_email(user), notice]

    # --- forgotten passwords ---------------------------------------------------------------

    async def forgot_password(self, email: str) -> EmailMessage | None:
        """A reset link for an active account with this address; else nothing."""
        user = await self.users.get_by_email(email)
        if user is None or not user.is_active:
            return None
        link = await self.issue_link(user, LinkPurpose.RESET_PASSWORD)
        self._record(SecurityEventKind.PASSWORD_RESET_REQUESTED, user)
        minutes = self.settings.PASSWORD_RESET_TOKEN_MINUTES
        return reset_email(user.email, user.username, link, minutes)

    async def reset_password(self, token: str, new_password: str) -> User:
        """Set the password; every login of the user ends, and the address counts as
        verified (the link proved the mailbox)."""
        # Hashed first: Argon2 must not keep a pooled connection checked out while it works.
        hashed_password = await self.hasher.hash(new_password)
        user = await self._use(token, LinkPurpose.RESET_PASSWORD)
        if not user.is_active:
            raise TokenInvalid()
        user.hashed_password = hashed_password
        user.is_verified = True
        self.users.add(user)
        await self.links.delete_for(user.id, LinkPurpose.RESET_PASSWORD)
        await AuthSessionRepository(self.session).revoke_all_for_user(user.id)
        # Personal access tokens too, for good (a password change through PATCH keeps them).
        await PersonalTokenService(self.session).revoke_all_for_user(user.id)
        self._record(SecurityEventKind.PASSWORD_RESET, user)
        await self.session.flush()
        return user
