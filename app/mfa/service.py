"""Two-factor sign-in: TOTP (RFC 6238) with backup codes, and the second step of a login.

- TOTP: SHA-1, 6 digits, 30-second steps, the previous and the next step accepted too
  (clock drift). A code is accepted once: the last step used is stored and only a later
  one passes, the code that confirmed the setup included.
- Backup codes: 10 random codes of 10 characters (50 bits) from an alphabet without look-alikes,
  shown once, stored as keyed digests (app/mfa/crypto.py), each usable once.
- A login with two-factor on stops after the password with an `mfa_token` (32 random bytes,
  stored as a SHA-256 digest) that works once, for MFA_TOKEN_EXPIRE_SECONDS, and is ended by
  the fifth wrong code.
"""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.core.client import UNKNOWN_CLIENT, ClientInfo
from app.core.config import Settings
from app.core.errors import (
    InactiveUser,
    InvalidCode,
    InvalidCredentials,
    InvalidLoginCode,
    InvalidToken,
    MfaAlreadyEnabled,
    MfaNotEnabled,
)
from app.core.security import PasswordHasher, token_digest
from app.db.base import utcnow
from app.mfa.crypto import MfaCrypto, mfa_crypto
from app.mfa.models import MfaChallenge, TotpSecret
from app.mfa.repository import BackupCodeRepository, MfaChallengeRepository, TotpSecretRepository
from app.mfa.schemas import MfaRequired, TotpSetup
from app.security.models import SecurityEventKind
from app.security.service import SecurityLog
from app.users.models import User

ISSUER = "Agora"
TOTP_DIGITS = 6
TOTP_STEP_SECONDS = 30
TOTP_WINDOW = 1  # steps accepted on either side of the current one
BACKUP_CODE_COUNT = 10
BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
BACKUP_CODE_LENGTH = 10
MAX_FAILED_CODES = 5


class CodeKind(StrEnum):
    TOTP = "totp"
    BACKUP = "backup"


def normalize_code(code: str) -> str:
    """What people type, as stored: no spaces or dashes, lower case."""
    return "".join(code.split()).replace("-", "").lower()


def new_backup_code() -> str:
    raw = "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_LENGTH))
    half = BACKUP_CODE_LENGTH // 2
    return f"{raw[:half]}-{raw[half:]}"


def totp_step(timestamp: float) -> int:
    return int(timestamp // TOTP_STEP_SECONDS)


def matching_step(secret: str, code: str, timestamp: float) -> int | None:
    """The latest step within the window whose code is `code` (every step compared, in
    constant time each)."""
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)
    current = totp_step(timestamp)
    found: int | None = None
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def otpauth_uri(secret: str, username: str) -> str:
    """`otpauth://totp/Agora:{username}?secret=...&issuer=Agora` (what authenticator apps scan)."""
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)
    return totp.provisioning_uri(name=username, issuer_name=ISSUER)


class MfaService:
    def __init__(
        self,
        session: AsyncSession,
        hasher: PasswordHasher,
        settings: Settings,
        *,
        client: ClientInfo = UNKNOWN_CLIENT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.session = session
        self.hasher = hasher
        self.settings = settings
        self.client = client  # recorded with the security events
        self.clock = clock
        self.log = SecurityLog(session)
        self.crypto: MfaCrypto = mfa_crypto(settings.secret_key)
        self.secrets = TotpSecretRepository(session)
        self.backup_codes = BackupCodeRepository(session)
        self.challenges = MfaChallengeRepository(session)

    # --- setting up and turning off ---------------------------------------------------------

    async def setup(self, user: User, password: str) -> TotpSetup:
        """A new pending secret (replacing any earlier pending one), until a code confirms it."""
        await self._check_password(user, password)
        if user.mfa_enabled:
            raise MfaAlreadyEnabled()
        secret = pyotp.random_base32()  # 32 base32 characters: 160 bits, as RFC 4226 advises
        await self.secrets.remove(user.id)
        self.secrets.add(TotpSecret(user_id=user.id, secret_encrypted=self.crypto.encrypt(secret)))
        await self.session.flush()
        return TotpSetup(secret=secret, otpauth_uri=otpauth_uri(secret, user.username))

    async def confirm(self, user: User, code: str) -> list[str]:
        """Turn two-factor on with a code of the pending secret; the new backup codes."""
        pending = await self.secrets.for_user(user.id)
        if pending is None or pending.confirmed_at is not None or user.mfa_enabled:
            raise MfaNotEnabled("There is no pending two-factor setup; start one first")
        if not await self._use_totp(pending, code):
            raise InvalidCode()
        pending.confirmed_at = utcnow()
        self.secrets.add(pending)
        user.mfa_enabled = True
        self.session.add(user)
        self._record(SecurityEventKind.MFA_ENABLED, user)
        return await self._new_backup_codes(user.id)

    async def disable(self, user: User, password: str, code: str) -> CodeKind:
        """Turn two-factor off (password and a TOTP or backup code). The kind of code used."""
        kind = await self._check_password_and_code(user, password, code)
        await self.secrets.remove(user.id)
        await self.backup_codes.remove_all(user.id)
        user.mfa_enabled = False
        self.session.add(user)
        self._record(SecurityEventKind.MFA_DISABLED, user)
        await self.session.flush()
        return kind

    async def regenerate_backup_codes(
        self, user: User, password: str, code: str
    ) -> tuple[list[str], CodeKind]:
        """Ten new backup codes; the old ones stop working."""
        kind = await self._check_password_and_code(user, password, code)
        return await self._new_backup_codes(user.id), kind

    # --- the second step of a login ---------------------------------------------------------

    async def start_login(self, user: User) -> MfaRequired:
        """The password was right and two-factor is on: an `mfa_token` instead of tokens."""
        token = secrets.token_urlsafe(32)
        lifetime = self.settings.MFA_TOKEN_EXPIRE_SECONDS
        now = utcnow()
        await self.challenges.prune(user.id, now)
        self.challenges.add(
            MfaChallenge(
                user_id=user.id,
                token_hash=token_digest(token),
                created_at=now,
                expires_at=now + timedelta(seconds=lifetime),
            )
        )
        await self.session.flush()
        return MfaRequired(mfa_token=token, expires_in=self.settings.mfa_token_seconds)

    async def challenge_for(self, mfa_token: str) -> tuple[MfaChallenge, User]:
        """The login an `mfa_token` continues (401 `invalid_token` if there is none)."""
        found = await self.challenges.find(token_digest(mfa_token))
        if found is None:
            raise InvalidToken()
        return found

    async def complete_login(self, challenge: MfaChallenge, user: User, code: str) -> CodeKind:
        """Check the second factor of a login and spend its `mfa_token`.

        The challenge is claimed first (an atomic UPDATE), so a token works once even for two
        requests at the same moment. A wrong code releases it again, counted; the fifth wrong
        code ends it. Those counts are committed here, although the request fails: the unit of
        work would otherwise roll them back.
        """
        if not await self.challenges.take(
            challenge.id, max_attempts=MAX_FAILED_CODES, now=utcnow()
        ):
            raise InvalidToken()
        if not user.is_active:
            raise InactiveUser()
        kind = await self._check_code(user, code) if user.mfa_enabled else None
        if kind is None:
            failed = challenge.failed_attempts + 1
            ended = failed >= MAX_FAILED_CODES
            await self.challenges.give_back(challenge.id, failed_attempts=failed, ended=ended)
            self._record(SecurityEventKind.LOGIN_FAILED, user)
            await self.session.commit()
            if ended:
                raise InvalidLoginCode("Invalid two-factor code; this login has been ended")
            raise InvalidLoginCode()
        return kind

    # --- helpers ------------------------------------------------------------------------------

    async def _check_password(self, user: User, password: str) -> None:
        valid, _ = await self.hasher.verify_and_update(password, user.hashed_password)
        if not valid:
            raise InvalidCredentials("Incorrect password")

    async def _check_password_and_code(self, user: User, password: str, code: str) -> CodeKind:
        await self._check_password(user, password)
        if not user.mfa_enabled:
            raise MfaNotEnabled()
        kind = await self._check_code(user, code)
        if kind is None:
            raise InvalidCode()
        return kind

    async def check_code(self, user: User, code: str) -> CodeKind | None:
        """Spend `code` (TOTP or backup) of a user with two-factor on; None if it is wrong.
        For other sign-in doors than POST /auth/login/mfa (the admin console)."""
        return await self._check_code(user, code) if user.mfa_enabled else None

    async def _check_code(self, user: User, code: str) -> CodeKind | None:
        """Spend `code`, a TOTP code or a backup code of `user`; None if it is neither."""
        normalized = normalize_code(code)
        if len(normalized) == TOTP_DIGITS and normalized.isdigit():
            secret = await self.secrets.for_user(user.id)
            if secret is None or secret.confirmed_at is None:
                return None
            return CodeKind.TOTP if await self._use_totp(secret, normalized) else None
        if len(normalized) != BACKUP_CODE_LENGTH:
            return None
        if not await self.backup_codes.use(user.id, self.crypto.code_digest(normalized)):
            return None
        self._record(SecurityEventKind.BACKUP_CODE_USED, user)
        return CodeKind.BACKUP

    async def _use_totp(self, secret: TotpSecret, code: str) -> bool:
        plain = self.crypto.decrypt(secret.secret_encrypted)
        if plain is None:  # encrypted under another SECRET_KEY
            return False
        step = matching_step(plain, normalize_code(code), self.clock())
        if step is None:
            return False
        if not await self.secrets.use_step(secret.user_id, step):
            return False  # this step's code (or a later one) was used already
        set_committed_value(secret, "last_used_step", step)  # the UPDATE wrote it
        return True

    def _record(self, event: SecurityEventKind, user: User) -> None:
        self.log.record(event, user_id=user.id, client=self.client)

    async def _new_backup_codes(self, user_id: uuid.UUID) -> list[str]:
        codes = [new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
        await self.backup_codes.replace(
            user_id, [self.crypto.code_digest(normalize_code(code)) for code in codes]
        )
        return codes
