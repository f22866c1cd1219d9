"""The migrations build exactly the schema the models describe, and are safe to run at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Uuid,
    column,
    insert,
    inspect,
    select,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from app.auth.models import AuthSession
from app.core.config import Settings
from app.db.base import UTCDateTime, new_id
from app.db.engine import create_engine
from app.db.migrate import alembic_config, migrate
from app.teams.models import Team


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, SQLModel.metadata))


@pytest.mark.filterwarnings("ignore:.*expression-based index")
async def test_models_and_migrations_agree(state) -> None:
    async with state.db.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []


async def test_expression_indexes_exist(state) -> None:
    """Alembic cannot compare expression indexes (lower(name)...): check them by name."""
    expected = {
        index.name
        for table in SQLModel.metadata.tables.values()
        for index in table.indexes
        if any(not isinstance(expr, Column) for expr in index.expressions)
    }
    assert {"uq_users_username_fold", "uq_teams_name_fold"} <= expected
    query = (
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        if state.db.engine.dialect.name == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'index'"
    )
    async with state.db.engine.connect() as conn:
        present = set((await conn.execute(text(query))).scalars())
    assert expected <= present


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(_tables)


async def test_downgrade_to_base_and_upgrade_again(
    scratch_url: str, make_settings: Callable[..., Settings]
) -> None:
    engine = create_engine(scratch_url, make_settings(DATABASE_URL=scratch_url))
    try:
        await migrate(engine)
        assert "users" in await _table_names(engine)
        await asyncio.to_thread(command.downgrade, alembic_config(scratch_url), "base")
        assert await _table_names(engine) <= {"alembic_version"}
        await migrate(engine)
        assert {t.name for t in SQLModel.metadata.sorted_tables} <= await _table_names(engine)
    finally:
        await engine.dispose()


async def test_workers_migrating_at_once_do_not_collide(
    scratch_url: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(DATABASE_URL=scratch_url)
    engines = [create_engine(scratch_url, settings) for _ in range(4)]
    try:
        await asyncio.gather(*(migrate(engine) for engine in engines))
        async with engines[0].connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert len(versions) == 1
    finally:
        for engine in engines:
            await engine.dispose()


async def test_upgrade_numbers_team_names_that_now_fold_alike(
    scratch_url: str, make_settings: Callable[..., Settings]
) -> None:
    """Names the old lower() index kept apart but fold_case equates: the oldest keeps its
    name, the others get the first free number."""
    engine = create_engine(scratch_url, make_settings(DATABASE_URL=scratch_url))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        await migrate(engine, "e5ed2c11f56a")  # before fold_case
        async with engine.begin() as conn:
            for minute, name in enumerate(["Straße", "STRASSE", "strasse (2)", "Other"]):
                moment = start + timedelta(minutes=minute)
                await conn.execute(
                    insert(Team).values(
                        id=new_id(),
                        name=name,
                        headquarters="HQ",
                        created_at=moment,
                        updated_at=moment,
                    )
                )

        await migrate(engine)

        async with engine.connect() as conn:
            names = (await conn.execute(select(Team.name).order_by(Team.created_at))).scalars()
            assert list(names) == ["Straße", "STRASSE (3)", "strasse (2)", "Other"]
    finally:
        await engine.dispose()


async def test_upgrade_keeps_existing_logins_listed_with_their_start_as_last_use(
    scratch_url: str, make_settings: Callable[..., Settings]
) -> None:
    """Revision b7d4c2a91e01 (sessions remember their last use): a login made before it is
    still a live session afterwards, last used when it started."""
    engine = create_engine(scratch_url, make_settings(DATABASE_URL=scratch_url))
    started = datetime.now(UTC) - timedelta(hours=1)
    user_id, login_id = new_id(), new_id()
    try:
        await migrate(engine, "d9e9fb0b4880")  # before the security log
        # The tables as that revision had them (the models have grown since).
        users = table(
            "users",
            *(column(name) for name in ("username", "email", "hashed_password")),
            column("id", Uuid()),
            column("is_active", Boolean()),
            column("is_superuser", Boolean()),
            column("permissions", JSON()),
            column("created_at", UTCDateTime()),
            column("updated_at", UTCDateTime()),
        )
        logins = table(
            "auth_sessions",
            column("id", Uuid()),
            column("user_id", Uuid()),
            column("created_at", UTCDateTime()),
        )
        async with engine.begin() as conn:
            await conn.execute(
                insert(users).values(
                    id=user_id,
                    username="old",
                    email="old@example.com",
                    hashed_password="x",
                    is_active=True,
                    is_superuser=False,
                    permissions=[],
                    created_at=started,
                    updated_at=started,
                )
            )
            await conn.execute(
                insert(logins).values(id=login_id, user_id=user_id, created_at=started)
            )

        await migrate(engine)

        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(AuthSession.last_used_at, AuthSession.created_at, AuthSession.ip)
                )
            ).one()
        assert row.last_used_at == row.created_at
        assert row.ip is None
    finally:
        await engine.dispose()
