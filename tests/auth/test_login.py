"""POST /api/v1/auth/login: the OAuth2 password flow (docs/api.md, section Auth)."""

from __future__ import annotations

from collections.abc import Callable

import bcrypt
import httpx
import jwt
import pytest
from sqlalchemy import update
from sqlmodel import col

from app.core.config import Settings
from app.main import create_app
from app.users.models import User
from tests.assertions import assert_error, assert_invalid
from tests.conftest import DEFAULT_PASSWORD, UserFactory, bearer, login, stored_user
from tests.support import running

LOGIN = "/api/v1/auth/login"


async def test_login_gives_exactly_the_token_fields(client: httpx.AsyncClient, user: User) -> None:
    response = await login(client, "alice")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 1800
    assert body["access_token"] != body["refresh_token"]


async def test_login_access_token_identifies_the_user(
    client: httpx.AsyncClient, user: User
) -> None:
    tokens = (await login(client, "alice")).json()

    me = await client.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))

    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)


@pytest.mark.parametrize("identifier", ["alice", "ALICE", "aLiCe"])
async def test_login_with_the_username_in_any_case_works(
    client: httpx.AsyncClient, user: User, identifier: str
) -> None:
    response = await login(client, identifier)

    assert response.status_code == 200


async def test_login_with_a_mixed_case_username_works_in_any_case(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory("Bob.Smith")

    response = await login(client, "bob.SMITH")

    assert response.status_code == 200


@pytest.mark.parametrize("identifier", ["alice@example.com", "ALICE@example.COM"])
async def test_login_with_the_email_in_any_case_gives_a_token_pair(
    client: httpx.AsyncClient, user: User, identifier: str
) -> None:
    response = await login(client, identifier)

    assert response.status_code == 200
    me = await client.get("/api/v1/users/me", headers=bearer(response.json()["access_token"]))
    assert me.json()["username"] == "alice"


async def test_each_login_gives_new_tokens(client: httpx.AsyncClient, user: User) -> None:
    first = (await login(client, "alice")).json()
    second = (await login(client, "alice")).json()

    assert first["access_token"] != second["access_token"]
    assert first["refresh_token"] != second["refresh_token"]


async def test_login_with_unknown_user_gives_401_invalid_credentials(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await login(client, "nobody")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_login_with_wrong_password_gives_401_invalid_credentials(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await login(client, "alice", "wrong password")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_login_unknown_user_and_wrong_password_look_the_same(
    client: httpx.AsyncClient, user: User
) -> None:
    unknown = await login(client, "nobody", "wrong password")
    wrong = await login(client, "alice", "wrong password")

    assert unknown.json() == wrong.json()
    assert unknown.headers["WWW-Authenticate"] == wrong.headers["WWW-Authenticate"]


async def test_login_with_password_in_other_case_gives_401(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await login(client, "alice", DEFAULT_PASSWORD.upper())

    assert_error(response, 401, "invalid_credentials")


async def test_login_of_a_deactivated_user_gives_403_inactive_user(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory("sleeper", is_active=False)

    response = await login(client, "sleeper")

    assert response.status_code == 403
    assert response.json()["code"] == "inactive_user"


async def test_login_of_a_deactivated_user_with_wrong_password_gives_401(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory("sleeper", is_active=False)

    response = await login(client, "sleeper", "wrong password")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


@pytest.mark.parametrize(
    ("form", "missing"),
    [
        pytest.param({"username": "alice"}, ["password"], id="no-password"),
        pytest.param({"password": DEFAULT_PASSWORD}, ["username"], id="no-username"),
        pytest.param({}, ["username", "password"], id="empty"),
    ],
)
async def test_login_with_missing_fields_gives_422(
    client: httpx.AsyncClient, user: User, form: dict[str, str], missing: list[str]
) -> None:
    response = await client.post(LOGIN, data=form)

    assert_invalid(response, *missing)


async def test_login_with_a_json_body_gives_422(client: httpx.AsyncClient, user: User) -> None:
    response = await client.post(LOGIN, json={"username": "alice", "password": DEFAULT_PASSWORD})

    assert_invalid(response, "username", "password")


async def test_openapi_declares_the_password_flow_at_the_login_url(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()

    schemes = schema["components"]["securitySchemes"].values()
    flows = [s["flows"]["password"] for s in schemes if s.get("type") == "oauth2"]
    assert flows
    assert flows[0]["tokenUrl"] == "/api/v1/auth/login"


@pytest.mark.parametrize("identifier", ["ali\x00ce", "alice@example.com\x00"])
async def test_login_with_a_nul_character_gives_401_invalid_credentials(
    client: httpx.AsyncClient, user: User, identifier: str
) -> None:
    """PostgreSQL cannot compare text with NUL: this must not become a 500."""
    response = await login(client, identifier)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_login_with_an_old_bcrypt_hash_works_and_rehashes_with_argon2(
    client: httpx.AsyncClient, state, user: User
) -> None:
    old_hash = bcrypt.hashpw(DEFAULT_PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    async with state.db.sessionmaker() as db_session:
        await db_session.execute(
            update(User).where(col(User.id) == user.id).values(hashed_password=old_hash)
        )
        await db_session.commit()

    response = await login(client, "alice")

    assert response.status_code == 200
    stored = await stored_user(state, user.id)
    assert stored is not None
    assert stored.hashed_password.startswith("$argon2")
    assert (await login(client, "alice")).status_code == 200


async def test_login_tokens_last_30_minutes_and_7_days(
    client: httpx.AsyncClient, user: User
) -> None:
    tokens = (await login(client, "alice")).json()

    access = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    refresh = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})
    assert access["exp"] - access["iat"] == 30 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600


async def test_login_token_lifetimes_follow_the_settings(
    client: httpx.AsyncClient, user: User, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(ACCESS_TOKEN_EXPIRE_MINUTES=0.5, REFRESH_TOKEN_EXPIRE_DAYS=1)
    async with running(create_app(settings)) as other:
        tokens = (await login(other.client, "alice")).json()

    assert tokens["expires_in"] == 30
    refresh = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})
    assert refresh["exp"] - refresh["iat"] == 24 * 3600
