"""The connections of one process and the local fan-out to them.

Each connection has a bounded queue and a sender task of its own. Delivering a message is a
`put_nowait` into every queue over a snapshot of the connections, so it never waits on a
client: a client whose queue is full (it reads too slowly) or whose send does not finish
within the send timeout (it is dead or stalled) is dropped and closed, and the others carry
on. The set of connections is never mutated while iterated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.websockets import WebSocket

logger = logging.getLogger("app.realtime")

DEFAULT_QUEUE_SIZE = 1024
DEFAULT_SEND_TIMEOUT_SECONDS = 5.0
# Closing a stalled connection can itself stall (the close frame waits behind the unsent
# data); the server's own close timeout aborts the transport, we just stop waiting after this.
CLOSE_TIMEOUT_SECONDS = 15.0

# Close codes (RFC 6455, IANA registry).
GOING_AWAY = 1001
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
TRY_AGAIN_LATER = 1013


class Connection:
    __slots__ = ("client_id", "queue", "sender", "websocket")

    def __init__(self, websocket: WebSocket, client_id: str, queue_size: int) -> None:
        self.websocket = websocket
        self.client_id = client_id
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self.sender: asyncio.Task[None] | None = None


class ConnectionManager:
    def __init__(
        self,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        send_timeout: float = DEFAULT_SEND_TIMEOUT_SECONDS,
    ) -> None:
        self.queue_size = queue_size
        self.send_timeout = send_timeout
        self._connections: set[Connection] = set()
        self._closing: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._connections)

    def is_open(self, connection: Connection) -> bool:
        """Not disconnected, dropped or closed: still receives broadcasts."""
        return connection in self._connections

    def connect(self, websocket: WebSocket, client_id: str) -> Connection:
        """Register an accepted websocket; from now on it receives every broadcast."""
        connection = Connection(websocket, client_id, self.queue_size)
        connection.sender = asyncio.create_task(
            self._send_loop(connection), name=f"ws-sender-{client_id}"
        )
        self._connections.add(connection)
        return connection

    def disconnect(self, connection: Connection) -> None:
        """The client left: stop sending to it (its socket is closed already)."""
        self._connections.discard(connection)
        if connection.sender is not None and connection.sender is not asyncio.current_task():
            connection.sender.cancel()

    def drop(self, connection: Connection, code: int, reason: str = "") -> None:
        """Stop sending to a client and close its socket in the background."""
        if connection not in self._connections:
            return
        self.disconnect(connection)
        task = asyncio.create_task(self._close(connection, code, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self, connection: Connection, code: int, reason: str = "") -> None:
        """Stop sending to a client and close its socket now (before its handler returns)."""
        self.disconnect(connection)
        await self._close(connection, code, reason)

    def deliver(self, text: str) -> None:
        """Queue `text` for every local connection; never waits."""
        for connection in list(self._connections):
            try:
                connection.queue.put_nowait(text)
            except asyncio.QueueFull:
                logger.info("dropping websocket client %s: too slow", connection.client_id)
                self.drop(connection, TRY_AGAIN_LATER, "too slow")

    async def close_all(self, code: int = GOING_AWAY) -> None:
        for connection in list(self._connections):
            self.drop(connection, code, "server shutting down")
        if self._closing:
            await asyncio.wait(set(self._closing), timeout=CLOSE_TIMEOUT_SECONDS)

    async def _send_loop(self, connection: Connection) -> None:
        websocket = connection.websocket
        while True:
            text = await connection.queue.get()
            try:
                async with asyncio.timeout(self.send_timeout):
                    await websocket.send_text(text)
            except TimeoutError:
                logger.info("dropping websocket client %s: send timed out", connection.client_id)
                self.drop(connection, TRY_AGAIN_LATER, "too slow")
                return
            except Exception as exc:  # the socket is gone: nothing to deliver to any more
                logger.debug("websocket client %s is gone: %r", connection.client_id, exc)
                self.drop(connection, GOING_AWAY)
                return

    @staticmethod
    async def _close(connection: Connection, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await connection.websocket.close(code, reason)
