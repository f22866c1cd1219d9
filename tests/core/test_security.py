"""Password hashing (Argon2, old bcrypt hashes upgraded) and the JWT codec."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import bcrypt
import httpx
import jwt
import pytest
from sqlalchemy import select

from app.core.config import Settings
from app.core.errors import InvalidToken
from app.core.security import PasswordHasher, TokenCodec, TokenKind, build_password_hash
from app.main import create_app
from app.users.models import User
from tests.assertions import assert_error
from tests.conftest import TEST_SECRET_KEY, UserFactory
from tests.support import running

KEY = "k" * 64


async def test_hashes_are_argon2_and_verify() -> None:
    hasher = PasswordHasher()
    hashed = await hasher.hash("s3cret-pass")
    assert hashed.startswith("$argon2id$")
    assert await hasher.verify_and_update("s3cret-pass", hashed) == (True, None)
    assert (await hasher.verify_and_update("wrong-pass", hashed))[0] is False


async def test_new_hashes_have_argon2s_standard_cost() -> None:
    hashed = await PasswordHasher().hash("s3cret-pass")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


async def test_the_minimal_cost_is_argon2s_lowest_and_the_standard_cost_rehashes_it() -> None:
    cheap = await PasswordHasher(build_password_hash("minimal")).hash("s3cret-pass")
    assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    valid, upgraded = await PasswordHasher().verify_and_update("s3cret-pass", cheap)
    assert valid
    assert upgraded is not None
    assert upgraded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.mark.parametrize(
    ("cost", "parameters"), [("standard", "m=65536,t=3,p=4"), ("minimal", "m=8,t=1,p=1")]
)
async def test_the_app_hashes_at_the_cost_its_settings_name(
    make_settings: Callable[..., Settings], cost: str, parameters: str
) -> None:
    async with running(create_app(make_settings(PASSWORD_HASH_COST=cost))) as served:
        hashed = await served.state.hasher.hash("s3cret-pass")
    assert hashed.startswith(f"$argon2id$v=19${parameters}$")


async def test_hashing_runs_off_the_event_loop_thread() -> None:
    hasher = PasswordHasher()
    seen: list[threading.Thread] = []
    original = hasher._hash.hash

    def recording_hash(password: str) -> str:
        seen.append(threading.current_thread())
        return original(password)

    hasher._hash.hash = recording_hash  # type: ignore[method-assign]
    await hasher.hash("s3cret-pass")
    assert seen
    assert seen[0] is not threading.main_thread()


class CountingHash:
    """Stands in for pwdlib's PasswordHash: slow, and counts how many run at once."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def _work(self) -> None:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self._lock:
            self.running -= 1

    def hash(self, password: str) -> str:
        self._work()
        return "hashed"

    def verify_and_update(self, password: str, hashed: str) -> tuple[bool, str | None]:
        self._work()
        return True, None


async def test_at_most_one_password_hash_per_cpu_runs_at_once() -> None:
    # Argon2 takes a core and 64 MiB for each hash: a burst of logins running 40 at once (the
    # thread pool's size) starved the event loop and the database's threads, and held 2.5 GiB.
    counting = CountingHash()
    hasher = PasswordHasher(counting)  # type: ignore[arg-type]
    cpus = os.cpu_count() or 1

    await asyncio.gather(
        *(hasher.hash("s3cret-pass") for _ in range(2 * cpus + 2)),
        *(hasher.verify_and_update("s3cret-pass", "hashed") for _ in range(2 * cpus + 2)),
    )

    assert counting.most == cpus


async def test_bcrypt_hash_verifies_and_is_upgraded_to_argon2() -> None:
    old = bcrypt.hashpw(b"legacy-pass", bcrypt.gensalt(rounds=4)).decode()
    valid, new_hash = await PasswordHasher().verify_and_update("legacy-pass", old)
    assert valid
    assert new_hash is not None
    assert new_hash.startswith("$argon2id$")


async def test_login_with_an_old_bcrypt_hash_rehashes_it(
    state, client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    legacy = await user_factory("legacy")
    async with state.db.sessionmaker() as session:
        stored = await session.get(User, legacy.id)
        assert stored is not None
        stored.hashed_password = bcrypt.hashpw(b"legacy-pass", bcrypt.gensalt(4)).decode()
        await session.commit()
    response = await client.post(
        "/api/v1/auth/login", data={"username": "legacy", "password": "legacy-pass"}
    )
    assert response.status_code == 200
    async with state.db.sessionmaker() as session:
        hashed = (
            await session.scalars(select(User.hashed_password).where(User.id == legacy.id))
        ).one()
    assert hashed.startswith("$argon2id$")


def _encode(codec: TokenCodec, kind: TokenKind, lifetime: timedelta) -> str:
    return codec.encode(
        kind,
        user_id=uuid.uuid4(),
        session_id=uuid.uuid4(),
        token_id=uuid.uuid4(),
        issued_at=datetime.now(UTC),
        lifetime=lifetime,
    )


def test_token_round_trips() -> None:
    codec = TokenCodec(KEY, "HS256")
    claims = codec.decode(_encode(codec, TokenKind.ACCESS, timedelta(minutes=5)), TokenKind.ACCESS)
    assert claims.expires_at > datetime.now(UTC)


def test_token_of_the_other_kind_is_refused() -> None:
    codec = TokenCodec(KEY, "HS256")
    with pytest.raises(InvalidToken):
        codec.decode(_encode(codec, TokenKind.REFRESH, timedelta(minutes=5)), TokenKind.ACCESS)


def test_expired_token_is_refused() -> None:
    codec = TokenCodec(KEY, "HS256")
    with pytest.raises(InvalidToken):
        codec.decode(_encode(codec, TokenKind.ACCESS, timedelta(seconds=-1)), TokenKind.ACCESS)


def test_alg_none_is_refused() -> None:
    codec = TokenCodec(KEY, "HS256")
    good = jwt.decode(
        _encode(codec, TokenKind.ACCESS, timedelta(minutes=5)),
        options={"verify_signature": False},
    )
    unsigned = jwt.encode(good, None, algorithm="none")
    with pytest.raises(InvalidToken):
        codec.decode(unsigned, TokenKind.ACCESS)


def test_other_algorithm_with_the_same_key_is_refused() -> None:
    token = _encode(TokenCodec(KEY, "HS512"), TokenKind.ACCESS, timedelta(minutes=5))
    with pytest.raises(InvalidToken):
        TokenCodec(KEY, "HS256").decode(token, TokenKind.ACCESS)


def test_token_signed_with_another_key_is_refused() -> None:
    token = _encode(TokenCodec("o" * 64, "HS256"), TokenKind.ACCESS, timedelta(minutes=5))
    with pytest.raises(InvalidToken):
        TokenCodec(KEY, "HS256").decode(token, TokenKind.ACCESS)


# Signed with the right key, but with a time claim no clock reads: PyJWT lets some through
# (it only compares them), and datetime or int() overflow on them.
ABSURD_TIMES = [
    pytest.param({"exp": 10**20}, id="exp-1e20"),
    pytest.param({"exp": 1e300}, id="exp-1e300"),
    pytest.param({"exp": float("inf")}, id="exp-infinity"),
    pytest.param({"exp": float("nan")}, id="exp-nan"),
    pytest.param({"iat": -(10**20)}, id="iat-far-past"),
    pytest.param({"iat": 10**20}, id="iat-far-future"),
    pytest.param({"nbf": 10**20}, id="nbf-far-future"),
    pytest.param({"nbf": float("-inf")}, id="nbf-minus-infinity"),
    pytest.param({"exp": "later"}, id="exp-text"),
]


def _with_times(codec: TokenCodec, kind: TokenKind, times: dict[str, object], key: str) -> str:
    claims = jwt.decode(
        _encode(codec, kind, timedelta(minutes=5)), options={"verify_signature": False}
    )
    return jwt.encode({**claims, **times}, key, algorithm="HS256")


@pytest.mark.parametrize("times", ABSURD_TIMES)
def test_a_token_with_an_absurd_time_claim_is_refused(times: dict[str, object]) -> None:
    codec = TokenCodec(KEY, "HS256")
    with pytest.raises(InvalidToken):
        codec.decode(_with_times(codec, TokenKind.ACCESS, times, KEY), TokenKind.ACCESS)


@pytest.mark.parametrize("times", ABSURD_TIMES)
async def test_a_request_with_an_absurd_time_claim_is_401_invalid_token(
    client: httpx.AsyncClient, state, times: dict[str, object]
) -> None:
    access = _with_times(state.token_codec, TokenKind.ACCESS, times, TEST_SECRET_KEY)
    refresh = _with_times(state.token_codec, TokenKind.REFRESH, times, TEST_SECRET_KEY)
    got = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"})
    assert_error(got, 401, "invalid_token")
    assert_error(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh}),
        401,
        "invalid_token",
    )
