"""The account service, and the limits on asking for account emails."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request

from app.accounts.schemas import EmailRequest
from app.accounts.service import AccountService
from app.core.client import ClientDep, ClientInfo
from app.core.dependencies import HasherDep, SettingsDep
from app.core.ratelimit import Decision, Rate, apply_route_limit, client_address
from app.core.state import AppState, StateDep, state_of
from app.db.session import SessionDep
from app.notifications.dependencies import Mailer, MailerDep
from app.notifications.email import EmailMessage

logger = logging.getLogger("app.accounts")

AccountWork = Callable[[AccountService], Awaitable[EmailMessage | None]]


async def get_account_service(
    session: SessionDep, hasher: HasherDep, settings: SettingsDep, client: ClientDep
) -> AccountService:
    return AccountService(session, hasher, settings, client=client)


AccountServiceDep = Annotated[AccountService, Depends(get_account_service)]


class AfterResponse:
    """Account work that runs after the response, in a transaction of its own, and the email
    it returns, sent (or queued) once that transaction has committed.

    For the routes that must answer alike whether or not an address has an account
    (forgot-password, resend): the request itself does nothing that depends on the address,
    so neither its answer nor its timing can tell the two apart. A failure is logged; the
    caller has had its 202 already.
    """

    def __init__(
        self, state: AppState, background: BackgroundTasks, mailer: Mailer, client: ClientInfo
    ) -> None:
        self._state = state
        self._background = background
        self._mailer = mailer
        self._client = client  # the request's, for the security log

    def run(self, work: AccountWork) -> None:
        self._background.add_task(self._run, work)

    async def _run(self, work: AccountWork) -> None:
        state = self._state
        try:
            async with state.db.sessionmaker() as session:
                accounts = AccountService(
                    session, state.hasher, state.settings, client=self._client
                )
                message = await work(accounts)
                await session.commit()
        except Exception:
            logger.exception("account email work failed")
            return
        if message is not None:
            await self._mailer.send_now(message)


async def get_after_response(
    state: StateDep, background: BackgroundTasks, mailer: MailerDep, client: ClientDep
) -> AfterResponse:
    return AfterResponse(state, background, mailer, client)


AfterResponseDep = Annotated[AfterResponse, Depends(get_after_response)]


def email_rate_limit(kind: str) -> Callable[[Request, EmailRequest], Awaitable[None]]:
    """A dependency limiting a route that emails an address it is given (`kind` names the
    route's counters): `RATE_LIMIT_EMAIL` per target address, whoever asks (no mail-bombing
    from many hosts), and `RATE_LIMIT_EMAIL_CLIENT` per client address (no trawling through
    many addresses). Unknown addresses count like known ones: the limit reveals nothing.

    The body is the route's own `EmailRequest` (same parameter name: FastAPI reads it once); a
    body refused with 422 counts for nothing.
    """

    async def check(request: Request, data: EmailRequest) -> None:
        state = state_of(request.scope)
        limiter = state.rate_limiter
        if not limiter.enabled:
            return
        settings = state.settings
        # Hash the address: bounded key size, and no addresses in Redis.
        target = hashlib.sha256(data.email.casefold().encode()).hexdigest()[:32]
        limits = (
            (f"{kind}:ip:{client_address(request.scope)}", settings.RATE_LIMIT_EMAIL_CLIENT),
            (f"{kind}:to:{target}", settings.RATE_LIMIT_EMAIL),
        )
        strictest: Decision | None = None
        for key, rate in limits:
            decision = await limiter.store.hit(key, Rate.parse(rate))
            if decision is None:  # the store failed: fail open, as every limit does
                continue
            if (
                strictest is None
                or not decision.allowed
                or (strictest.allowed and decision.remaining < strictest.remaining)
            ):
                strictest = decision
            if not decision.allowed:
                break
        apply_route_limit(request.scope, strictest)

    return check


resend_rate_limit = email_rate_limit("verify-resend")
forgot_rate_limit = email_rate_limit("forgot-password")
