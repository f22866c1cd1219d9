"""Two-factor helpers: real TOTP codes computed from the secret the API returns (pyotp)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import pyotp

from tests.conftest import DEFAULT_PASSWORD

SETUP = "/api/v1/auth/mfa/totp/setup"
CONFIRM = "/api/v1/auth/mfa/totp/confirm"
DISABLE = "/api/v1/auth/mfa/totp/disable"
BACKUP_CODES = "/api/v1/auth/mfa/backup-codes"
LOGIN = "/api/v1/auth/login"
LOGIN_MFA = "/api/v1/auth/login/mfa"
STEP = 30


def code(secret: str, offset: int = 0) -> str:
    """The code of the step `offset` steps from now. Never computed in the last second of a
    step: the check a moment later must see the step the test meant."""
    if STEP - time.time() % STEP < 1.0:
        time.sleep(STEP - time.time() % STEP + 0.05)
    return pyotp.TOTP(secret).at(time.time() + offset * STEP)


@dataclass
class TwoFactor:
    secret: str
    backup_codes: list[str]


async def enable_two_factor(http: httpx.AsyncClient, headers: dict[str, str]) -> TwoFactor:
    """Set up and confirm two-factor; the confirming code is the previous step's, so the
    current and the next step's codes are still fresh for the test."""
    setup = await http.post(SETUP, json={"password": DEFAULT_PASSWORD}, headers=headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    confirm = await http.post(CONFIRM, json={"code": code(secret, -1)}, headers=headers)
    assert confirm.status_code == 200, confirm.text
    return TwoFactor(secret, confirm.json()["backup_codes"])


async def first_step(http: httpx.AsyncClient, username: str) -> str:
    """The password step of a login with two-factor on: its `mfa_token`."""
    response = await http.post(LOGIN, data={"username": username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["mfa_token"]
    return token


async def second_step(http: httpx.AsyncClient, mfa_token: str, value: str) -> httpx.Response:
    return await http.post(LOGIN_MFA, json={"mfa_token": mfa_token, "code": value})
