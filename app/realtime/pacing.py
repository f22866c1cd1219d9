"""How fast one WebSocket client may send: WS_MESSAGES_PER_SECOND, in bursts of twice that.

Past the rate the connection's loop waits for the bucket (aiolimiter's leaky bucket) before it
broadcasts, and reads nothing from that socket meanwhile: uvicorn's queue of received frames
fills (32 messages) and it stops reading the socket, TCP's window closes, and the client's own
sends block. That is backpressure, chosen over closing at once with 1008: a client that sends
too fast in good faith (a burst after a reconnect, a script) is slowed down and loses nothing,
and there is no close-and-reconnect loop (each reconnect a handshake and a "left" broadcast).

A client held back without a break for longer than FLOOD_CLOSE_AFTER_SECONDS is not bursting
but flooding: it is closed with 1008. Without that, what it had sent would be broadcast at the
paced rate for as long as its socket buffers last (megabytes of small messages: hours), also
after it has gone, since a socket that is not read does not report that its peer left.
"""

from __future__ import annotations

import asyncio

from aiolimiter import AsyncLimiter

FLOOD_CLOSE_AFTER_SECONDS = 10.0


class Pacer:
    def __init__(
        self, messages_per_second: float, close_after: float = FLOOD_CLOSE_AFTER_SECONDS
    ) -> None:
        # Holds twice the rate and drains at the rate: bursts of 2x, then the rate.
        self._bucket = AsyncLimiter(max_rate=2 * messages_per_second, time_period=2.0)
        self._close_after = close_after
        self._held_since: float | None = None

    async def wait(self) -> bool:
        """Wait for the next message's turn; False if the client is flooding (close it)."""
        now = asyncio.get_running_loop().time()
        if self._bucket.has_capacity():
            self._held_since = None
        elif self._held_since is None:
            self._held_since = now
        elif now - self._held_since > self._close_after:
            return False
        await self._bucket.acquire()
        return True
