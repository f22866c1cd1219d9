"""The SMTP server stops under a running server: requests are unaffected, and the emails sent
once it is back arrive."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.faults.helpers import PASSWORD, start
from tests.notifications.smtp import SmtpServer
from tests.servers import Server, free_port

pytestmark = pytest.mark.timeout(120)


async def _register(http: httpx.AsyncClient, username: str) -> float:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    sent = time.monotonic()
    response = await http.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    return time.monotonic() - sent


async def test_with_smtp_stopped_requests_are_unaffected(
    server_dir: Path, servers: list[Server]
) -> None:
    port = free_port()
    smtp = SmtpServer(port)
    smtp.start()
    try:
        server = start(
            server_dir,
            f"sqlite+aiosqlite:///{server_dir / 'app.db'}",
            servers,
            EMAIL_BACKEND="smtp",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(port),
        )
        async with httpx.AsyncClient(base_url=server.http_url, timeout=20) as http:
            await _register(http, "before_outage")
            await smtp.collector.wait_for(1)

            smtp.stop()
            took = [await _register(http, f"during_outage_{index}") for index in range(5)]
            assert max(took) < 3  # the send happens after the response, and fails there
            assert (await http.get("/health/ready")).status_code == 200
            assert (await http.get("/api/v1/posts")).status_code == 200

            smtp = SmtpServer(port)  # restore what was stopped, on the same port
            smtp.start()
            await _register(http, "after_outage")
            received = await smtp.collector.wait_for(1)
            assert received[0].rcpt_tos == ["after_outage@example.com"]
        assert server.process.poll() is None
    finally:
        smtp.stop()
