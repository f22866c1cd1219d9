"""A client's inbound pace (app/realtime/pacing.py): bursts of twice the rate, then the rate,
and a client held back without a break for too long is flooding."""

from __future__ import annotations

import asyncio
import time

from app.realtime.pacing import Pacer


async def test_a_burst_of_twice_the_rate_passes_without_waiting() -> None:
    pacer = Pacer(messages_per_second=1.0)  # a wait would be a second

    start = time.perf_counter()
    results = [await pacer.wait() for _ in range(2)]

    assert results == [True, True]
    assert time.perf_counter() - start < 0.5


async def test_past_the_burst_each_message_waits_for_the_rate() -> None:
    pacer = Pacer(messages_per_second=20.0)
    for _ in range(40):
        await pacer.wait()

    start = time.perf_counter()
    for _ in range(10):
        assert await pacer.wait()

    assert time.perf_counter() - start >= 0.4  # 10 at 20 a second, less a little slack


async def test_a_client_held_back_longer_than_close_after_is_flooding() -> None:
    pacer = Pacer(messages_per_second=50.0, close_after=0.3)
    start = time.perf_counter()

    async with asyncio.timeout(5):
        while await pacer.wait():
            pass

    assert time.perf_counter() - start >= 0.3


async def test_a_client_that_pauses_after_being_held_back_starts_afresh() -> None:
    pacer = Pacer(messages_per_second=50.0, close_after=1.0)

    for _ in range(110):  # the last 10 held back 0.2 s
        assert await pacer.wait()
    await asyncio.sleep(0.5)  # a pause: the bucket drains 25
    for _ in range(60):  # held back 0.7 s more: 1.4 s since first held, but it paused
        assert await pacer.wait()
