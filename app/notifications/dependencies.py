from __future__ import annotations

from typing import Annotated

from fastapi import BackgroundTasks, Depends

from app.core.state import StateDep
from app.notifications.email import EmailMessage, EmailSender, deliver
from app.notifications.queue import EmailQueue, dispatch


class Mailer:
    """Sends emails after the response: through the job queue when there is one (REDIS_URL),
    else in-process as a background task. Either way a failure never fails the request."""

    def __init__(
        self, sender: EmailSender, background: BackgroundTasks, queue: EmailQueue | None = None
    ) -> None:
        self._sender = sender
        self._background = background
        self._queue = queue

    def send_later(self, message: EmailMessage) -> None:
        self._background.add_task(self.send_now, message)

    async def send_now(self, message: EmailMessage) -> None:
        """For work that already runs after the response: queue it (or send it) at once."""
        if self._queue is not None:
            await dispatch(self._queue, self._sender, message)
        else:
            await deliver(self._sender, message)


async def get_mailer(state: StateDep, background: BackgroundTasks) -> Mailer:
    return Mailer(state.email_sender, background, state.email_queue)


MailerDep = Annotated[Mailer, Depends(get_mailer)]
