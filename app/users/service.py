"""Rules of the accounts domain: who may do what to which account."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.repository import AuthSessionRepository
from app.core.client import UNKNOWN_CLIENT, ClientInfo
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.pagination import Page, PageParams
from app.core.security import PasswordHasher
from app.db.base import utcnow
from app.db.direct import Direct
from app.db.errors import violated_constraint
from app.db.folding import fold_case
from app.security.models import SecurityEventKind
from app.security.service import SecurityLog
from app.users.bulk import INSERT_CHUNK, first_clash, hash_all
from app.users.models import Profile, User
from app.users.repository import ProfileRepository, UserRepository, find_user
from app.users.schemas import (
    ADMIN_FIELDS,
    ProfileUpdate,
    UserCreate,
    UserCreateAdmin,
    UserFilters,
    UserRead,
    UserUpdateMe,
)

USERNAME_TAKEN = "A user with this username already exists"
EMAIL_TAKEN = "A user with this email already exists"


def conflict_from(exc: IntegrityError) -> Conflict:
    """Name the clashing field of a unique violation that a concurrent request caused."""
    constraint = violated_constraint(exc)
    if "username" in constraint:
        return Conflict(USERNAME_TAKEN)
    if "email" in constraint:
        return Conflict(EMAIL_TAKEN)
    return Conflict()


def new_user(data: UserCreate, hashed_password: str, **extra: Any) -> User:
    """The user row for an input model: its fields that are UserBase's (the password only as
    its hash); what the input does not set takes UserBase's default."""
    return User.model_validate(data, update={"hashed_password": hashed_password, **extra})


async def _resumed(
    first: Sequence[Any] | None, rest: AsyncGenerator[Sequence[Any], None]
) -> AsyncGenerator[Sequence[Any], None]:
    try:
        if first is not None:
            yield first
        async for batch in rest:
            yield batch
    finally:
        await rest.aclose()


async def existing_user(direct: Direct, user_id: uuid.UUID) -> User:
    """The user, or 404 `not_found` (a read outside any unit of work: a `User` in no session)."""
    user = await find_user(direct, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


class UserService:
    def __init__(
        self, session: AsyncSession, hasher: PasswordHasher, *, client: ClientInfo = UNKNOWN_CLIENT
    ) -> None:
        self.session = session
        self.hasher = hasher
        self.client = client  # who is asking, for the security log
        self.users = UserRepository(session)
        self.profiles = ProfileRepository(session)
        self.log = SecurityLog(session)

    # --- reading -----------------------------------------------------------------------

    async def get(self, user_id: uuid.UUID) -> User:
        """The user, in this unit of work, or 404 `not_found`."""
        user = await self.users.get(user_id)
        if user is None:
            raise NotFound("User not found")
        return user

    async def list_users(self, page: PageParams, filters: UserFilters) -> Page[UserRead]:
        items, total = await self.users.list(page, self.users.filters(filters))
        return page.page(UserRead, items, total)

    async def stream(self, batch_size: int) -> AsyncGenerator[Sequence[Any], None]:
        """Every user, newest first, in batches of `batch_size` rows of UserRead's fields
        from a server-side cursor. The session must outlive the batches (StreamSessionDep).

        The connection is taken, the query run and the first batch read before this returns:
        a database that cannot serve the stream fails the request (503), not its body.
        """
        batches = self.users.stream_rows(batch_size)
        try:
            first = await anext(batches, None)
        except BaseException:
            await batches.aclose()
            raise
        return _resumed(first, batches)

    # --- creating ----------------------------------------------------------------------

    async def register(self, data: UserCreate) -> User:
        """A new account, with UserBase's defaults for what a user may not set."""
        return await self._create(data)

    async def create(self, data: UserCreateAdmin) -> User:
        return await self._create(data)

    async def _create(self, data: UserCreate) -> User:
        # Hashed first: Argon2 (a worker thread, 64 MiB, queued behind the other hashes under
        # a burst) must not keep a pooled connection checked out while it waits and works.
        hashed_password = await self.hasher.hash(data.password)
        await self._ensure_available(data.username, data.email)
        user = new_user(data, hashed_password)
        self.users.add(user)
        await self._flush()  # the user row first: the profile's foreign key points at it
        self.profiles.add(Profile(user_id=user.id))
        await self._flush()
        return user

    async def create_many(self, users: list[UserCreateAdmin]) -> list[User]:
        """Every user or none (bulk.py), in input order."""
        taken_usernames, taken_emails = await self.users.taken_logins(
            {fold_case(data.username) for data in users}, {data.email for data in users}
        )
        if (clash := first_clash(users, taken_usernames, taken_emails)) is not None:
            raise clash
        hashes = await hash_all(self.hasher, [data.password for data in users])
        now = utcnow()
        created = [
            new_user(data, hashed, created_at=now, updated_at=now)
            for data, hashed in zip(users, hashes, strict=True)
        ]
        try:
            await self.users.insert_many(created, chunk=INSERT_CHUNK)
        except IntegrityError as exc:
            raise conflict_from(exc) from exc
        return created

    # --- changing ----------------------------------------------------------------------

    async def update(self, user: User, data: UserUpdateMe, *, actor: User) -> User:
        changes: dict[str, Any] = data.model_dump(exclude_unset=True)
        if ADMIN_FIELDS & changes.keys() and not actor.is_superuser:
            raise Forbidden(
                "Only a superuser may change is_active, is_superuser, is_verified or permissions"
            )
        if actor.id != user.id and not actor.is_superuser:
            raise Forbidden("You may only change your own account")
        await self._ensure_available(changes.get("username"), changes.get("email"), exclude=user.id)
        password = changes.pop("password", None)
        if password is not None:
            user.hashed_password = await self.hasher.hash(password)
            # Every token issued before the change stops working, this login's included.
            await AuthSessionRepository(self.session).revoke_all_for_user(user.id)
            self._record(SecurityEventKind.PASSWORD_CHANGED, user, actor)
        if changes.get("email", user.email) != user.email:
            # A new address is unconfirmed, unless a superuser vouches for it in this request.
            # The route sends the new link and the notice (app/accounts: after_email_change).
            changes["is_verified"] = changes.get("is_verified") is True
            self._record(SecurityEventKind.EMAIL_CHANGED, user, actor)
        for field, value in changes.items():
            setattr(user, field, value)
        if actor.id != user.id and (changes or password is not None):
            self._record(SecurityEventKind.USER_UPDATED_BY_ADMIN, user, actor)
        self.users.add(user)
        await self._flush()
        return user

    def _record(self, event: SecurityEventKind, user: User, actor: User) -> None:
        self.log.record(event, user_id=user.id, actor_id=actor.id, client=self.client)

    async def delete(self, user: User, *, actor: User) -> None:
        if actor.id != user.id and not actor.is_superuser:
            raise Forbidden("You may only delete your own account")
        # Profile, logins and posts go with it (ON DELETE CASCADE).
        await self.users.delete(user)

    def authorize_self_or_superuser(self, user: User, actor: User) -> None:
        if actor.id != user.id and not actor.is_superuser:
            raise Forbidden()

    # --- profiles ----------------------------------------------------------------------

    async def get_profile(self, user_id: uuid.UUID) -> Profile:
        profile = await self.profiles.get_for_user(user_id)
        if profile is None:
            raise NotFound("User not found")
        return profile

    async def replace_profile(self, user: User, data: ProfileUpdate) -> Profile:
        profile = await self.profiles.get_for_user(user.id)
        if profile is None:
            profile = self.profiles.add(Profile(user_id=user.id))
        profile.bio = data.bio
        profile.avatar_url = data.avatar_url
        self.profiles.add(profile)
        await self._flush()
        return profile

    # --- helpers -----------------------------------------------------------------------

    async def _ensure_available(
        self, username: str | None, email: str | None, *, exclude: uuid.UUID | None = None
    ) -> None:
        """Clear 409s for the common case; `_flush` catches the races this check misses."""
        if username is not None and await self.users.username_taken(username, exclude=exclude):
            raise Conflict(USERNAME_TAKEN)
        if email is not None and await self.users.email_taken(email, exclude=exclude):
            raise Conflict(EMAIL_TAKEN)

    async def _flush(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise conflict_from(exc) from exc


async def ensure_superuser(
    session: AsyncSession, hasher: PasswordHasher, *, email: str, username: str, password: str
) -> bool:
    """Create a superuser unless one with this email or username exists. True if created.

    Several workers may run this at once: the losers of the race see a unique violation,
    which means the user exists, which is what they wanted.
    """
    users = UserRepository(session)
    if await users.email_taken(email) or await users.username_taken(username):
        return False
    data = UserCreateAdmin(
        username=username, email=email, password=password, is_superuser=True, is_verified=True
    )
    try:
        await UserService(session, hasher).create(data)
        await session.commit()
    except Conflict:
        await session.rollback()
        return False
    return True
