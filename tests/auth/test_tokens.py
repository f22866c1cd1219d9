"""Refresh, logout, revocation and the tokens that must be refused (docs/api.md, section Auth)."""

from __future__ import annotations

import asyncio
import base64
import json
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from app.users.models import User
from tests.assertions import assert_invalid
from tests.conftest import DEFAULT_PASSWORD, TEST_SECRET_KEY, UserFactory, bearer, login

REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"
NEW_PASSWORD = "a brand new password"

TokensFor = Callable[[User], Awaitable[dict[str, Any]]]


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": refresh_token})


async def me(client: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await client.get(ME, headers=bearer(access_token))


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"] == "Bearer"


# --- forging tokens ---------------------------------------------------------------------------


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def resigned(token: str) -> str:
    """The same claims signed again with the test key: a token the app must accept."""
    return jwt.encode(claims_of(token), TEST_SECRET_KEY, algorithm="HS256")


def expired(token: str) -> str:
    claims = claims_of(token)
    past = datetime.now(UTC) - timedelta(minutes=5)
    claims.update(iat=int((past - timedelta(minutes=30)).timestamp()), exp=past)
    return jwt.encode(claims, TEST_SECRET_KEY, algorithm="HS256")


def signed_with_another_key(token: str) -> str:
    return jwt.encode(claims_of(token), "another-key-that-is-long-enough-for-hs256!", "HS256")


def signed_with_another_algorithm(token: str) -> str:
    with warnings.catch_warnings():  # PyJWT finds the test key short for HS512
        warnings.simplefilter("ignore")
        return jwt.encode(claims_of(token), TEST_SECRET_KEY, algorithm="HS512")


def alg_none(token: str) -> str:
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_of(token))}."


def tampered(token: str) -> str:
    """The claims changed (a later expiry) under the original signature."""
    header, _, signature = token.split(".")
    claims = claims_of(token)
    claims["exp"] += 3600
    return f"{header}.{b64(claims)}.{signature}"


def bad_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{header}.{payload}.{flipped}"


def with_claims(**changes: Any) -> Callable[[str], str]:
    """Well signed with the test key, but with these claims changed (None removes one)."""

    def forge(token: str) -> str:
        claims = claims_of(token)
        for name, value in changes.items():
            if value is None:
                claims.pop(name)
            else:
                claims[name] = value
        return jwt.encode(claims, TEST_SECRET_KEY, algorithm="HS256")

    return forge


FORGERIES = [
    pytest.param(with_claims(iss="someone-else"), id="other-issuer"),
    pytest.param(with_claims(aud="agora"), id="other-audience"),
    pytest.param(with_claims(sid=None), id="no-sid"),
    pytest.param(with_claims(jti=None), id="no-jti"),
    pytest.param(with_claims(sub="alice"), id="sub-not-a-uuid"),
    pytest.param(with_claims(sid="0190a000-0000-7000-8000-000000000000"), id="unknown-sid"),
    pytest.param(expired, id="expired"),
    pytest.param(signed_with_another_key, id="another-key"),
    pytest.param(signed_with_another_algorithm, id="hs512"),
    pytest.param(alg_none, id="alg-none"),
    pytest.param(tampered, id="tampered-claims"),
    pytest.param(bad_signature, id="tampered-signature"),
]


# --- refresh ----------------------------------------------------------------------------------


async def test_refresh_gives_a_new_token_pair(client: httpx.AsyncClient, user: User) -> None:
    old = (await login(client, "alice")).json()

    response = await refresh(client, old["refresh_token"])

    assert response.status_code == 200
    new = response.json()
    assert set(new) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert new["token_type"] == "bearer"
    assert new["expires_in"] == 1800
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]


async def test_refreshed_access_token_works(client: httpx.AsyncClient, user: User) -> None:
    old = (await login(client, "alice")).json()
    new = (await refresh(client, old["refresh_token"])).json()

    response = await me(client, new["access_token"])

    assert response.status_code == 200
    assert response.json()["id"] == str(user.id)


async def test_refreshed_refresh_token_can_be_refreshed_again(
    client: httpx.AsyncClient, user: User
) -> None:
    old = (await login(client, "alice")).json()
    new = (await refresh(client, old["refresh_token"])).json()

    response = await refresh(client, new["refresh_token"])

    assert response.status_code == 200


async def test_reused_refresh_token_gives_401_invalid_token(
    client: httpx.AsyncClient, user: User
) -> None:
    old = (await login(client, "alice")).json()
    await refresh(client, old["refresh_token"])

    response = await refresh(client, old["refresh_token"])

    assert_invalid_token(response)


async def test_reused_refresh_token_revokes_the_new_access_token(
    client: httpx.AsyncClient, user: User
) -> None:
    old = (await login(client, "alice")).json()
    new = (await refresh(client, old["refresh_token"])).json()

    await refresh(client, old["refresh_token"])

    assert_invalid_token(await me(client, new["access_token"]))


async def test_reused_refresh_token_revokes_the_new_refresh_token(
    client: httpx.AsyncClient, user: User
) -> None:
    old = (await login(client, "alice")).json()
    new = (await refresh(client, old["refresh_token"])).json()

    await refresh(client, old["refresh_token"])

    assert_invalid_token(await refresh(client, new["refresh_token"]))


async def test_reused_refresh_token_revokes_the_first_access_token(
    client: httpx.AsyncClient, user: User
) -> None:
    old = (await login(client, "alice")).json()
    await refresh(client, old["refresh_token"])

    await refresh(client, old["refresh_token"])

    assert_invalid_token(await me(client, old["access_token"]))


async def test_reused_refresh_token_leaves_other_logins_working(
    client: httpx.AsyncClient, user: User
) -> None:
    other = (await login(client, "alice")).json()
    old = (await login(client, "alice")).json()
    await refresh(client, old["refresh_token"])

    await refresh(client, old["refresh_token"])

    assert (await me(client, other["access_token"])).status_code == 200
    assert (await refresh(client, other["refresh_token"])).status_code == 200


async def test_concurrent_refreshes_with_one_token_give_one_new_pair(
    client: httpx.AsyncClient, user: User
) -> None:
    old = (await login(client, "alice")).json()

    responses = await asyncio.gather(*(refresh(client, old["refresh_token"]) for _ in range(2)))

    assert sorted(r.status_code for r in responses) == [200, 401]


async def test_access_token_used_as_refresh_token_gives_401_invalid_token(
    client: httpx.AsyncClient, user: User
) -> None:
    tokens = (await login(client, "alice")).json()

    assert_invalid_token(await refresh(client, tokens["access_token"]))


async def test_refresh_token_used_as_access_token_gives_401_invalid_token(
    client: httpx.AsyncClient, user: User
) -> None:
    tokens = (await login(client, "alice")).json()

    assert_invalid_token(await me(client, tokens["refresh_token"]))


async def test_a_resigned_token_is_accepted(client: httpx.AsyncClient, user: User) -> None:
    """The forgeries below differ from this token in one respect only."""
    tokens = (await login(client, "alice")).json()

    assert (await me(client, resigned(tokens["access_token"]))).status_code == 200


@pytest.mark.parametrize("forge", FORGERIES)
async def test_forged_access_token_gives_401_invalid_token(
    client: httpx.AsyncClient, user: User, forge: Callable[[str], str]
) -> None:
    tokens = (await login(client, "alice")).json()

    assert_invalid_token(await me(client, forge(tokens["access_token"])))


@pytest.mark.parametrize("forge", FORGERIES)
async def test_forged_refresh_token_gives_401_invalid_token(
    client: httpx.AsyncClient, user: User, forge: Callable[[str], str]
) -> None:
    tokens = (await login(client, "alice")).json()

    assert_invalid_token(await refresh(client, forge(tokens["refresh_token"])))


async def test_refresh_token_with_valid_signature_but_unknown_to_the_server_gives_401(
    client: httpx.AsyncClient, user: User
) -> None:
    tokens = (await login(client, "alice")).json()
    claims = claims_of(tokens["refresh_token"])
    claims["jti"] = claims["sid"]  # a well-signed token the server never issued
    unknown = jwt.encode(claims, TEST_SECRET_KEY, algorithm="HS256")

    assert_invalid_token(await refresh(client, unknown))


async def test_access_token_naming_another_users_login_gives_401(
    client: httpx.AsyncClient, user: User, user_factory: UserFactory, tokens_for: TokensFor
) -> None:
    """A token's login must belong to the user the token names."""
    bob_tokens = await tokens_for(await user_factory("bob"))
    alice_claims = claims_of((await tokens_for(user))["access_token"])
    mixed = with_claims(sid=alice_claims["sid"])(bob_tokens["access_token"])

    assert_invalid_token(await me(client, mixed))


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "Bearer"])
async def test_malformed_token_gives_401_invalid_token(
    client: httpx.AsyncClient, user: User, token: str
) -> None:
    assert_invalid_token(await me(client, token))
    assert_invalid_token(await refresh(client, token))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({}, "refresh_token", id="missing"),
        pytest.param({"refresh_token": ""}, "refresh_token", id="empty"),
        pytest.param({"refresh_token": None}, "refresh_token", id="null"),
        pytest.param({"refresh_token": "x", "extra": 1}, "extra", id="unknown-field"),
    ],
)
async def test_refresh_with_invalid_body_gives_422(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await client.post(REFRESH, json=body)

    assert_invalid(response, field)


# --- logout -----------------------------------------------------------------------------------


async def test_logout_gives_204(client: httpx.AsyncClient, user: User) -> None:
    tokens = (await login(client, "alice")).json()

    response = await client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]})

    assert response.status_code == 204
    assert response.content == b""


async def test_after_logout_the_access_token_gives_401(
    client: httpx.AsyncClient, user: User
) -> None:
    tokens = (await login(client, "alice")).json()

    await client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]})

    assert_invalid_token(await me(client, tokens["access_token"]))


async def test_after_logout_the_refresh_token_gives_401(
    client: httpx.AsyncClient, user: User
) -> None:
    tokens = (await login(client, "alice")).json()

    await client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]})

    assert_invalid_token(await refresh(client, tokens["refresh_token"]))


async def test_after_logout_an_earlier_refreshed_pair_gives_401(
    client: httpx.AsyncClient, user: User
) -> None:
    first = (await login(client, "alice")).json()
    second = (await refresh(client, first["refresh_token"])).json()

    await client.post(LOGOUT, json={"refresh_token": second["refresh_token"]})

    assert_invalid_token(await me(client, first["access_token"]))
    assert_invalid_token(await me(client, second["access_token"]))


async def test_logout_leaves_other_logins_working(client: httpx.AsyncClient, user: User) -> None:
    other = (await login(client, "alice")).json()
    tokens = (await login(client, "alice")).json()

    await client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]})

    assert (await me(client, other["access_token"])).status_code == 200
    assert (await refresh(client, other["refresh_token"])).status_code == 200


async def test_logout_twice_gives_401_invalid_token(client: httpx.AsyncClient, user: User) -> None:
    tokens = (await login(client, "alice")).json()
    await client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]})

    response = await client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]})

    assert_invalid_token(response)


async def test_logout_with_an_access_token_gives_401_invalid_token(
    client: httpx.AsyncClient, user: User
) -> None:
    tokens = (await login(client, "alice")).json()

    response = await client.post(LOGOUT, json={"refresh_token": tokens["access_token"]})

    assert_invalid_token(response)
    assert (await me(client, tokens["access_token"])).status_code == 200


async def test_logout_with_a_used_refresh_token_gives_401_and_ends_the_login(
    client: httpx.AsyncClient, user: User
) -> None:
    old = (await login(client, "alice")).json()
    new = (await refresh(client, old["refresh_token"])).json()

    response = await client.post(LOGOUT, json={"refresh_token": old["refresh_token"]})

    assert_invalid_token(response)
    assert_invalid_token(await me(client, new["access_token"]))


async def test_logout_with_unknown_fields_gives_422(client: httpx.AsyncClient, user: User) -> None:
    tokens = (await login(client, "alice")).json()

    response = await client.post(
        LOGOUT, json={"refresh_token": tokens["refresh_token"], "everywhere": True}
    )

    assert_invalid(response, "everywhere")


# --- password change --------------------------------------------------------------------------


async def change_password(client: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await client.patch(ME, json={"password": NEW_PASSWORD}, headers=bearer(access_token))


async def test_password_change_succeeds(client: httpx.AsyncClient, user: User) -> None:
    tokens = (await login(client, "alice")).json()

    response = await change_password(client, tokens["access_token"])

    assert response.status_code == 200
    assert "password" not in response.text


async def test_password_change_ends_every_earlier_access_token(
    client: httpx.AsyncClient, user: User
) -> None:
    other = (await login(client, "alice")).json()
    tokens = (await login(client, "alice")).json()

    await change_password(client, tokens["access_token"])

    assert_invalid_token(await me(client, tokens["access_token"]))
    assert_invalid_token(await me(client, other["access_token"]))


async def test_password_change_ends_every_earlier_refresh_token(
    client: httpx.AsyncClient, user: User
) -> None:
    other = (await login(client, "alice")).json()
    tokens = (await login(client, "alice")).json()

    await change_password(client, tokens["access_token"])

    assert_invalid_token(await refresh(client, tokens["refresh_token"]))
    assert_invalid_token(await refresh(client, other["refresh_token"]))


async def test_after_password_change_the_new_password_logs_in(
    client: httpx.AsyncClient, user: User
) -> None:
    tokens = (await login(client, "alice")).json()
    await change_password(client, tokens["access_token"])

    response = await login(client, "alice", NEW_PASSWORD)

    assert response.status_code == 200
    assert (await me(client, response.json()["access_token"])).status_code == 200


async def test_after_password_change_the_old_password_gives_401(
    client: httpx.AsyncClient, user: User
) -> None:
    tokens = (await login(client, "alice")).json()
    await change_password(client, tokens["access_token"])

    response = await login(client, "alice", DEFAULT_PASSWORD)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_password_change_by_a_superuser_ends_the_users_tokens(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    tokens = (await login(client, "alice")).json()

    response = await client.patch(
        f"/api/v1/users/{user.id}", json={"password": NEW_PASSWORD}, headers=superuser_headers
    )

    assert response.status_code == 200
    assert_invalid_token(await me(client, tokens["access_token"]))
    assert (await client.get(ME, headers=superuser_headers)).status_code == 200


async def test_changing_other_fields_keeps_the_tokens(
    client: httpx.AsyncClient, user: User
) -> None:
    tokens = (await login(client, "alice")).json()

    await client.patch(ME, json={"full_name": "A. L."}, headers=bearer(tokens["access_token"]))

    assert (await me(client, tokens["access_token"])).status_code == 200
    assert (await refresh(client, tokens["refresh_token"])).status_code == 200


# --- deactivated and deleted users ------------------------------------------------------------


async def deactivate(client: httpx.AsyncClient, user: User, headers: dict[str, str]) -> None:
    response = await client.patch(
        f"/api/v1/users/{user.id}", json={"is_active": False}, headers=headers
    )
    assert response.status_code == 200


async def test_deactivated_users_access_token_gives_403_inactive_user(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    tokens = (await login(client, "alice")).json()

    await deactivate(client, user, superuser_headers)

    response = await me(client, tokens["access_token"])
    assert response.status_code == 403
    assert response.json()["code"] == "inactive_user"


async def test_deactivated_users_refresh_token_gives_403_inactive_user(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    tokens = (await login(client, "alice")).json()

    await deactivate(client, user, superuser_headers)

    response = await refresh(client, tokens["refresh_token"])
    assert response.status_code == 403
    assert response.json()["code"] == "inactive_user"


async def test_deactivated_users_refresh_token_cannot_log_out(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    """403 inactive_user, as for refresh; the login stays as it was (it works again after
    reactivation)."""
    tokens = (await login(client, "alice")).json()
    await deactivate(client, user, superuser_headers)

    response = await client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]})

    assert response.status_code == 403
    assert response.json()["code"] == "inactive_user"
    await client.patch(
        f"/api/v1/users/{user.id}", json={"is_active": True}, headers=superuser_headers
    )
    assert (await refresh(client, tokens["refresh_token"])).status_code == 200


async def test_deleted_users_access_token_gives_401_invalid_token(
    client: httpx.AsyncClient, user: User, tokens_for: TokensFor
) -> None:
    tokens = await tokens_for(user)
    other = await tokens_for(user)

    response = await client.delete(ME, headers=bearer(tokens["access_token"]))

    assert response.status_code == 204
    assert_invalid_token(await me(client, tokens["access_token"]))
    assert_invalid_token(await me(client, other["access_token"]))


async def test_deleted_users_refresh_token_gives_401_invalid_token(
    client: httpx.AsyncClient, user: User, tokens_for: TokensFor
) -> None:
    tokens = await tokens_for(user)

    await client.delete(ME, headers=bearer(tokens["access_token"]))

    assert_invalid_token(await refresh(client, tokens["refresh_token"]))


async def test_tokens_of_a_user_deleted_by_a_superuser_give_401(
    client: httpx.AsyncClient,
    user_factory: UserFactory,
    tokens_for: TokensFor,
    superuser_headers: dict[str, str],
) -> None:
    victim = await user_factory("victim")
    tokens = await tokens_for(victim)

    response = await client.delete(f"/api/v1/users/{victim.id}", headers=superuser_headers)

    assert response.status_code == 204
    assert_invalid_token(await me(client, tokens["access_token"]))
    assert_invalid_token(await refresh(client, tokens["refresh_token"]))
