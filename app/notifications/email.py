"""Email senders: `console` logs the message, `smtp` delivers it with aiosmtplib."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from typing import Protocol

import aiosmtplib

from app.core.config import Settings

logger = logging.getLogger("app.email")

SMTPS_PORT = 465


@dataclass(frozen=True, slots=True)
class EmailMessage:
    to: str
    subject: str
    body: str


class EmailSender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class ConsoleEmailSender:
    """For development: the message goes to the log instead of a mail server."""

    async def send(self, message: EmailMessage) -> None:
        logger.info("email to=%s subject=%r\n%s", message.to, message.subject, message.body)


class SmtpEmailSender:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def send(self, message: EmailMessage) -> None:
        s = self._settings
        mime = MimeMessage()
        mime["From"] = s.EMAIL_FROM
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime.set_content(message.body)
        await aiosmtplib.send(
            mime,
            hostname=s.SMTP_HOST,
            port=s.SMTP_PORT,
            username=s.SMTP_USER,
            password=s.SMTP_PASSWORD,
            # SMTP_TLS: implicit TLS on port 465 (SMTPS), STARTTLS on any other port.
            use_tls=s.SMTP_TLS and s.SMTP_PORT == SMTPS_PORT,
            start_tls=s.SMTP_TLS and s.SMTP_PORT != SMTPS_PORT,
            timeout=s.SMTP_TIMEOUT,
        )


def build_email_sender(settings: Settings) -> EmailSender:
    sender: EmailSender = (
        SmtpEmailSender(settings) if settings.EMAIL_BACKEND == "smtp" else ConsoleEmailSender()
    )
    if settings.tracing_enabled:  # a span per message (app/core/tracing.py)
        from app.core.tracing import TracedEmailSender

        return TracedEmailSender(sender, settings)
    return sender


async def deliver(sender: EmailSender, message: EmailMessage) -> None:
    """Send in the background: a failure is logged (with the request id), never raised."""
    try:
        await sender.send(message)
    except Exception:
        logger.exception("sending email to %s (subject %r) failed", message.to, message.subject)


def welcome_email(to: str, username: str) -> EmailMessage:
    return EmailMessage(
        to=to,
        subject="Welcome!",
        body=f"Hi {username},\n\nwelcome to Agora! Your account is ready.\n",
    )


def notification_email(to: str, message: str) -> EmailMessage:
    return EmailMessage(to=to, subject="Notification", body=message)
