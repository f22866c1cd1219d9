"""`/ws/{client_id}`: every text message is broadcast to every client as `Client {id}: {m}`.

Each client's messages are paced (app/realtime/pacing.py): past WS_MESSAGES_PER_SECOND its
socket is not read (backpressure), and one that floods on is closed with 1008. Without the
pacing, one client sending as fast as it could filled a prompt reader's send queue (1024
messages) and the reader was dropped with 1013.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, WebSocket

from app.core.state import state_of
from app.realtime.manager import MESSAGE_TOO_BIG, POLICY_VIOLATION
from app.realtime.pacing import Pacer

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

    state = state_of(websocket.scope)
    realtime = state.realtime
    pacer = Pacer(state.settings.WS_MESSAGES_PER_SECOND)
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
            # Past the rate: wait, not reading this socket meanwhile.
            if not await pacer.wait():
                reason = "sending faster than WS_MESSAGES_PER_SECOND"
                await realtime.manager.close(connection, POLICY_VIOLATION, reason)
                break
            if not realtime.manager.is_open(connection):
                break  # dropped meanwhile (too slow a reader, or the server shutting down)
            await realtime.broadcast(f"Client {client_id}: {text}")
    finally:
        realtime.manager.disconnect(connection)
        await realtime.broadcast(f"Client {client_id} left")
