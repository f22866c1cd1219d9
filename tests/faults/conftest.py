"""Fixtures of the fault tests: services of the test's own, and a server on them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.services import PostgresCluster, RedisProcess, postgres_bindir, require


@pytest.fixture
def postgres() -> Iterator[PostgresCluster]:
    bindir = postgres_bindir()
    require("PostgreSQL (initdb, pg_ctl)", bindir is not None)
    assert bindir is not None
    cluster = PostgresCluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    require("redis-server", shutil.which("redis-server") is not None)
    redis = RedisProcess()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def server_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "server"
    directory.mkdir()
    return directory
