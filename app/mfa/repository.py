"""Queries of two-factor sign-in. The single-use rules are atomic UPDATEs: of two requests
that present the same code or `mfa_token` at once, exactly one wins."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlmodel import col

from app.db.base import utcnow
from app.db.repository import Repository
from app.mfa.models import BackupCode, MfaChallenge, TotpSecret
from app.users.models import User


def _changed(result: Any) -> bool:
    return bool(result.rowcount == 1)


class TotpSecretRepository(Repository[TotpSecret]):
    model = TotpSecret

    async def for_user(self, user_id: uuid.UUID) -> TotpSecret | None:
        return await self.session.get(TotpSecret, user_id, populate_existing=True)

    async def remove(self, user_id: uuid.UUID) -> None:
        await self.session.execute(delete(TotpSecret).where(col(TotpSecret.user_id) == user_id))

    async def use_step(self, user_id: uuid.UUID, step: int) -> bool:
        """Record `step` as the last one used; False if it or a later one was used already."""
        result = await self.session.execute(
            update(TotpSecret)
            .where(
                col(TotpSecret.user_id) == user_id,
                or_(
                    col(TotpSecret.last_used_step).is_(None), col(TotpSecret.last_used_step) < step
                ),
            )
            .values(last_used_step=step)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)


class BackupCodeRepository(Repository[BackupCode]):
    model = BackupCode

    async def replace(self, user_id: uuid.UUID, digests: Iterable[str]) -> None:
        await self.remove_all(user_id)
        now = utcnow()
        self.session.add_all(
            BackupCode(user_id=user_id, code_hash=digest, created_at=now) for digest in digests
        )
        await self.session.flush()

    async def remove_all(self, user_id: uuid.UUID) -> None:
        await self.session.execute(delete(BackupCode).where(col(BackupCode.user_id) == user_id))

    async def use(self, user_id: uuid.UUID, digest: str) -> bool:
        """Spend an unused backup code; False if there is none with this digest."""
        result = await self.session.execute(
            update(BackupCode)
            .where(
                col(BackupCode.user_id) == user_id,
                col(BackupCode.code_hash) == digest,
                col(BackupCode.used_at).is_(None),
            )
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return _changed(result)


class MfaChallengeRepository(Repository[MfaChallenge]):
    model = MfaChallenge

    async def find(self, token_hash: str) -> tuple[MfaChallenge, User] | None:
        statement = (
            select(MfaChallenge, User)
            .join(User, col(MfaChallenge.user_id) == col(User.id))
            .where(col(MfaChallenge.token_hash) == token_hash)
        )
        row = (await self.session.execute(statement)).first()
        return None if row is None else (row[0], row[1])

    async def prune(self, user_id: uuid.UUID, now: datetime) -> None:
        """Forget the user's challenges that can no longer be used (expired, used or ended):
        the table holds only live logins, whatever the number of attempts."""
        await self.session.execute(
            delete(MfaChallenge).where(
                col(MfaChallenge.user_id) == user_id,
                or_(col(MfaChallenge.expires_at) <= now, col(MfaChallenge.used_at).is_not(None)),
            )
        )

    async def take(self, challenge_id: uuid.UUID, *, max_attempts: int, now: datetime) -> bool:
        """Claim a live challenge for this request; False if it is used, expired or ended."""
        result = await self.session.execute(
            update(MfaChallenge)
            .where(
                col(MfaChallenge.id) == challenge_id,
                col(MfaChallenge.used_at).is_(None),
                col(MfaChallenge.expires_at) > now,
                col(MfaChallenge.failed_attempts) < max_attempts,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def give_back(
        self, challenge_id: uuid.UUID, *, failed_attempts: int, ended: bool
    ) -> None:
        """After a wrong code: count it, and release the challenge unless that ended it."""
        await self.session.execute(
            update(MfaChallenge)
            .where(col(MfaChallenge.id) == challenge_id)
            .values(failed_attempts=failed_attempts, used_at=utcnow() if ended else None)
            .execution_options(synchronize_session=False)
        )
