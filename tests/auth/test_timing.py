"""No user enumeration by timing: a login for an unknown user costs what a wrong password
for a real one costs (both verify an Argon2 hash; API Security Top 10 API2, RFC 8725 aside).

Measured as a property, robustly on a busy machine: the two kinds of attempt alternate (so
load spikes hit both alike), many times, and the medians are compared; they must be within
20% of each other. A real difference (no dummy verify: microseconds against tens of
milliseconds) fails every round; a second round only absorbs a burst of noise. The suite's
apps hash at Argon2's lowest cost (PASSWORD_HASH_COST=minimal, microseconds): this test puts
the standard cost back, in the app's hasher and in the user's stored hash.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col

from app.core.security import PasswordHasher
from app.core.state import AppState
from app.users.models import User
from tests.conftest import DEFAULT_PASSWORD, login

pytestmark = pytest.mark.timeout(300)

PAIRS = 25
ROUNDS = 2
TOLERANCE = 0.20


@pytest.fixture
async def standard_cost_user(state: AppState, user: User) -> AsyncIterator[User]:
    """`user`, whose stored hash is of the standard cost, on an app that hashes (and makes
    its dummy hash) at the standard cost, as in production."""
    hasher = PasswordHasher()
    await hasher.warm_up()
    hashed = await hasher.hash(DEFAULT_PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    async with state.db.sessionmaker() as session:
        await session.execute(
            update(User).where(col(User.id) == user.id).values(hashed_password=hashed)
        )
        await session.commit()
    original, state.hasher = state.hasher, hasher
    try:
        yield user
    finally:
        state.hasher = original


async def _timed(http: httpx.AsyncClient, username: str, password: str) -> float:
    started = time.perf_counter()
    response = await login(http, username, password)
    elapsed = time.perf_counter() - started
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    return elapsed


async def _medians(http: httpx.AsyncClient, known: str, unknown: str) -> tuple[float, float]:
    wrong_password: list[float] = []
    unknown_user: list[float] = []
    await _timed(http, known, "not the password")  # warm-up, not measured
    await _timed(http, unknown, "not the password")
    for index in range(PAIRS):
        # Alternate which goes first, so neither always follows the other.
        if index % 2:
            wrong_password.append(await _timed(http, known, "not the password"))
            unknown_user.append(await _timed(http, unknown, "not the password"))
        else:
            unknown_user.append(await _timed(http, unknown, "not the password"))
            wrong_password.append(await _timed(http, known, "not the password"))
    return statistics.median(wrong_password), statistics.median(unknown_user)


@pytest.mark.parametrize("unknown", ["nobody_at_all", "nobody@example.com"])
async def test_unknown_user_and_wrong_password_take_the_same_time(
    client: httpx.AsyncClient, standard_cost_user: User, unknown: str
) -> None:
    rounds = []
    for _ in range(ROUNDS):
        wrong, missing = await _medians(client, standard_cost_user.username, unknown)
        difference = abs(wrong - missing) / max(wrong, missing)
        rounds.append((round(wrong * 1000, 2), round(missing * 1000, 2), round(difference, 3)))
        if difference <= TOLERANCE:
            return
    pytest.fail(f"medians (wrong password ms, unknown user ms, difference) per round: {rounds}")
