"""`POST /users/bulk`: many accounts in one transaction, all or nothing.

The clashes are found before any work is done (inside the batch, then against the table, in
one query), the passwords are hashed in parallel worker threads (never on the event loop, and
never one after another), and the rows go in with a few multi-row INSERTs. A concurrent
request that takes a name between the check and the INSERT still gives 409 (the unique
indexes refuse it), and the unit of work rolls everything back.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict
from app.core.security import PasswordHasher
from app.db.base import new_id, utcnow
from app.db.folding import fold_case
from app.users.models import User
from app.users.repository import UserRepository
from app.users.schemas import UserCreateAdmin
from app.users.service import conflict_from

# Argon2 is CPU- and memory-bound (64 MiB a hash): more threads than cores gain nothing.
HASH_CONCURRENCY = max(2, os.cpu_count() or 2)
# Rows per INSERT statement: 10 columns x 500 rows stays far below every driver's limit on
# bound parameters (SQLite 32766, asyncpg 32767).
INSERT_CHUNK = 500


def first_clash(
    users: list[UserCreateAdmin], taken_usernames: set[str], taken_emails: set[str]
) -> Conflict | None:
    """The first user, in input order, whose username or email is already taken by the
    table or by an earlier user of the same batch."""
    seen_usernames: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for index, data in enumerate(users):
        username = fold_case(data.username)
        if username in seen_usernames:
            return Conflict(
                f"users[{index}]: username '{data.username}' repeats "
                f"users[{seen_usernames[username]}] (usernames are unique in any letter case)"
            )
        if data.email in seen_emails:
            return Conflict(
                f"users[{index}]: email '{data.email}' repeats users[{seen_emails[data.email]}]"
            )
        if username in taken_usernames:
            return Conflict(f"users[{index}]: a user with username '{data.username}' exists")
        if data.email in taken_emails:
            return Conflict(f"users[{index}]: a user with email '{data.email}' exists")
        seen_usernames[username] = index
        seen_emails[data.email] = index
    return None


async def hash_all(hasher: PasswordHasher, passwords: list[str]) -> list[str]:
    """Hash in parallel worker threads, at most HASH_CONCURRENCY at once, in input order."""
    limit = asyncio.Semaphore(HASH_CONCURRENCY)

    async def one(password: str) -> str:
        async with limit:
            return await hasher.hash(password)

    return list(await asyncio.gather(*(one(p) for p in passwords)))


async def create_users(
    session: AsyncSession, hasher: PasswordHasher, users: list[UserCreateAdmin]
) -> list[User]:
    """Create every user or none; the result is in input order."""
    repository = UserRepository(session)
    taken_usernames, taken_emails = await repository.taken_logins(
        {fold_case(data.username) for data in users}, {data.email for data in users}
    )
    if (clash := first_clash(users, taken_usernames, taken_emails)) is not None:
        raise clash

    hashes = await hash_all(hasher, [data.password for data in users])
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "id": new_id(),
            "created_at": now,
            "updated_at": now,
            "username": data.username,
            "email": data.email,
            "hashed_password": hashed,
            "full_name": data.full_name,
            "is_active": data.is_active,
            "is_superuser": data.is_superuser,
            "permissions": list(data.permissions),
        }
        for data, hashed in zip(users, hashes, strict=True)
    ]
    profiles = [{"user_id": row["id"], "updated_at": now} for row in rows]
    try:
        await repository.insert_many(rows, profiles, chunk=INSERT_CHUNK)
    except IntegrityError as exc:
        raise conflict_from(exc) from exc
    return [User(**row) for row in rows]
