"""Reading database errors without depending on the driver."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError


def violated_constraint(exc: IntegrityError) -> str:
    """The violated constraint's name, or the driver's message when it gives no name.

    asyncpg names the constraint (`uq_users_email`); SQLite only says
    `UNIQUE constraint failed: users.email` or `... index 'uq_users_username_lower'`.
    Both contain the column's name thanks to the naming convention, which is what callers
    look for.
    """
    orig = exc.orig
    for candidate in (orig, getattr(orig, "__cause__", None)):
        name = getattr(candidate, "constraint_name", None)
        if name:
            return str(name)
    return str(orig)
