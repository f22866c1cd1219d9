"""What a request made with a personal access token may do: the one place that decides.

The authentication dependency (app/auth/dependencies.py) calls `enforce_token_limits` for
every request that presents a personal token, before any route runs; no route checks scopes
itself. The rules (docs/api.md):

- `read` allows GET and HEAD only; `write` allows every method.
- Account management is never allowed: sessions, personal tokens and two-factor (every
  signed-in route under /api/v1/auth), and changing the password or the email (PATCH of a
  user with either field in the body).
- No superuser powers: the request runs as a plain user (`as_plain_user`), so superuser-only
  routes answer 403 `forbidden` and the services' superuser exceptions do not apply.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from starlette.requests import Request

from app.core.errors import InsufficientScope
from app.core.routing import route_path
from app.tokens.models import PersonalToken
from app.tokens.service import PersonalTokenService
from app.users.models import User

READ_METHODS = frozenset({"GET", "HEAD"})
# Every route under this prefix that needs a signed-in caller manages the account: its
# sessions, its personal tokens, its two-factor sign-in.
ACCOUNT_MANAGEMENT_PREFIX = "/api/v1/auth/"
# PATCH of a user (`/users/me`, `/users/{user_id}`), and the fields a personal token may
# never change there.
USERS_PREFIX = "/api/v1/users/"
CREDENTIAL_FIELDS = frozenset({"password", "email"})


def _is_user_update(method: str, path: str) -> bool:
    """PATCH /api/v1/users/me or /api/v1/users/{user_id}: the routes that change a user."""
    if method != "PATCH" or not path.startswith(USERS_PREFIX):
        return False
    rest = path[len(USERS_PREFIX) :]
    return bool(rest) and "/" not in rest


async def _body_fields(request: Request) -> Collection[str]:
    """The top-level fields of the request's JSON body (FastAPI has parsed and cached it
    before the dependencies run; nothing is read twice from the client)."""
    try:
        body = await request.json()
    except ValueError:
        return ()
    return body.keys() if isinstance(body, dict) else ()


async def enforce_token_limits(request: Request, scopes: Collection[str]) -> None:
    """403 `insufficient_scope` unless a personal token with `scopes` may make this request."""
    method = request.method.upper()
    if method in READ_METHODS:
        if not {"read", "write"} & set(scopes):
            raise InsufficientScope("This personal access token has no read scope")
    elif "write" not in scopes:
        raise InsufficientScope("This personal access token is read-only")
    path = route_path(request.scope)  # the request's path: the same whatever FastAPI's version
    if path.startswith(ACCOUNT_MANAGEMENT_PREFIX):
        raise InsufficientScope(
            "A personal access token cannot manage sessions, tokens or two-factor sign-in"
        )
    if _is_user_update(method, path) and CREDENTIAL_FIELDS & set(await _body_fields(request)):
        raise InsufficientScope("A personal access token cannot change the password or the email")


def as_plain_user(user: User) -> User:
    """The owner, seen by this request as a plain user: no superuser powers.

    Set as the loaded value, not as a change: nothing is written back, and the request's own
    session (its identity map) shows every part of the request the same user.
    """
    if user.is_superuser:
        set_committed_value(user, "is_superuser", False)
    return user


async def authenticate_personal_token(
    request: Request, token: str, session: AsyncSession
) -> tuple[PersonalToken, User]:
    """The token and its owner, if this request is one the token may make (401, 403
    otherwise); the owner as a plain user."""
    row, user = await PersonalTokenService(session).authenticate(token)
    await enforce_token_limits(request, row.scopes)
    return row, as_plain_user(user)
