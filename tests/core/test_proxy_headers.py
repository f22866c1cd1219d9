"""The client address honours X-Forwarded-For only from FORWARDED_ALLOW_IPS, the app's own
setting, however the app is served: also under plain `python -m uvicorn app.main:app`, which
applies X-Forwarded-For itself from the process environment (trusting 127.0.0.1 by default)
and never reads the `.env` file the app's settings come from."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.servers import Server, server_env, start_server

LIMIT = 3


def serve_plainly(tmp_path: Path, started: list[Server], dotenv: str) -> Server:
    """Plain uvicorn in a directory whose `.env` says `dotenv`; the rate limit is 3/minute."""
    (tmp_path / ".env").write_text(dotenv)
    env = server_env(tmp_path, {"RATE_LIMIT_ENABLED": "true", "RATE_LIMIT_DEFAULT": "3/minute"})
    env.pop("FORWARDED_ALLOW_IPS", None)
    server = start_server(tmp_path, env, plain=True)
    started.append(server)
    return server


def statuses_with_spoofed_addresses(server: Server, count: int) -> list[int]:
    """`count` requests from 127.0.0.1, each claiming another client address."""
    with httpx.Client(base_url=server.http_url) as http:
        return [
            http.get("/api/v1/teams", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
            for i in range(count)
        ]


def test_plain_uvicorn_does_not_trust_a_peer_the_dotenv_setting_leaves_out(
    tmp_path: Path,
    servers: list[Server],
) -> None:
    server = serve_plainly(tmp_path, servers, "FORWARDED_ALLOW_IPS=10.9.8.7\n")

    statuses = statuses_with_spoofed_addresses(server, LIMIT + 1)

    # Every request counts against 127.0.0.1, the peer: the fourth is refused.
    assert statuses == [200] * LIMIT + [429]


def test_plain_uvicorn_trusts_a_proxy_the_dotenv_setting_names(
    tmp_path: Path,
    servers: list[Server],
) -> None:
    server = serve_plainly(tmp_path, servers, "FORWARDED_ALLOW_IPS=127.0.0.1\n")

    statuses = statuses_with_spoofed_addresses(server, LIMIT + 1)

    # 127.0.0.1 is the proxy: each forwarded client has a bucket of its own.
    assert statuses == [200] * (LIMIT + 1)
