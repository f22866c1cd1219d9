"""No account enumeration by timing: forgot-password for an address with an account takes
what it takes for one without. The request does nothing that depends on the address; the
lookup, the link and the email follow the response (app/accounts/dependencies.py).

What a client sees is measured: from the request to the last byte of the response, calling
the app as a server does (its middleware included), not until its background work has run
as httpx's in-process transport would. Compared as tests/auth/test_timing.py compares
logins: the two kinds alternate, many times, and the medians must be within 20% of each other
(a second round absorbs a burst of noise). Without the deferral the medians differ by ~50%.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import httpx
import pytest
from starlette.types import ASGIApp, Message

from app.users.models import User
from tests.accounts.conftest import FORGOT
from tests.support import Running

pytestmark = pytest.mark.timeout(300)

PAIRS = 25
ROUNDS = 2
TOLERANCE = 0.20


async def _timed(asgi: ASGIApp, email: str) -> float:
    """Seconds until the response's last byte; the app's work after it is awaited but not
    counted (so it cannot overlap the next measurement)."""
    body = json.dumps({"email": email}).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": FORGOT,
        "raw_path": FORGOT.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"test"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    finished = asyncio.Event()
    requested = False
    status: list[int] = []
    answered: list[float] = []

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": body, "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            answered.append(time.perf_counter())

    started = time.perf_counter()
    await asgi(scope, receive, send)
    finished.set()
    assert status == [202]
    return answered[0] - started


async def _medians(http: ASGIApp, known: str, unknown: str) -> tuple[float, float]:
    known_times: list[float] = []
    unknown_times: list[float] = []
    await _timed(http, known)  # warm-up, not measured
    await _timed(http, unknown)
    for index in range(PAIRS):
        if index % 2:
            known_times.append(await _timed(http, known))
            unknown_times.append(await _timed(http, unknown))
        else:
            unknown_times.append(await _timed(http, unknown))
            known_times.append(await _timed(http, known))
    return statistics.median(known_times), statistics.median(unknown_times)


async def test_forgot_password_takes_the_same_time_with_and_without_an_account(
    served: Running, client: httpx.AsyncClient, user: User
) -> None:
    rounds = []
    for _ in range(ROUNDS):
        known, unknown = await _medians(served.asgi, user.email, "nobody@example.com")
        difference = abs(known - unknown) / max(known, unknown)
        rounds.append((round(known * 1000, 2), round(unknown * 1000, 2), round(difference, 3)))
        if difference <= TOLERANCE:
            print(rounds)
            return
    pytest.fail(f"medians (known ms, unknown ms, difference) per round: {rounds}")
