"""`ThrottledLog`: a recurring failure (Redis down...) logged once per interval, not per event."""

from __future__ import annotations

import logging
import math
import time


class ThrottledLog:
    """Log a recurring failure at most once per `interval` seconds, with a count of the rest."""

    def __init__(self, log: logging.Logger, interval: float = 30.0) -> None:
        self._log = log
        self._interval = interval
        self._last = -math.inf
        self._suppressed = 0

    def warning(self, message: str, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._last < self._interval:
            self._suppressed += 1
            return
        self._last = now
        suppressed, self._suppressed = self._suppressed, 0
        self._log.warning(
            "%s: %r (%d similar failures since the last message)", message, exc, suppressed
        )
