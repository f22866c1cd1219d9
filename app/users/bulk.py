"""The rules of `POST /users/bulk` (`UserService.create_many`): many accounts, all or nothing.

The clashes are found before any work is done (inside the batch, then against the table, in
one query), the passwords are hashed in parallel worker threads (never on the event loop, and
never one after another), and the rows go in with a few multi-row INSERTs. A concurrent
request that takes a name between the check and the INSERT still gives 409 (the unique
indexes refuse it), and the unit of work rolls everything back.
"""

from __future__ import annotations

import asyncio
import os

from app.core.errors import Conflict
from app.core.security import PasswordHasher
from app.db.folding import fold_case
from app.users.schemas import UserCreateAdmin

# Argon2 is CPU- and memory-bound (64 MiB a hash): more threads than cores gain nothing.
HASH_CONCURRENCY = max(2, os.cpu_count() or 2)
# Rows per INSERT statement: 500 rows of a user's dozen or so columns stay far below every
# driver's limit on bound parameters (SQLite 32766, asyncpg 32767).
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
