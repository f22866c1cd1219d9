"""POST /users/bulk: 1..1000 users in one transaction, all or nothing."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import func, select

from app.core.dependencies import get_hasher
from app.core.security import PasswordHasher
from app.users.models import Profile, User
from tests.assertions import assert_error, assert_invalid

URL = "/api/v1/users/bulk"


def person(name: str, **fields: object) -> dict[str, object]:
    return {"username": name, "email": f"{name}@example.com", "password": "long-enough-1", **fields}


async def user_count(session) -> int:
    return int((await session.execute(select(func.count()).select_from(User))).scalar_one())


class RecordingHasher(PasswordHasher):
    """A fast stand-in that records how many hashes ran at once, and on which threads."""

    def __init__(self, delay: float = 0.02) -> None:
        super().__init__()
        self.delay = delay
        self.running = 0
        self.peak = 0
        self.threads: set[int] = set()
        self._lock = threading.Lock()

    def _work(self, password: str) -> str:
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.threads.add(threading.get_ident())
        time.sleep(self.delay)
        with self._lock:
            self.running -= 1
        return f"fake${password}"

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._work, password)


@pytest.fixture
def fast_hasher(app) -> RecordingHasher:
    hasher = RecordingHasher()
    app.dependency_overrides[get_hasher] = lambda: hasher
    return hasher


async def test_creates_the_users_in_input_order(
    client, session, superuser_headers, fast_hasher
) -> None:
    names = ["zed", "Amy", "mid", "bob"]
    response = await client.post(
        URL, json={"users": [person(n) for n in names]}, headers=superuser_headers
    )
    assert response.status_code == 201
    body = response.json()
    assert [u["username"] for u in body] == names
    assert all("password" not in u and "hashed_password" not in u for u in body)
    assert await user_count(session) == 5  # and the superuser


async def test_accepts_the_admin_fields(client, superuser_headers, fast_hasher) -> None:
    users = [person("boss", is_superuser=True, permissions=["teams:delete"], full_name="B")]
    body = (await client.post(URL, json={"users": users}, headers=superuser_headers)).json()
    assert body[0]["is_superuser"] is True
    assert body[0]["permissions"] == ["teams:delete"]
    assert body[0]["full_name"] == "B"


async def test_stores_emails_lower_cased(client, superuser_headers, fast_hasher) -> None:
    users = [{**person("carl"), "email": "Carl@Example.COM"}]
    body = (await client.post(URL, json={"users": users}, headers=superuser_headers)).json()
    assert body[0]["email"] == "carl@example.com"


async def test_gives_every_user_a_profile(client, session, superuser_headers, fast_hasher) -> None:
    response = await client.post(
        URL, json={"users": [person("pp1"), person("pp2")]}, headers=superuser_headers
    )
    ids = [u["id"] for u in response.json()]
    profiles = (await session.scalars(select(Profile))).all()
    assert {str(p.user_id) for p in profiles} >= set(ids)


async def test_created_users_can_log_in(client, superuser_headers) -> None:
    """With the real hasher: the stored hash verifies."""
    await client.post(URL, json={"users": [person("real")]}, headers=superuser_headers)
    login = await client.post(
        "/api/v1/auth/login", data={"username": "real", "password": "long-enough-1"}
    )
    assert login.status_code == 200


async def test_hashes_in_parallel_worker_threads(client, superuser_headers, fast_hasher) -> None:
    users = [person(f"user{i:02d}") for i in range(12)]
    response = await client.post(URL, json={"users": users}, headers=superuser_headers)
    assert response.status_code == 201
    assert fast_hasher.peak >= 2
    assert threading.get_ident() not in fast_hasher.threads


async def test_inserts_in_batches_not_one_statement_per_row(
    client, superuser_headers, fast_hasher, count_statements
) -> None:
    users = [person(f"batch{i:03d}") for i in range(120)]
    count_statements.reset()
    response = await client.post(URL, json={"users": users}, headers=superuser_headers)
    assert response.status_code == 201
    inserts = [s for s in count_statements.statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 2  # one multi-row INSERT for the users, one for their profiles


async def test_a_duplicate_inside_the_batch_is_409_and_nothing_is_stored(
    client, session, superuser_headers, fast_hasher
) -> None:
    users = [person("first"), person("second"), {**person("FIRST"), "email": "other@example.com"}]
    response = await client.post(URL, json={"users": users}, headers=superuser_headers)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "users[2]" in response.json()["detail"]
    assert "username" in response.json()["detail"]
    assert await user_count(session) == 1
    assert fast_hasher.peak == 0  # refused before any hashing


async def test_a_duplicate_email_inside_the_batch_is_409(
    client, session, superuser_headers, fast_hasher
) -> None:
    users = [person("one"), {**person("two"), "email": "ONE@example.com"}]
    response = await client.post(URL, json={"users": users}, headers=superuser_headers)
    detail = assert_error(response, 409, "conflict")["detail"]
    assert "email" in detail
    assert "users[1]" in detail
    assert await user_count(session) == 1


async def test_a_clash_with_the_table_is_409_and_nothing_is_stored(
    client, session, user, superuser_headers, fast_hasher
) -> None:
    users = [person("fresh"), person("ALICE")]
    response = await client.post(URL, json={"users": users}, headers=superuser_headers)
    detail = assert_error(response, 409, "conflict")["detail"]
    assert "users[1]" in detail
    assert "alice" in detail.lower()
    assert await user_count(session) == 2  # alice and the superuser only


async def test_names_the_first_clash_in_input_order(
    client, user, superuser_headers, fast_hasher
) -> None:
    users = [person("aa1"), {**person("aa2"), "email": "alice@example.com"}, person("aa1")]
    response = await client.post(URL, json={"users": users}, headers=superuser_headers)
    assert assert_error(response, 409, "conflict")["detail"].startswith("users[1]")


async def test_a_race_with_another_writer_is_409_and_nothing_is_stored(
    client, session, user_factory, superuser_headers, fast_hasher, monkeypatch
) -> None:
    """The pre-check saw no clash; the unique index refuses the INSERT."""
    from app.users.repository import UserRepository

    async def nothing_taken(self, usernames, emails):
        return set(), set()

    monkeypatch.setattr(UserRepository, "taken_logins", nothing_taken)
    await user_factory("racer")
    users = [person("before"), person("Racer")]
    response = await client.post(URL, json={"users": users}, headers=superuser_headers)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert await user_count(session) == 2  # the superuser and racer


async def test_requires_a_superuser(client, user_headers) -> None:
    response = await client.post(URL, json={"users": [person("x1x")]}, headers=user_headers)
    assert_error(response, 403, "forbidden")


async def test_requires_a_signed_in_caller(client) -> None:
    response = await client.post(URL, json={"users": [person("x1x")]})
    assert_error(response, 401, "not_authenticated")


async def test_rejects_an_empty_batch(client, superuser_headers) -> None:
    response = await client.post(URL, json={"users": []}, headers=superuser_headers)
    assert_invalid(response, "users")


async def test_rejects_1001_users(client, superuser_headers) -> None:
    users = [person(f"u{i:04d}") for i in range(1001)]
    response = await client.post(URL, json={"users": users}, headers=superuser_headers)
    assert_invalid(response, "users")


async def test_accepts_1000_users(client, session, superuser_headers, fast_hasher) -> None:
    fast_hasher.delay = 0
    users = [person(f"u{i:04d}") for i in range(1000)]
    response = await client.post(URL, json={"users": users}, headers=superuser_headers)
    assert response.status_code == 201
    assert len(response.json()) == 1000
    assert await user_count(session) == 1001


async def test_rejects_unknown_fields_in_a_user(client, session, superuser_headers) -> None:
    users = [person("ok1"), person("ok2", role="admin")]
    response = await client.post(URL, json={"users": users}, headers=superuser_headers)
    assert_invalid(response, "users", 1, "role")
    assert await user_count(session) == 1


async def test_rejects_unknown_fields_in_the_body(client, superuser_headers) -> None:
    body = {"users": [person("ok1")], "dry_run": True}
    assert_invalid(await client.post(URL, json=body, headers=superuser_headers), "dry_run")


async def test_rejects_an_invalid_user_and_stores_nothing(
    client, session, superuser_headers
) -> None:
    users = [person("ok1"), person("x", password="short")]
    response = await client.post(URL, json={"users": users}, headers=superuser_headers)
    assert_invalid(response, "users", 1, "password")
    assert await user_count(session) == 1
