"""POST /api/v1/auth/register (docs/api.md, sections Auth and Users)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.notifications.email import EmailMessage
from app.users.models import User
from tests.assertions import assert_error, assert_invalid
from tests.conftest import login

REGISTER = "/api/v1/auth/register"
USER_KEYS = {
    "id",
    "username",
    "email",
    "full_name",
    "is_active",
    "is_superuser",
    "is_verified",
    "permissions",
    "mfa_enabled",
    "created_at",
    "updated_at",
}
PASSWORD = "s3cret-pass"

# A syntactically valid address of exactly 254 characters: 64 + "@" + 189.
EMAIL_254 = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"
EMAIL_255 = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com"


def new_user(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"username": "bob", "email": "bob@example.com", "password": PASSWORD}
    body.update(fields)
    return body


def keys_anywhere(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_anywhere(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_anywhere(v)}
    return set()


async def test_register_gives_201_with_exactly_the_user_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json=new_user(full_name="Bob Smith"))

    assert response.status_code == 201
    body = response.json()
    assert set(body) == USER_KEYS
    assert body["username"] == "bob"
    assert body["full_name"] == "Bob Smith"
    assert body["is_active"] is True
    assert body["is_superuser"] is False
    assert body["permissions"] == []


async def test_register_response_contains_no_password_or_hash(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json=new_user())

    assert response.status_code == 201
    assert not {"password", "hashed_password"} & keys_anywhere(response.json())
    assert PASSWORD not in response.text
    assert "argon2" not in response.text


async def test_register_stores_the_email_lower_cased(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json=new_user(email="Bob.Smith@Example.COM"))

    assert response.status_code == 201
    assert response.json()["email"] == "bob.smith@example.com"


async def test_register_stores_the_username_as_typed(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json=new_user(username="Bob.Smith-2_x"))

    assert response.status_code == 201
    assert response.json()["username"] == "Bob.Smith-2_x"


async def test_register_without_full_name_gives_null_full_name(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json=new_user())

    assert response.status_code == 201
    assert response.json()["full_name"] is None


async def test_registered_user_can_log_in_with_the_password(client: httpx.AsyncClient) -> None:
    await client.post(REGISTER, json=new_user())

    response = await login(client, "bob", PASSWORD)

    assert response.status_code == 200


async def test_register_sends_a_welcome_email_and_a_verification_link(
    client: httpx.AsyncClient, outbox: list[EmailMessage]
) -> None:
    response = await client.post(REGISTER, json=new_user(email="Bob@Example.com"))

    assert response.status_code == 201
    assert [(m.to, m.subject) for m in outbox] == [
        ("bob@example.com", "Welcome!"),
        ("bob@example.com", "Verify your email"),
    ]


async def test_register_that_fails_sends_no_email(
    client: httpx.AsyncClient, user: User, outbox: list[EmailMessage]
) -> None:
    response = await client.post(REGISTER, json=new_user(username=user.username))

    assert_error(response, 409, "conflict")
    assert outbox == []


@pytest.mark.parametrize("username", ["alice", "ALICE", "Alice"])
async def test_register_with_a_taken_username_in_any_case_gives_409_naming_username(
    client: httpx.AsyncClient, user: User, username: str
) -> None:
    response = await client.post(REGISTER, json=new_user(username=username))

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert "username" in body["detail"]
    assert "email" not in body["detail"]


@pytest.mark.parametrize("email", ["alice@example.com", "ALICE@EXAMPLE.COM", "Alice@example.Com"])
async def test_register_with_a_taken_email_in_any_case_gives_409_naming_email(
    client: httpx.AsyncClient, user: User, email: str
) -> None:
    response = await client.post(REGISTER, json=new_user(email=email))

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert "email" in body["detail"]
    assert "username" not in body["detail"]


async def test_register_conflict_stores_nothing(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    await client.post(REGISTER, json=new_user(email="ALICE@example.com"))

    listed = await client.get("/api/v1/users", headers=superuser_headers)

    assert sorted(u["username"] for u in listed.json()["items"]) == ["alice", "root"]


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"username": "abc"}, id="username-3"),
        pytest.param({"username": "u" * 50}, id="username-50"),
        pytest.param({"password": "p" * 8}, id="password-8"),
        pytest.param({"password": "p" * 128}, id="password-128"),
        pytest.param({"full_name": "f" * 100}, id="full-name-100"),
        pytest.param({"email": EMAIL_254}, id="email-254"),
    ],
)
async def test_register_accepts_values_at_the_limits(
    client: httpx.AsyncClient, fields: dict[str, Any]
) -> None:
    response = await client.post(REGISTER, json=new_user(**fields))

    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(new_user(is_superuser=True), "is_superuser", id="unknown-field-is_superuser"),
        pytest.param(new_user(nickname="b"), "nickname", id="unknown-field"),
        pytest.param(new_user(email="not-an-email"), "email", id="bad-email"),
        pytest.param(new_user(email="bob@"), "email", id="email-without-domain"),
        pytest.param(new_user(email=EMAIL_255), "email", id="email-255"),
        pytest.param(new_user(password="p" * 7), "password", id="password-7"),
        pytest.param(new_user(password="p" * 129), "password", id="password-129"),
        pytest.param(new_user(username="ab"), "username", id="username-2"),
        pytest.param(new_user(username="u" * 51), "username", id="username-51"),
        pytest.param(new_user(username="bob smith"), "username", id="username-space"),
        pytest.param(new_user(username="bob@home"), "username", id="username-at"),
        pytest.param(new_user(username="bøb"), "username", id="username-non-ascii"),
        pytest.param(new_user(full_name="f" * 101), "full_name", id="full-name-101"),
        pytest.param(
            {"email": "bob@example.com", "password": PASSWORD}, "username", id="no-username"
        ),
        pytest.param({"username": "bob", "password": PASSWORD}, "email", id="no-email"),
        pytest.param({"username": "bob", "email": "bob@example.com"}, "password", id="no-password"),
    ],
)
async def test_register_with_invalid_input_gives_422(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await client.post(REGISTER, json=body)

    assert_invalid(response, field)


async def test_register_with_invalid_input_stores_nothing(client: httpx.AsyncClient) -> None:
    await client.post(REGISTER, json=new_user(full_name="f" * 101))

    assert_error(await login(client, "bob", PASSWORD), 401, "invalid_credentials")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(new_user(password="tooshrt"), "password", id="password-invalid"),
        pytest.param(
            new_user(username="ab", password="a-valid-password"), "username", id="other-invalid"
        ),
        pytest.param(
            {"email": "bob@example.com", "password": "a-valid-password"},
            "username",
            id="field-missing",
        ),
    ],
)
async def test_register_422_does_not_echo_the_password(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await client.post(REGISTER, json=body)

    assert_invalid(response, field)
    assert body["password"] not in response.text
