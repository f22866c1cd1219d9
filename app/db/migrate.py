"""Applying Alembic migrations from the app (start-up, CLI) safely with several workers.

On PostgreSQL an advisory lock serialises workers that start at once: the first migrates, the
others wait, then find nothing left to do. On SQLite a file lock next to the database does
the same for the workers of one host.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger("app.migrate")

ROOT = Path(__file__).resolve().parents[2]
MIGRATION_LOCK_KEY = 0x41_67_6F_72_61  # "Agora"


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if url is not None:
        config.attributes["url"] = url
    return config


@contextmanager
def _sqlite_file_lock(engine: AsyncEngine) -> Iterator[None]:
    database = make_url(engine.url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    lock_path = Path(database).with_suffix(".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    config = alembic_config()
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await conn.commit()
            try:
                await conn.run_sync(_upgrade, config, revision)
                await conn.commit()
            finally:
                await conn.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                await conn.commit()
        return

    lock = _sqlite_file_lock(engine)
    await asyncio.to_thread(lock.__enter__)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_upgrade, config, revision)
            await conn.commit()
    finally:
        lock.__exit__(None, None, None)
