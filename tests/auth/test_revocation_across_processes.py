"""Revocation is immediate in every process: each request looks its caller's login up in the
database (app/auth/repository.py: `find_active_user`), nothing is cached per process."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.servers import Server, start_pair

PASSWORD = "a long enough password"


async def test_a_token_logged_out_in_one_process_is_refused_by_the_other_on_its_next_request(
    tmp_path: Path, servers: list[Server]
) -> None:
    one, two = start_pair(tmp_path, {}, servers)
    async with (
        httpx.AsyncClient(base_url=one.http_url) as first,
        httpx.AsyncClient(base_url=two.http_url) as second,
    ):
        body = {"username": "roamer", "email": "roamer@example.com", "password": PASSWORD}
        assert (await first.post("/api/v1/auth/register", json=body)).status_code == 201
        login = await first.post(
            "/api/v1/auth/login", data={"username": "roamer", "password": PASSWORD}
        )
        tokens = login.json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert (await second.get("/api/v1/users/me", headers=headers)).status_code == 200

        logout = await first.post(
            "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=headers
        )
        assert logout.status_code == 204

        refused = await second.get("/api/v1/users/me", headers=headers)
        assert refused.status_code == 401
        assert refused.json()["code"] == "invalid_token"
