"""`Realtime`: this process's connections plus the broker that links it to the others."""

from __future__ import annotations

from app.realtime.broker import Broker, InProcessBroker
from app.realtime.manager import ConnectionManager


class Realtime:
    """`AppState.realtime`: broadcast through the broker, fan out locally through the manager."""

    def __init__(self, manager: ConnectionManager | None = None, broker: Broker | None = None):
        self.manager = manager or ConnectionManager()
        self.broker: Broker = broker or InProcessBroker()

    async def start(self) -> None:
        await self.broker.start(self.manager.deliver)

    async def broadcast(self, text: str) -> None:
        await self.broker.publish(text)

    async def stop(self) -> None:
        await self.manager.close_all()
        await self.broker.stop()
