"""`GET /users/stream`: every user, streamed from a server-side cursor.

The body is produced after the endpoint has returned, from `UserService.stream` on a session
that lives until the response has been sent (`StreamSessionDep`). Rows arrive `STREAM_BATCH`
at a time (`yield_per`), each batch is serialised and sent, and nothing accumulates: memory
stays flat whatever the table size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from pydantic import TypeAdapter
from starlette.responses import StreamingResponse

from app.users.schemas import UserRead
from app.users.service import UserService

NDJSON = "application/x-ndjson"
STREAM_BATCH = 1000

_users_json: TypeAdapter[list[UserRead]] = TypeAdapter(list[UserRead])


class JSONStreamingResponse(StreamingResponse):
    media_type = "application/json"


def wants_ndjson(accept: str | None) -> bool:
    return bool(accept) and NDJSON in (accept or "").lower()


def _read(rows: Any) -> list[UserRead]:
    return [UserRead.model_validate(row, from_attributes=True) for row in rows]


async def user_chunks(
    batches: AsyncIterator[Sequence[Any]], *, ndjson: bool
) -> AsyncIterator[bytes]:
    """The body: a JSON array (`[`, users separated by commas, `]`) or one user per line."""
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


def stream_users_response(users: UserService, accept: str | None) -> StreamingResponse:
    ndjson = wants_ndjson(accept)
    chunks = user_chunks(users.stream(STREAM_BATCH), ndjson=ndjson)
    if ndjson:
        return StreamingResponse(chunks, media_type=NDJSON)
    return JSONStreamingResponse(chunks)


STREAM_OPENAPI: dict[int | str, dict[str, Any]] = {
    200: {
        "description": f"Every user: a JSON array, or one User per line with `Accept: {NDJSON}`",
        "model": list[UserRead],
        "content": {NDJSON: {"schema": {"$ref": "#/components/schemas/UserRead"}}},
    }
}
