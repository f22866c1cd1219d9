"""WebSocket client helpers for the realtime tests (the `websockets` library)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed


async def next_about(ws: ClientConnection, ids: Iterable[str], within: float = 5.0) -> str:
    """The next message that mentions one of `ids` (others, from earlier tests, are skipped)."""
    wanted = tuple(f"Client {client_id}" for client_id in ids)
    async with asyncio.timeout(within):
        while True:
            message = await ws.recv()
            assert isinstance(message, str)
            if message.startswith(wanted):
                return message


async def close_code(ws: ClientConnection, within: float = 5.0) -> int | None:
    """Read until the server closes the connection; its close code."""
    try:
        async with asyncio.timeout(within):
            while True:
                await ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
