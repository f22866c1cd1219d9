"""Graceful shutdown: what happens between SIGTERM and the process's exit.

The ASGI server (uvicorn) does most of it: it stops accepting connections, lets in-flight
requests finish, waits for their background tasks (the emails a request queued) up to
`--timeout-graceful-shutdown` (`agora serve --graceful-timeout`), then runs the lifespan's
shutdown. One thing it does not do well: it closes open WebSockets with 1012 ("service
restart") the moment the signal arrives, before the app can say goodbye.

`DrainOnSignal` runs first. Installed by the lifespan once the app is up, it wraps the
server's own SIGTERM/SIGINT handlers: on the signal it runs the app's drain (closing every
WebSocket with 1001 "going away"), bounded by a timeout, and only then hands the signal to the
server, which goes on as usual. A second signal goes to the server at once (a forced exit
stays possible). Where no server handler is installed (tests, a server that does not catch
signals) it stays out of the way.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

logger = logging.getLogger("app.shutdown")

DRAIN_SIGNALS = (signal.SIGINT, signal.SIGTERM)
DEFAULT_DRAIN_TIMEOUT_SECONDS = 5.0

Handler = Callable[[int, FrameType | None], Any]


class DrainOnSignal:
    def __init__(
        self, drain: Callable[[], Awaitable[None]], timeout: float = DEFAULT_DRAIN_TIMEOUT_SECONDS
    ) -> None:
        self.drain = drain
        self.timeout = timeout
        self._previous: dict[int, Handler] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._signalled = False

    def __enter__(self) -> DrainOnSignal:
        self.install()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()

    def install(self) -> None:
        """Wrap the server's handlers (from the event loop's thread, in the lifespan)."""
        if threading.current_thread() is not threading.main_thread():
            return  # signals can only be handled in the main thread
        self._loop = asyncio.get_running_loop()
        for sig in DRAIN_SIGNALS:
            previous = signal.getsignal(sig)
            if callable(previous) and previous is not signal.default_int_handler:
                self._previous[sig] = previous
                signal.signal(sig, self._handle)

    def uninstall(self) -> None:
        """Put the server's handlers back (where ours are still in place)."""
        for sig, previous in self._previous.items():
            if signal.getsignal(sig) == self._handle:
                signal.signal(sig, previous)
        self._previous.clear()

    def _handle(self, sig: int, frame: FrameType | None) -> None:
        previous = self._previous.get(sig)
        if previous is None or self._loop is None:
            return
        if self._signalled or self._loop.is_closed():
            previous(sig, frame)  # a second signal: straight to the server
            return
        self._signalled = True
        self._loop.call_soon_threadsafe(self._start, sig, previous)

    def _start(self, sig: int, previous: Handler) -> None:
        assert self._loop is not None
        self._task = self._loop.create_task(self._drain_then(sig, previous), name="drain")

    async def _drain_then(self, sig: int, previous: Handler) -> None:
        logger.info("signal %s: draining before shutdown", signal.Signals(sig).name)
        try:
            async with asyncio.timeout(self.timeout):
                await self.drain()
        except TimeoutError:
            logger.warning("drain did not finish within %s s; shutting down anyway", self.timeout)
        except Exception:
            logger.exception("drain failed; shutting down anyway")
        finally:
            previous(sig, None)
