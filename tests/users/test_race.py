"""Concurrent registrations: the database, not a prior check, decides who wins."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

import httpx

from app.notifications.email import EmailMessage
from tests.conftest import HeadersFor, UserFactory, bearer, login

REGISTER = "/api/v1/auth/register"
RACERS = 20
PASSWORD = "s3cret-pass"


def case_variants(word: str, count: int) -> list[str]:
    """`count` distinct spellings of `word` that differ only in letter case."""
    spellings = ("".join(p) for p in itertools.product(*((c.lower(), c.upper()) for c in word)))
    return list(itertools.islice(spellings, count))


async def register_all(
    client: httpx.AsyncClient, bodies: list[dict[str, str]]
) -> list[httpx.Response]:
    return list(await asyncio.gather(*(client.post(REGISTER, json=body) for body in bodies)))


async def test_concurrent_registrations_with_one_email_give_one_201(
    client: httpx.AsyncClient, outbox: list[EmailMessage]
) -> None:
    bodies = [
        {"username": f"racer{i}", "email": f"{local}@Example.com", "password": PASSWORD}
        for i, local in enumerate(case_variants("race", RACERS // 2) * 2)
    ]

    responses = await register_all(client, bodies)

    assert Counter(r.status_code for r in responses) == {201: 1, 409: RACERS - 1}
    conflicts = [r.json() for r in responses if r.status_code == 409]
    assert all(c["code"] == "conflict" and "email" in c["detail"] for c in conflicts)
    assert [(m.to, m.subject) for m in outbox] == [
        ("race@example.com", "Welcome!"),
        ("race@example.com", "Verify your email"),
    ]


async def test_concurrent_registrations_with_one_email_store_one_user(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    bodies = [
        {"username": f"racer{i}", "email": "race@example.com", "password": PASSWORD}
        for i in range(RACERS)
    ]

    responses = await register_all(client, bodies)

    winner = next(r.json() for r in responses if r.status_code == 201)
    listed = await client.get(
        "/api/v1/users", params={"email": "race@example.com"}, headers=superuser_headers
    )
    assert [u["id"] for u in listed.json()["items"]] == [winner["id"]]


async def test_concurrent_registrations_with_one_username_in_any_case_give_one_201(
    client: httpx.AsyncClient, outbox: list[EmailMessage]
) -> None:
    names = case_variants("racer", RACERS)
    assert len(set(names)) == RACERS
    bodies = [
        {"username": name, "email": f"racer{i}@example.com", "password": PASSWORD}
        for i, name in enumerate(names)
    ]

    responses = await register_all(client, bodies)

    assert Counter(r.status_code for r in responses) == {201: 1, 409: RACERS - 1}
    conflicts = [r.json() for r in responses if r.status_code == 409]
    assert all(c["code"] == "conflict" and "username" in c["detail"] for c in conflicts)
    assert [m.subject for m in outbox] == ["Welcome!", "Verify your email"]


async def test_after_a_username_race_the_winner_logs_in(client: httpx.AsyncClient) -> None:
    names = case_variants("racer", RACERS)
    bodies = [
        {"username": name, "email": f"racer{i}@example.com", "password": PASSWORD}
        for i, name in enumerate(names)
    ]

    responses = await register_all(client, bodies)

    winner = next(r.json() for r in responses if r.status_code == 201)
    response = await login(client, "RACER", PASSWORD)
    assert response.status_code == 200
    me = await client.get("/api/v1/users/me", headers=bearer(response.json()["access_token"]))
    assert me.json()["id"] == winner["id"]


async def test_concurrent_renames_to_one_username_give_one_200(
    client: httpx.AsyncClient, user_factory: UserFactory, headers_for: HeadersFor
) -> None:
    users = [await user_factory(f"renamer{i}") for i in range(10)]
    headers = [await headers_for(u) for u in users]
    names = case_variants("winner", len(users))

    responses = await asyncio.gather(
        *(
            client.patch("/api/v1/users/me", json={"username": name}, headers=h)
            for name, h in zip(names, headers, strict=True)
        )
    )

    assert Counter(r.status_code for r in responses) == {200: 1, 409: len(users) - 1}
    conflicts = [r.json() for r in responses if r.status_code == 409]
    assert all("username" in c["detail"] for c in conflicts)
