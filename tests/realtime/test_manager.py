"""ConnectionManager with stand-in sockets: slow and dead clients never hold up the others."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from starlette.websockets import WebSocket

from app.realtime.manager import TRY_AGAIN_LATER, ConnectionManager

pytestmark = pytest.mark.timeout(30)


class FakeSocket:
    def __init__(self, *, stall: bool = False, dead: bool = False) -> None:
        self.received: list[str] = []
        self.closed_with: int | None = None
        self.stall = stall
        self.dead = dead

    async def send_text(self, text: str) -> None:
        if self.dead:
            raise RuntimeError("socket is gone")
        if self.stall:
            await asyncio.Event().wait()  # never returns
        self.received.append(text)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed_with = code


def as_ws(fake: FakeSocket) -> WebSocket:
    return cast(WebSocket, fake)


async def settle(condition: Any, within: float = 5.0) -> None:
    for _ in range(int(within / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_a_full_queue_drops_only_that_client() -> None:
    manager = ConnectionManager(queue_size=10, send_timeout=60)
    fast = [FakeSocket() for _ in range(3)]
    slow = FakeSocket(stall=True)
    for index, fake in enumerate([*fast, slow]):
        manager.connect(as_ws(fake), f"c{index}")
    for i in range(100):
        manager.deliver(f"m{i}")
        await asyncio.sleep(0)
    await settle(lambda: all(len(f.received) == 100 for f in fast))
    await settle(lambda: slow.closed_with is not None)
    assert slow.closed_with == TRY_AGAIN_LATER
    assert len(manager) == 3
    assert fast[0].received == [f"m{i}" for i in range(100)]
    await manager.close_all()
    assert len(manager) == 0


async def test_a_send_timeout_drops_a_stalled_client() -> None:
    manager = ConnectionManager(queue_size=100, send_timeout=0.2)
    ok, stalled = FakeSocket(), FakeSocket(stall=True)
    manager.connect(as_ws(ok), "ok")
    manager.connect(as_ws(stalled), "stalled")
    manager.deliver("one")
    await settle(lambda: stalled.closed_with is not None)
    assert stalled.closed_with == TRY_AGAIN_LATER
    manager.deliver("two")
    await settle(lambda: ok.received == ["one", "two"])
    await manager.close_all()


async def test_dead_clients_are_dropped_without_disturbing_the_others() -> None:
    manager = ConnectionManager()
    alive = FakeSocket()
    dead = [FakeSocket(dead=True) for _ in range(5)]
    manager.connect(as_ws(alive), "alive")
    for index, fake in enumerate(dead):
        manager.connect(as_ws(fake), f"dead{index}")
    for i in range(3):
        manager.deliver(f"m{i}")
    await settle(lambda: len(alive.received) == 3 and len(manager) == 1)
    assert alive.received == ["m0", "m1", "m2"]
    await manager.close_all()
