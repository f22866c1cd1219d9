"""A database outage is a 503 `database_unavailable`, and the service recovers by itself."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.main import create_app
from tests.assertions import assert_error, assert_not_ready
from tests.support import running


@contextlib.asynccontextmanager
async def client_of(application: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(application) as served:
        yield served.client


async def test_starts_without_a_database_and_answers_503(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(
        DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:9/agora_unreachable",
        AUTO_MIGRATE=False,
        DB_CONNECT_TIMEOUT=2,
    )
    async with client_of(create_app(settings)) as http:
        assert (await http.get("/health")).status_code == 200

        ready = await http.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert ready.json()["checks"]["database"] == "error"
        assert ready.json()["detail"]

        response = await http.post(
            "/api/v1/auth/login", data={"username": "someone", "password": "whatever1"}
        )
        assert response.status_code == 503
        assert response.json()["code"] == "database_unavailable"
        assert int(response.headers["Retry-After"]) > 0


def unopenable_sqlite_paths(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    a_directory = tmp_path / "a-directory.db"
    a_directory.mkdir()
    return {
        "parent-is-a-file": a_file / "app.db",
        "parent-cannot-be-created": Path("/proc/agora-nowhere/app.db"),
        "database-is-a-directory": a_directory,
    }


@pytest.mark.parametrize(
    "case", ["parent-is-a-file", "parent-cannot-be-created", "database-is-a-directory"]
)
async def test_starts_with_an_unopenable_sqlite_path_and_answers_503(
    make_settings: Callable[..., Settings], tmp_path: Path, case: str
) -> None:
    path = unopenable_sqlite_paths(tmp_path)[case]
    settings = make_settings(DATABASE_URL=f"sqlite+aiosqlite:///{path}", AUTO_MIGRATE=False)
    async with client_of(create_app(settings)) as http:
        assert (await http.get("/health")).status_code == 200
        assert_not_ready(await http.get("/health/ready"), "database")
        assert_error(await http.get("/api/v1/teams"), 503, "database_unavailable")
        response = await http.post(
            "/api/v1/auth/login", data={"username": "someone", "password": "whatever1"}
        )
        assert_error(response, 503, "database_unavailable")


class TcpProxy:
    """A TCP forwarder we can cut and restore, to stage an outage of a real database."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


@pytest.mark.timeout(60)
async def test_service_recovers_after_a_database_outage(
    app: FastAPI, database_url: str, make_settings: Callable[..., Settings]
) -> None:
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("an outage of an embedded SQLite file cannot be staged; runs on PostgreSQL")
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = make_settings(DATABASE_URL=proxied, AUTO_MIGRATE=False, DB_CONNECT_TIMEOUT=2)
    async with client_of(create_app(settings)) as http:
        body = {"username": "nobody", "password": "whatever1"}
        answered = await http.post("/api/v1/auth/login", data=body)
        assert_error(answered, 401, "invalid_credentials")

        await proxy.cut()
        during = await http.post("/api/v1/auth/login", data=body)
        assert_error(during, 503, "database_unavailable")
        assert_not_ready(await http.get("/health/ready"), "database")

        await proxy.start()  # same port: the database is back
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        status = None
        while loop.time() < deadline:
            status = (await http.post("/api/v1/auth/login", data=body)).status_code
            if status == 401:
                break
            await asyncio.sleep(0.2)
        assert status == 401  # answered from the database again, without a restart
        assert (await http.get("/health/ready")).status_code == 200
    await proxy.cut()
