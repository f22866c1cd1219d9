from __future__ import annotations

from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request

from app.notifications.email import EmailMessage, EmailSender, deliver


class Mailer:
    """Queues emails to be sent after the response, through the app's configured sender."""

    def __init__(self, sender: EmailSender, background: BackgroundTasks) -> None:
        self._sender = sender
        self._background = background

    def send_later(self, message: EmailMessage) -> None:
        self._background.add_task(deliver, self._sender, message)


def get_mailer(request: Request, background: BackgroundTasks) -> Mailer:
    return Mailer(request.app.state.email_sender, background)


MailerDep = Annotated[Mailer, Depends(get_mailer)]
