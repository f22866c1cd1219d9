"""Upgrading to email verification (revision c3a9e1d27f02) locks nobody out: the users of
the day are verified, so they still sign in with EMAIL_VERIFICATION_REQUIRED on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import select

from app.core.config import Settings
from app.db.base import UTCDateTime, new_id
from app.db.engine import create_engine
from app.db.migrate import migrate
from app.main import create_app
from app.users.models import User
from tests.conftest import DEFAULT_PASSWORD, bearer, login
from tests.support import running

PREVIOUS_HEAD = "b7d4c2a91e01"
NAMES = ["ann", "Bob", "carla"]

# The users table as the previous head has it (no is_verified).
OLD_USERS = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("username", sa.String()),
    sa.column("email", sa.String()),
    sa.column("hashed_password", sa.String()),
    sa.column("full_name", sa.String()),
    sa.column("is_active", sa.Boolean()),
    sa.column("is_superuser", sa.Boolean()),
    sa.column("permissions", sa.JSON()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)


async def _database_at_previous_head(url: str, settings: Settings, password_hash: str) -> None:
    engine = create_engine(url, settings)
    try:
        await migrate(engine, PREVIOUS_HEAD)
        now = datetime.now(UTC)
        async with engine.begin() as conn:
            await conn.execute(
                sa.insert(OLD_USERS),
                [
                    {
                        "id": new_id(),
                        "username": name,
                        "email": f"{name.lower()}@example.com",
                        "hashed_password": password_hash,
                        "full_name": None,
                        "is_active": True,
                        "is_superuser": name == "carla",
                        "permissions": [],
                        "created_at": now,
                        "updated_at": now,
                    }
                    for name in NAMES
                ],
            )
    finally:
        await engine.dispose()


async def test_after_the_upgrade_every_user_still_logs_in_and_is_verified(
    scratch_url: str,
    make_settings: Callable[..., Settings],
    default_password_hash: str,
) -> None:
    settings = make_settings(DATABASE_URL=scratch_url, EMAIL_VERIFICATION_REQUIRED=True)
    await _database_at_previous_head(scratch_url, settings, default_password_hash)

    async with running(create_app(settings)) as served:  # start-up migrates to the head
        for name in NAMES:
            response = await login(served.client, name, DEFAULT_PASSWORD)
            assert response.status_code == 200, (name, response.text)
            me = await served.client.get(
                "/api/v1/users/me", headers=bearer(response.json()["access_token"])
            )
            assert me.json()["is_verified"] is True


async def test_after_the_upgrade_a_new_row_starts_unverified(
    scratch_url: str,
    make_settings: Callable[..., Settings],
    default_password_hash: str,
) -> None:
    settings = make_settings(DATABASE_URL=scratch_url)
    await _database_at_previous_head(scratch_url, settings, default_password_hash)
    engine = create_engine(scratch_url, settings)
    try:
        await migrate(engine)
        now = datetime.now(UTC)
        async with engine.begin() as conn:  # a row written without the column: its default
            await conn.execute(
                sa.insert(OLD_USERS).values(
                    id=new_id(),
                    username="dora",
                    email="dora@example.com",
                    hashed_password=default_password_hash,
                    is_active=True,
                    is_superuser=False,
                    permissions=[],
                    created_at=now,
                    updated_at=now,
                )
            )
        async with engine.connect() as conn:
            rows = dict((await conn.execute(select(User.username, User.is_verified))).all())
    finally:
        await engine.dispose()
    assert rows == {"ann": True, "Bob": True, "carla": True, "dora": False}
