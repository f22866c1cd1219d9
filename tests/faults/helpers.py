"""What the fault tests do on a running server: start it, sign a user up, drive load."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.servers import Server, server_env, start_server

PASSWORD = "fault tolerant 1"


def start(directory: Path, database_url: str, servers: list[Server], **overrides: str) -> Server:
    env = server_env(directory, {"DATABASE_URL": database_url, **overrides})
    server = start_server(directory, env)
    servers.append(server)
    return server


async def sign_up(http: httpx.AsyncClient, username: str = "fault_user") -> dict[str, str]:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    assert (await http.post("/api/v1/auth/register", json=body)).status_code == 201
    login = await http.post("/api/v1/auth/login", data={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


@dataclass
class Outcome:
    at: float  # monotonic time the request was sent
    took: float
    status: int  # 0: no answer (transport error or client timeout)
    code: str | None
    retry_after: str | None


class Load:
    """`workers` clients sending `GET path` back to back until stopped; keeps every outcome."""

    def __init__(
        self, http: httpx.AsyncClient, path: str, headers: Mapping[str, str], workers: int = 8
    ) -> None:
        self.http = http
        self.path = path
        self.headers = dict(headers)
        self.workers = workers
        self.outcomes: list[Outcome] = []
        self._running = False
        self._tasks: list[asyncio.Task[None]] = []

    async def _worker(self) -> None:
        while self._running:
            sent = time.monotonic()
            try:
                response = await self.http.get(self.path, headers=self.headers)
            except httpx.HTTPError:
                self.outcomes.append(Outcome(sent, time.monotonic() - sent, 0, None, None))
                await asyncio.sleep(0.05)
                continue
            code = None
            if response.headers.get("content-type", "").startswith("application/json"):
                body = response.json()
                code = body.get("code") if isinstance(body, dict) else None
            self.outcomes.append(
                Outcome(
                    sent,
                    time.monotonic() - sent,
                    response.status_code,
                    code,
                    response.headers.get("retry-after"),
                )
            )

    def start(self) -> None:
        self._running = True
        self._tasks = [asyncio.create_task(self._worker()) for _ in range(self.workers)]

    async def stop(self) -> None:
        self._running = False
        await asyncio.gather(*self._tasks)
