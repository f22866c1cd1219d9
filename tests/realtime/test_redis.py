"""The Redis broker: across processes, exactly once, and local delivery when Redis is down."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import connect

from app.realtime.broker import RedisBroker
from tests.realtime.helpers import next_about
from tests.servers import Server, free_port, start_pair

pytestmark = pytest.mark.timeout(90)


async def test_brokers_deliver_each_message_once_everywhere(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    got: list[list[str]] = [[], []]
    brokers = [RedisBroker(redis, redis_url), RedisBroker(redis, redis_url)]
    try:
        for broker, inbox in zip(brokers, got, strict=True):
            await broker.start(inbox.append)
            assert broker.subscribed
        await brokers[0].publish("one")
        await brokers[1].publish("two")
        for _ in range(500):
            if all(len(inbox) >= 2 for inbox in got):
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # would a duplicate turn up?
        assert got == [["one", "two"], ["one", "two"]]
    finally:
        for broker in brokers:
            await broker.stop()
        await redis.aclose()


async def test_with_redis_down_broadcasts_stay_local() -> None:
    dead_url = f"redis://127.0.0.1:{free_port()}/0"
    redis = Redis.from_url(dead_url, socket_timeout=0.5, socket_connect_timeout=0.5)
    inbox: list[str] = []
    broker = RedisBroker(redis, dead_url)
    try:
        await broker.start(inbox.append)  # does not fail: it keeps retrying in the background
        assert not broker.subscribed
        await broker.publish("still here")
        assert inbox == ["still here"]
    finally:
        await broker.stop()
        await redis.aclose()


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


async def test_two_processes_deliver_across_each_other(
    tmp_path: Path,
    redis_url: str,
    servers: list[Server],
) -> None:
    one, two = start_pair(tmp_path, {"REDIS_URL": redis_url}, servers)
    a, b = new_id("a"), new_id("b")
    async with (
        connect(f"{one.ws_url}/ws/{a}") as ws_a,
        connect(f"{two.ws_url}/ws/{b}") as ws_b,
    ):
        await ws_a.send("from process one")
        for ws in (ws_a, ws_b):
            assert await next_about(ws, [a]) == f"Client {a}: from process one"
        await ws_b.send("from process two")
        for ws in (ws_a, ws_b):
            assert await next_about(ws, [b]) == f"Client {b}: from process two"
        # Exactly once: the next message about `a` is the next one `a` sends, not a copy.
        await ws_a.send("second")
        for ws in (ws_a, ws_b):
            assert await next_about(ws, [a]) == f"Client {a}: second"
        await ws_b.close()
        assert await next_about(ws_a, [b]) == f"Client {b} left"


async def test_publish_after_stop_is_a_no_op(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    inbox: list[str] = []
    broker = RedisBroker(redis, redis_url)
    try:
        await broker.start(inbox.append)
        await broker.stop()
        await broker.publish("Client x left")  # e.g. a client leaving during shutdown
        assert inbox == []
    finally:
        await redis.aclose()
