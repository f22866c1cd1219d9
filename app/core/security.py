"""JWTs (PyJWT) and password hashing (pwdlib: Argon2, bcrypt verified for old hashes).

Each token purpose has its own audience, so a refresh token is refused where an access token
is expected and the reverse. Only the configured HMAC algorithm is accepted, which also
refuses `alg: none`. Hashing runs in worker threads: Argon2 is deliberately slow and would
otherwise stall the event loop.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

import anyio
import anyio.to_thread
import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

from app.core.errors import InvalidToken

ISSUER = "agora"


class TokenKind(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"

    @property
    def audience(self) -> str:
        return f"agora:{self.value}"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    token_id: uuid.UUID
    issued_at: datetime
    expires_at: datetime


class TokenCodec:
    def __init__(self, secret_key: str, algorithm: str) -> None:
        self._key = secret_key
        self._algorithm = algorithm

    def encode(
        self,
        kind: TokenKind,
        *,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        token_id: uuid.UUID,
        issued_at: datetime,
        lifetime: timedelta,
    ) -> str:
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "aud": kind.audience,
            "sub": str(user_id),
            "sid": str(session_id),
            "jti": str(token_id),
            "iat": int(issued_at.timestamp()),
            "exp": issued_at + lifetime,
        }
        return jwt.encode(payload, self._key, algorithm=self._algorithm)

    def decode(self, token: str, kind: TokenKind) -> TokenClaims:
        try:
            payload = jwt.decode(
                token,
                self._key,
                algorithms=[self._algorithm],
                audience=kind.audience,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "sid", "jti", "aud", "iss"]},
            )
            return TokenClaims(
                user_id=uuid.UUID(payload["sub"]),
                session_id=uuid.UUID(payload["sid"]),
                token_id=uuid.UUID(payload["jti"]),
                issued_at=datetime.fromtimestamp(payload["iat"], UTC),
                expires_at=datetime.fromtimestamp(payload["exp"], UTC),
            )
        except (jwt.PyJWTError, ValueError, TypeError, KeyError, OverflowError, OSError) as exc:
            # Whatever the claims hold, a token the codec cannot read is an invalid token: a
            # well-signed `exp` of 10**20 passes PyJWT's comparison and then overflows
            # datetime (OverflowError; OSError on some platforms).
            raise InvalidToken() from exc


def token_digest(token: str) -> str:
    """How a refresh token is stored: a leaked table does not leak usable tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


# Argon2 keeps a core busy and holds 64 MiB for each hash: more at once than there are cores
# gains nothing, and under a burst of logins the thread pool's 40 at once starved the event
# loop and the database driver's threads (writes on SQLite then timed out) and took 2.5 GiB.
HASH_CONCURRENCY = os.cpu_count() or 1


def build_password_hash(cost: Literal["standard", "minimal"] = "standard") -> PasswordHash:
    """Argon2id for new hashes (argon2-cffi's defaults: 3 passes over 64 MiB, 4 lanes), bcrypt
    verified for old ones. `minimal` (PASSWORD_HASH_COST, tests only): Argon2id's lowest cost,
    1 pass over 8 KiB; a hash of the other cost verifies either way and is re-hashed."""
    argon2 = (
        Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1)
        if cost == "minimal"
        else Argon2Hasher()
    )
    return PasswordHash((argon2, BcryptHasher()))


class PasswordHasher:
    def __init__(self, password_hash: PasswordHash | None = None) -> None:
        self._hash = password_hash or build_password_hash()
        self._dummy: str | None = None
        self._limiter: anyio.CapacityLimiter | None = None  # made on the event loop

    def _threads(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(HASH_CONCURRENCY)
        return self._limiter

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hash.hash, password, limiter=self._threads())

    async def verify_and_update(self, password: str, hashed: str) -> tuple[bool, str | None]:
        """Whether `password` matches, and a new hash when the stored one is outdated."""
        return await anyio.to_thread.run_sync(
            self._verify_and_update, password, hashed, limiter=self._threads()
        )

    def _verify_and_update(self, password: str, hashed: str) -> tuple[bool, str | None]:
        try:
            return self._hash.verify_and_update(password, hashed)
        except ValueError:  # e.g. bcrypt refuses passwords over 72 bytes
            return False, None

    async def warm_up(self) -> None:
        """Prepare the dummy hash once, at start-up, rather than on the first unknown login."""
        if self._dummy is None:
            self._dummy = await self.hash(secrets.token_urlsafe(16))

    async def dummy_verify(self, password: str) -> None:
        """Spend the time a real check would, so unknown users cannot be told apart by timing."""
        await self.warm_up()
        assert self._dummy is not None
        await self.verify_and_update(password, self._dummy)
