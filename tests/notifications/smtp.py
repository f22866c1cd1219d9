"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, keeping what it receives."""

from __future__ import annotations

import asyncio
import email
from dataclasses import dataclass
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: Message

    @property
    def body(self) -> str:
        payload = self.message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode()


class Collector:
    def __init__(self) -> None:
        self.received: list[Received] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                email.message_from_bytes(envelope.content),
            )
        )
        return "250 Message accepted for delivery"

    async def wait_for(self, count: int, within: float = 10.0) -> list[Received]:
        for _ in range(int(within / 0.02)):
            if len(self.received) >= count:
                return self.received
            await asyncio.sleep(0.02)
        raise AssertionError(f"expected {count} emails, got {len(self.received)}")


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.collector = Collector()
        self._controller = Controller(self.collector, hostname="127.0.0.1", port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
