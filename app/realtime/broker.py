"""Brokers carry a broadcast to the connection managers of every process.

`InProcessBroker` (the default) hands it straight to this process's manager. `RedisBroker`
publishes it on a Redis channel to which every process subscribes; each process fans out what
it receives to its own clients, so a message reaches every client exactly once, the sender's
own process included (it gets its message back through its subscription, not directly).
With Redis unreachable the service keeps working and broadcasts stay local to each process;
the subscription reconnects on its own, and the failure is logged once per interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.throttle import ThrottledLog

logger = logging.getLogger("app.realtime")

Deliver = Callable[[str], None]

CHANNEL = "agora:ws:broadcast"
SUBSCRIBE_WAIT_SECONDS = 2.0
MAX_RECONNECT_DELAY_SECONDS = 5.0


class Broker(Protocol):
    async def start(self, deliver: Deliver) -> None: ...

    async def publish(self, text: str) -> None: ...

    async def stop(self) -> None: ...


class InProcessBroker:
    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, text: str) -> None:
        if self._deliver is not None:
            self._deliver(text)

    async def stop(self) -> None:
        self._deliver = None


class RedisBroker:
    """Redis pub/sub: publish through the app's client, listen on a connection of our own."""

    def __init__(self, redis: Redis, url: str, channel: str | None = None) -> None:
        self._redis = redis  # request-path client, short timeouts
        self._url = url
        # Pub/sub ignores the database number: put it in the channel name, so that apps on
        # different databases of one Redis stay apart as they do for their keys.
        database = redis.connection_pool.connection_kwargs.get("db", 0)
        self._channel = channel or f"{CHANNEL}:{database}"
        self._deliver: Deliver | None = None
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._failures = ThrottledLog(logger)

    @property
    def subscribed(self) -> bool:
        return self._subscribed.is_set()

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._listener = asyncio.create_task(self._listen(), name="ws-redis-listener")
        # Wait briefly for the subscription so that a message published right after start-up
        # is not missed; with Redis down, start anyway (broadcasts stay local meanwhile).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SUBSCRIBE_WAIT_SECONDS):
                await self._subscribed.wait()

    async def publish(self, text: str) -> None:
        if self._deliver is None:
            return  # stopped (a client leaving while the app shuts down): nobody to tell
        if not self._subscribed.is_set():
            # Our subscription is down: deliver here ourselves, and still try the others.
            self._deliver(text)
            with contextlib.suppress(RedisError, OSError, TimeoutError):
                await self._redis.publish(self._channel, text)
            return
        try:
            await self._redis.publish(self._channel, text)
        except (RedisError, OSError, TimeoutError) as exc:
            self._failures.warning("broadcast stays local: Redis publish failed", exc)
            self._deliver(text)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        self._deliver = None

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            # No socket timeout here: a subscription is idle for as long as nobody talks.
            client: Redis = Redis.from_url(self._url, socket_connect_timeout=2.0)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._subscribed.set()
                delay = 0.1
                async for message in pubsub.listen():
                    if message["type"] == "message" and self._deliver is not None:
                        data = message["data"]
                        self._deliver(data.decode() if isinstance(data, bytes) else str(data))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failures.warning("WebSocket broadcasts are local only: Redis failed", exc)
            finally:
                self._subscribed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RECONNECT_DELAY_SECONDS)
