"""Personal access tokens of the caller. None of these routes takes a personal token itself
(app/tokens/access.py: account management)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from app.auth.dependencies import CurrentUser
from app.core.errors import InactiveUser, InsufficientScope, NotAuthenticated, NotFound, responses
from app.tokens.dependencies import PersonalTokenServiceDep
from app.tokens.models import PersonalToken
from app.tokens.schemas import PersonalTokenCreate, PersonalTokenCreated, PersonalTokenRead

router = APIRouter(
    prefix="/auth/tokens",
    tags=["auth"],
    responses=responses(NotAuthenticated, InactiveUser, InsufficientScope),
)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PersonalTokenCreated)
async def create_token(
    data: PersonalTokenCreate, me: CurrentUser, tokens: PersonalTokenServiceDep
) -> PersonalTokenCreated:
    """A new personal access token; `token` is shown in this answer only. Send it as
    `Authorization: Bearer agora_pat_...`."""
    return await tokens.create(me, data)


@router.get("", response_model=list[PersonalTokenRead])
async def list_tokens(me: CurrentUser, tokens: PersonalTokenServiceDep) -> list[PersonalToken]:
    """The caller's personal tokens, newest first (without the tokens themselves)."""
    return await tokens.list_for(me)


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(NotFound))
async def revoke_token(
    token_id: uuid.UUID, me: CurrentUser, tokens: PersonalTokenServiceDep
) -> None:
    """Revoke one of the caller's tokens: it gives 401 from then on."""
    await tokens.revoke(me, token_id)
