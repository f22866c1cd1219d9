"""The one harness for the app as a real server: a subprocess on 127.0.0.1 and a free port.

`start_server` runs `uvicorn app.main:app` (or, with `agora_args`, `agora serve`, the CLI with
its graceful shutdown) in a directory of the test's own, on a database of its own (a fresh
SQLite file, or TEST_DATABASE_URL, which is the xdist worker's own database), and waits until
/health answers. Servers go into the `servers` fixture's list, which stops each one (by its
PID) after the test; module- and session-scoped fixtures call `Server.stop` themselves.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
AGORA = ROOT / ".venv" / "bin" / "agora"
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256!"
START_TIMEOUT = 60.0
EXIT_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, up: bool, within: float) -> bool:
    """Whether 127.0.0.1:`port` accepts connections (`up`) or refuses them within `within` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                is_up = True
        except OSError:
            is_up = False
        if is_up == up:
            return True
        time.sleep(0.05)
    return False


@dataclass
class Server:
    """The app served by a subprocess (uvicorn or `agora serve`) on 127.0.0.1."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> None:
        """SIGTERM, as an orchestrator stops it; `wait_exit` for the exit code."""
        self.process.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float = EXIT_TIMEOUT) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def server_env(tmp_path: Path, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a server: this process's, less the app's own settings, plus a
    database (TEST_DATABASE_URL, or a SQLite file in `tmp_path`), a data dir and test defaults."""
    database_url = os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite+aiosqlite:///{tmp_path / 'server.db'}"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("REDIS_", "RATE_LIMIT_", "EMAIL_", "SMTP_", "DATABASE_"))
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": TEST_SECRET_KEY,
            "DATA_DIR": str(tmp_path / "data"),
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_ENABLED": "false",
            "EMAIL_BACKEND": "console",
            # Argon2 at its lowest cost (production refuses it, and hashes as it does).
            "PASSWORD_HASH_COST": (
                "standard" if (overrides or {}).get("ENVIRONMENT") == "production" else "minimal"
            ),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides or {})
    return env


def _command(port: int, *, plain: bool, agora_args: Sequence[str] | None) -> list[str]:
    if agora_args is not None:
        return [str(AGORA), "serve", "--host", "127.0.0.1", "--port", str(port), *agora_args]
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:app",
        "--app-dir",
        str(ROOT),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if not plain:
        command.append("--no-proxy-headers")  # the app handles X-Forwarded-For, as `agora serve`
    return command


def start_server(
    tmp_path: Path,
    env: Mapping[str, str],
    timeout: float = START_TIMEOUT,
    *,
    plain: bool = False,
    agora_args: Sequence[str] | None = None,
) -> Server:
    """Start the app on a free port in `tmp_path` and wait until /health answers.

    `plain`: uvicorn with its own defaults for proxy headers, as `python -m uvicorn
    app.main:app` runs it. `agora_args`: `agora serve` with these arguments instead of uvicorn.
    """
    port = free_port()
    log_path = tmp_path / f"server-{port}.log"
    command = _command(port, plain=plain, agora_args=agora_args)
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=tmp_path, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(port=port, process=process, log_path=log_path, env=dict(env))
    deadline = time.monotonic() + timeout
    # One client for the polls: each new one builds a TLS context (~50 ms of CPU).
    with httpx.Client(base_url=server.http_url, timeout=1.0) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{command[0]} exited with {process.returncode}:\n{server.log()}"
                )
            try:
                if http.get("/health").status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"the server did not answer /health within {timeout} s:\n{server.log()}")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    """Servers a test starts with `start_server`; each is stopped (by its PID) afterwards."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def start_pair(tmp_path: Path, overrides: Mapping[str, str], started: list[Server]) -> list[Server]:
    """Two uvicorn processes on one database and one Redis (started one after the other, so
    that only the first applies the migrations)."""
    pair = []
    for index in range(2):
        server_dir = tmp_path / f"server{index}"
        server_dir.mkdir()
        env = server_env(tmp_path, overrides)
        env["DATA_DIR"] = str(server_dir / "data")
        server = start_server(server_dir, env)
        started.append(server)
        pair.append(server)
    return pair
