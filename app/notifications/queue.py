"""The durable email job queue (saq on Redis), used instead of in-process background tasks
when REDIS_URL is set.

The API enqueues a `send_email` job after the response (a FastAPI background task, so the
request never waits on it); `agora worker` runs the jobs. A failed send raises, and saq retries
it with exponential backoff (`retries` attempts in all); the job survives a restart of the API
or of the worker. If Redis cannot be reached when enqueueing, the API sends the email itself
rather than lose it, and logs that it did.

Why saq and not arq: arq pins `redis<6`, which would downgrade the redis client the rest of
the app uses (8.x); saq supports it and is actively maintained.
"""

from __future__ import annotations

import contextlib
import logging

from redis.asyncio import Redis
from saq import Queue, Worker
from saq.queue.redis import RedisQueue
from saq.types import Context

from app.core.config import Settings
from app.core.logging import request_id_var
from app.notifications.email import EmailMessage, EmailSender, build_email_sender, deliver

logger = logging.getLogger("app.email")

QUEUE_NAME = "agora-email"
SEND_EMAIL = "send_email"

DEFAULT_RETRIES = 6  # attempts in all
DEFAULT_RETRY_DELAY_SECONDS = 2.0  # first retry; then doubled each time...
DEFAULT_MAX_RETRY_DELAY_SECONDS = 300.0  # ...up to this
DEFAULT_JOB_TIMEOUT_SECONDS = 60
ENQUEUE_TIMEOUT_SECONDS = 2.0


def redis_queue(url: str, socket_timeout: float | None = None) -> Queue:
    redis: Redis = Redis.from_url(
        url, socket_timeout=socket_timeout, socket_connect_timeout=ENQUEUE_TIMEOUT_SECONDS
    )
    return RedisQueue(redis, name=QUEUE_NAME)


class EmailQueue:
    """The API's side (`AppState.email_queue`) when REDIS_URL is set."""

    def __init__(
        self,
        url: str,
        *,
        retries: int = DEFAULT_RETRIES,
        retry_delay: float = DEFAULT_RETRY_DELAY_SECONDS,
        max_retry_delay: float = DEFAULT_MAX_RETRY_DELAY_SECONDS,
        timeout: int = DEFAULT_JOB_TIMEOUT_SECONDS,
    ) -> None:
        self.queue = redis_queue(url, socket_timeout=ENQUEUE_TIMEOUT_SECONDS)
        self.retries = retries
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.timeout = timeout

    async def disconnect(self) -> None:
        # saq unsubscribes on the way out, which fails when Redis is down: never let that
        # break the app's shutdown.
        try:
            await self.queue.disconnect()
        except Exception as exc:
            logger.debug("email queue disconnect: %r", exc)
            if isinstance(self.queue, RedisQueue):
                with contextlib.suppress(Exception):
                    await self.queue.redis.aclose()

    async def enqueue(self, message: EmailMessage) -> None:
        await self.queue.enqueue(
            SEND_EMAIL,
            to=message.to,
            subject=message.subject,
            body=message.body,
            request_id=request_id_var.get(),
            retries=self.retries,
            retry_delay=self.retry_delay,
            retry_backoff=self.max_retry_delay,
            timeout=self.timeout,
        )


async def dispatch(queue: EmailQueue, sender: EmailSender, message: EmailMessage) -> None:
    """Background task of the API: enqueue, or send directly if the queue is unreachable."""
    try:
        await queue.enqueue(message)
    except Exception as exc:
        logger.warning(
            "email queue unavailable (%r): sending to %s directly instead", exc, message.to
        )
        await deliver(sender, message)


# --- the worker's side (`agora worker`) ------------------------------------------------------


class EmailContext(Context, total=False):
    sender: EmailSender


async def send_email(
    ctx: EmailContext, *, to: str, subject: str, body: str, request_id: str | None = None
) -> None:
    """The job: a failure raises, so that saq retries it with backoff."""
    token = request_id_var.set(request_id)
    try:
        sender = ctx["sender"]
        try:
            await sender.send(EmailMessage(to=to, subject=subject, body=body))
        except Exception as exc:
            job = ctx.get("job")
            attempt = f" (attempt {job.attempts} of {job.retries})" if job is not None else ""
            logger.warning("sending email to %s failed%s: %r", to, attempt, exc)
            raise
        logger.info("sent email to %s (subject %r)", to, subject)
    finally:
        request_id_var.reset(token)


def build_worker(
    settings: Settings, *, concurrency: int = 10, sender: EmailSender | None = None
) -> Worker[EmailContext]:
    """The saq worker that runs the email jobs (needs REDIS_URL)."""
    if not settings.REDIS_URL:
        raise ValueError("the email worker needs REDIS_URL")
    email_sender = sender or build_email_sender(settings)

    async def startup(ctx: EmailContext) -> None:
        ctx["sender"] = email_sender

    return Worker(
        redis_queue(settings.REDIS_URL),
        functions=[(SEND_EMAIL, send_email)],
        concurrency=concurrency,
        startup=startup,
    )
