"""Shared fixtures: one app with its real lifespan on a real database, emptied after each test.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL points at one
(`.ci/run` creates and drops such a database).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Final

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlmodel import SQLModel

from app.core.config import Settings
from app.core.security import PasswordHasher, build_password_hash
from app.core.state import AppState
from app.main import create_app
from app.notifications.email import EmailMessage
from app.users.models import Profile, User
from tests.support import Running, running

# The fixtures of these modules (`redis_url`, `servers`) and xdist's per-worker services.
pytest_plugins = ["tests.support", "tests.servers", "tests.workers"]

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256!"
DEFAULT_PASSWORD = "correct horse battery"
# Apps under test hash at Argon2's lowest cost (PASSWORD_HASH_COST=minimal): hashing at the
# standard cost was most of the suite's time. tests/core/test_security.py and
# tests/auth/test_timing.py use the standard cost.
TEST_HASH_COST: Final = "minimal"

UserFactory = Callable[..., Awaitable[User]]
HeadersFor = Callable[[User], Awaitable[dict[str, str]]]


@pytest.fixture(scope="session", autouse=True)
def _one_full_collection_per_app_start_is_enough() -> Iterator[None]:
    """Each app's lifespan runs gc.collect() before gc.freeze() (app/lifespan.py): once per
    process in production, but about a hundred times in the suite's process, each a full
    collection of pytest's whole heap (0.3 s of CPU, a tenth of the suite). In the suite the
    lifespan skips that collection; it still freezes and unfreezes (tests/test_app.py)."""
    import gc

    import app.lifespan

    cheap_gc = SimpleNamespace(collect=lambda *_: 0, freeze=gc.freeze, unfreeze=gc.unfreeze)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app.lifespan, "gc", cheap_gc)
        yield


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def database_url(data_dir: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'test.db'}"


@pytest.fixture(scope="session")
def make_settings(database_url: str, data_dir: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "DATABASE_URL": database_url,
            "SECRET_KEY": TEST_SECRET_KEY,
            "DATA_DIR": data_dir,
            "RATE_LIMIT_ENABLED": False,
            "EMAIL_BACKEND": "console",
            "LOG_LEVEL": "WARNING",
            # Production refuses the minimal cost: its apps hash as production does.
            "PASSWORD_HASH_COST": (
                "standard" if overrides.get("ENVIRONMENT") == "production" else TEST_HASH_COST
            ),
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture(scope="session")
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
async def served(settings: Settings) -> AsyncIterator[Running]:
    """The suite's app, started once (its lifespan: migrations, engines, ...)."""
    async with running(create_app(settings)) as served_app:
        yield served_app


@pytest.fixture(scope="session")
def app(served: Running) -> FastAPI:
    return served.app


@pytest.fixture(scope="session")
def state(served: Running) -> AppState:
    """What the app owns (`AppState`): its database, hasher, email sender, ..."""
    return served.state


async def empty_database(state: AppState) -> None:
    engine = state.db.engine
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608


@pytest.fixture
async def client(served: Running) -> AsyncIterator[httpx.AsyncClient]:
    yield served.client
    served.app.dependency_overrides.clear()
    await empty_database(served.state)


@pytest.fixture
async def session(state: AppState, client: httpx.AsyncClient) -> AsyncIterator[AsyncSession]:
    """A session of the test's own, for arranging data and checking what was stored."""
    async with state.db.sessionmaker() as db_session:
        yield db_session


@pytest.fixture(scope="session")
async def default_password_hash() -> str:
    """DEFAULT_PASSWORD hashed as the apps under test hash (PASSWORD_HASH_COST=minimal)."""
    return await PasswordHasher(build_password_hash(TEST_HASH_COST)).hash(DEFAULT_PASSWORD)


@pytest.fixture
async def user_factory(
    state: AppState, client: httpx.AsyncClient, default_password_hash: str
) -> UserFactory:
    """Insert a user (with profile) directly; its password is DEFAULT_PASSWORD."""

    async def create(
        username: str | None = None,
        email: str | None = None,
        *,
        is_active: bool = True,
        is_superuser: bool = False,
        permissions: list[str] | None = None,
        full_name: str | None = None,
        is_verified: bool = False,
    ) -> User:
        name = username or f"user_{uuid.uuid4().hex[:10]}"
        user = User(
            username=name,
            email=(email or f"{name}@example.com").lower(),
            hashed_password=default_password_hash,
            is_active=is_active,
            is_superuser=is_superuser,
            is_verified=is_verified,
            permissions=permissions or [],
            full_name=full_name,
        )
        async with state.db.sessionmaker() as db_session:
            db_session.add(user)
            await db_session.flush()
            db_session.add(Profile(user_id=user.id))
            await db_session.commit()
        return user

    return create


@pytest.fixture
async def tokens_for(state: AppState) -> Callable[[User], Awaitable[dict[str, Any]]]:
    """A fresh login for `user` (as /auth/login would give), without the password check."""
    from app.auth.service import AuthService

    async def issue(user: User) -> dict[str, Any]:
        async with state.db.sessionmaker() as db_session:
            service = AuthService(db_session, state.hasher, state.token_codec, state.settings)
            token = await service.start_session(user)
            await db_session.commit()
        return token.model_dump()

    return issue


@pytest.fixture
async def headers_for(tokens_for: Callable[[User], Awaitable[dict[str, Any]]]) -> HeadersFor:
    async def headers(user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {(await tokens_for(user))['access_token']}"}

    return headers


@pytest.fixture
async def user(user_factory: UserFactory) -> User:
    return await user_factory("alice", "alice@example.com", full_name="Alice Liddell")


@pytest.fixture
async def superuser(user_factory: UserFactory) -> User:
    return await user_factory("root", "root@example.com", is_superuser=True)


@pytest.fixture
async def user_headers(user: User, headers_for: HeadersFor) -> dict[str, str]:
    return await headers_for(user)


@pytest.fixture
async def superuser_headers(superuser: User, headers_for: HeadersFor) -> dict[str, str]:
    return await headers_for(superuser)


def is_postgres(state: AppState) -> bool:
    return bool(state.db.engine.dialect.name == "postgresql")


# --- accounts helpers ----------------------------------------------------------------------


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def login(
    http: httpx.AsyncClient, username: str, password: str = DEFAULT_PASSWORD
) -> httpx.Response:
    """POST /auth/login with the OAuth2 password form."""
    return await http.post("/api/v1/auth/login", data={"username": username, "password": password})


class RecordingEmailSender:
    """Stands in for `AppState.email_sender`: keeps every message it is asked to send."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


@pytest.fixture
def outbox(state: AppState) -> Iterator[list[EmailMessage]]:
    """The emails the app hands to its sender during the test (the real sender is restored)."""
    original = state.email_sender
    recorder = RecordingEmailSender()
    state.email_sender = recorder
    try:
        yield recorder.sent
    finally:
        state.email_sender = original


async def stored_user(state: AppState, user_id: uuid.UUID) -> User | None:
    """The user row as the database has it now (read in a session of its own)."""
    async with state.db.sessionmaker() as db_session:
        return await db_session.get(User, user_id)


class StatementCounter:
    """The SQL statements an engine executed while `counting()` was on."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.active = False

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.active:
            self.statements.append(statement)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(state: AppState) -> Iterator[StatementCounter]:
    """Counts the statements of the app's primary engine (before_cursor_execute)."""
    from sqlalchemy import event

    counter = StatementCounter()
    counter.active = True
    sync_engine = state.db.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(sync_engine, "before_cursor_execute", counter)


@pytest.fixture
async def post_factory(state: AppState, client: httpx.AsyncClient) -> Callable[..., Awaitable[Any]]:
    """Insert a post directly (published unless told otherwise)."""
    from app.posts.models import Post

    async def create(author: User, title: str = "A title", **fields: Any) -> Post:
        fields.setdefault("content", f"Content of {title}")
        fields.setdefault("is_published", True)
        post = Post(title=title, author_id=author.id, **fields)
        async with state.db.sessionmaker() as db_session:
            db_session.add(post)
            await db_session.commit()
        return post

    return create


@pytest.fixture
async def team_factory(state: AppState, client: httpx.AsyncClient) -> Callable[..., Awaitable[Any]]:
    from app.teams.models import Team

    async def create(name: str | None = None, headquarters: str = "Sharp Tower") -> Team:
        team = Team(name=name or f"team_{uuid.uuid4().hex[:10]}", headquarters=headquarters)
        async with state.db.sessionmaker() as db_session:
            db_session.add(team)
            await db_session.commit()
        return team

    return create


@pytest.fixture
async def hero_factory(state: AppState, client: httpx.AsyncClient) -> Callable[..., Awaitable[Any]]:
    from app.heroes.models import Hero

    async def create(name: str = "Deadpond", **fields: Any) -> Hero:
        fields.setdefault("secret_name", f"Secret {name}")
        hero = Hero(name=name, **fields)
        async with state.db.sessionmaker() as db_session:
            db_session.add(hero)
            await db_session.commit()
        return hero

    return create


@pytest.fixture
async def scratch_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the suite's backend (for migration tests)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"agora_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
