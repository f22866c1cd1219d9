from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from app.users.models import User
from tests.conftest import HeadersFor

TOKENS = "/api/v1/auth/tokens"
PatFor = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def pat_for(client: httpx.AsyncClient, headers_for: HeadersFor) -> PatFor:
    """Create a personal token for `user` through the API (signed in with a JWT)."""

    async def create(
        user: User, scopes: tuple[str, ...] = ("read", "write"), **fields: Any
    ) -> dict[str, Any]:
        body = {"name": fields.pop("name", "script"), "scopes": list(scopes), **fields}
        response = await client.post(TOKENS, json=body, headers=await headers_for(user))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return create
