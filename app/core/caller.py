"""Whether the request's caller still exists, for the handlers that answer a failed write.

A caller's account can be deleted while one of its requests runs (DELETE /users/me from
another tab): the row the request writes then refers to a user who is gone (a foreign key
fails) or is that user (an UPDATE matches nothing). docs/api.md answers a deleted user's
request with 401, so before the error handlers blame the data (409, 404) they ask whether the
caller is still there. The authentication dependency records how to ask (`remember_caller`);
the question costs a query only on those failures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.types import Scope

CallerCheck = Callable[[], Awaitable[bool]]

_SCOPE_KEY = "agora.caller_exists"


def remember_caller(scope: Scope, still_exists: CallerCheck) -> None:
    """Record, for this request, how to tell whether its authenticated caller still exists."""
    scope[_SCOPE_KEY] = still_exists


async def caller_vanished(scope: Scope) -> bool:
    """True if the request was made by a user who no longer exists (checked now, in a
    transaction of its own)."""
    still_exists: CallerCheck | None = scope.get(_SCOPE_KEY)
    return still_exists is not None and not await still_exists()
