"""Where a request comes from, as security records and session lists show it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

USER_AGENT_MAX = 500


@dataclass(frozen=True, slots=True)
class ClientInfo:
    ip: str | None  # the client address (behind trusted proxies, the forwarded one)
    user_agent: str | None


UNKNOWN_CLIENT = ClientInfo(ip=None, user_agent=None)  # work not started by a request


def client_of(request: Request) -> ClientInfo:
    agent = request.headers.get("user-agent")
    return ClientInfo(
        ip=request.client.host if request.client else None,
        user_agent=agent[:USER_AGENT_MAX] if agent else None,
    )


async def get_client(request: Request) -> ClientInfo:
    return client_of(request)


ClientDep = Annotated[ClientInfo, Depends(get_client)]
