"""`GET /users/stream`: every user, streamed from a server-side cursor.

The body is produced after the endpoint has returned, from `UserService.stream` on a session
of the streams' own pool that lives until the response has been sent (`StreamSessionDep`).
The connection is taken and the first batch read before the response starts: a stream that
cannot have its connection answers 503, never a 200 cut off after `[`. Rows arrive
`STREAM_BATCH` at a time (`yield_per`), each batch is serialised and sent, and nothing
accumulates: memory stays flat whatever the table size. Each send waits at most
STREAM_SEND_TIMEOUT for the client to take the data: a client that stops reading is dropped
and the connection goes back to the pool, instead of staying "idle in transaction" for as
long as the client keeps its socket open.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from pydantic import TypeAdapter
from starlette.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from app.users.schemas import UserRead
from app.users.service import UserService

logger = logging.getLogger("app.users.stream")

NDJSON = "application/x-ndjson"
STREAM_BATCH = 1000

_users_json: TypeAdapter[list[UserRead]] = TypeAdapter(list[UserRead])


class _SlowClient(Exception):
    """A send of the body waited longer than the send timeout."""


class UserStreamResponse(StreamingResponse):
    """A streamed body whose every send waits at most `send_timeout` seconds.

    Past that, the response ends unfinished (the server closes the connection: the client
    cannot mistake the body for a complete one) and the body's generator is closed, which
    ends the stream's database work; its session closes when the response is over.
    """

    def __init__(
        self, chunks: AsyncGenerator[bytes, None], *, media_type: str, send_timeout: float
    ) -> None:
        super().__init__(chunks, media_type=media_type)
        self.chunks = chunks
        self.send_timeout = send_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def bounded_send(message: Message) -> None:
            try:
                async with asyncio.timeout(self.send_timeout):
                    await send(message)
            except TimeoutError:
                raise _SlowClient from None

        try:
            await super().__call__(scope, receive, bounded_send)
        except _SlowClient:
            logger.warning(
                "GET /users/stream: the client took no data for %s s; disconnected",
                self.send_timeout,
            )
        finally:
            await self.chunks.aclose()


def wants_ndjson(accept: str | None) -> bool:
    return bool(accept) and NDJSON in (accept or "").lower()


def _read(rows: Any) -> list[UserRead]:
    return [UserRead.model_validate(row, from_attributes=True) for row in rows]


async def user_chunks(
    batches: AsyncGenerator[Sequence[Any], None], *, ndjson: bool
) -> AsyncGenerator[bytes, None]:
    """The body: a JSON array (`[`, users separated by commas, `]`) or one user per line."""
    try:
        first = True
        if not ndjson:
            yield b"["
        async for rows in batches:
            users = _read(rows)
            if ndjson:
                yield b"".join(user.model_dump_json().encode() + b"\n" for user in users)
                continue
            body = _users_json.dump_json(users)[1:-1]  # the items, without the brackets
            yield body if first else b"," + body
            first = False
        if not ndjson:
            yield b"]"
    finally:
        await batches.aclose()


async def stream_users_response(
    users: UserService, accept: str | None, *, send_timeout: float
) -> UserStreamResponse:
    """The response, once the stream's connection is had and its first batch read."""
    batches = await users.stream(STREAM_BATCH)
    ndjson = wants_ndjson(accept)
    chunks = user_chunks(batches, ndjson=ndjson)
    media_type = NDJSON if ndjson else "application/json"
    return UserStreamResponse(chunks, media_type=media_type, send_timeout=send_timeout)


STREAM_OPENAPI: dict[int | str, dict[str, Any]] = {
    200: {
        "description": f"Every user: a JSON array, or one User per line with `Accept: {NDJSON}`",
        "model": list[UserRead],
        "content": {NDJSON: {"schema": {"$ref": "#/components/schemas/UserRead"}}},
    }
}
