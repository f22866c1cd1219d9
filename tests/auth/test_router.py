from __future__ import annotations

import httpx

from tests.conftest import DEFAULT_PASSWORD


async def test_register_returns_201_with_the_user(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"username": "Bob.Smith", "email": "Bob@Example.com", "password": "s3cret-pass"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "Bob.Smith"
    assert body["email"] == "bob@example.com"
    assert "password" not in body
    assert "hashed_password" not in body


async def test_login_with_email_in_any_case_gives_a_token_pair(
    client: httpx.AsyncClient, user
) -> None:
    response = await client.post(
        "/api/v1/auth/login", data={"username": "ALICE@example.COM", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 1800
    me = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
