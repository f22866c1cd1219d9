"""`/ws/{client_id}`: every text message is broadcast to every client as `Client {id}: {m}`."""

from __future__ import annotations

import re

from fastapi import APIRouter, WebSocket

from app.core.state import state_of
from app.realtime.manager import MESSAGE_TOO_BIG, POLICY_VIOLATION

router = APIRouter(tags=["realtime"])

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_MESSAGE_BYTES = 65536
UNSUPPORTED_DATA = 1003


def too_big(text: str) -> bool:
    # A character is 1 to 4 bytes in UTF-8: encode only when the length alone cannot tell.
    if len(text) > MAX_MESSAGE_BYTES:
        return True
    if len(text) * 4 <= MAX_MESSAGE_BYTES:
        return False
    return len(text.encode("utf-8", "surrogatepass")) > MAX_MESSAGE_BYTES


@router.websocket("/ws/{client_id}")
async def broadcast_socket(websocket: WebSocket, client_id: str) -> None:
    await websocket.accept()
    if not CLIENT_ID.fullmatch(client_id):
        await websocket.close(POLICY_VIOLATION, "client_id: 1 to 64 of A-Z a-z 0-9 _ -")
        return

    realtime = state_of(websocket.scope).realtime
    connection = realtime.manager.connect(websocket, client_id)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                try:
                    text = (message.get("bytes") or b"").decode("utf-8")
                except UnicodeDecodeError:
                    await realtime.manager.close(connection, UNSUPPORTED_DATA, "not UTF-8")
                    break
            if too_big(text):
                reason = f"over {MAX_MESSAGE_BYTES} bytes"
                await realtime.manager.close(connection, MESSAGE_TOO_BIG, reason)
                break
            await realtime.broadcast(f"Client {client_id}: {text}")
    finally:
        realtime.manager.disconnect(connection)
        await realtime.broadcast(f"Client {client_id} left")
