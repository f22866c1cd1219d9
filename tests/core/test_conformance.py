"""What schemathesis found (tests/test_openapi_fuzz.py), pinned as plain tests: the app answers
as its OpenAPI schema says, and bad input is a 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import exc as sa_exc

from app.db.errors import is_database_unavailable
from app.users.models import User
from tests.assertions import assert_error, assert_invalid


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/api/v1/users/me", "DELETE, GET, HEAD, PATCH"),
        ("PUT", "/api/v1/users/0190e3c1-0000-7000-8000-000000000000", "DELETE, GET, HEAD, PATCH"),
        ("PUT", "/api/v1/posts", "GET, HEAD, POST"),
        ("DELETE", "/api/v1/users/me/profile", "GET, HEAD, PUT"),
    ],
)
async def test_405_lists_every_method_of_the_path(
    client: httpx.AsyncClient, user_headers: dict[str, str], method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path, headers=user_headers)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == allow


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/api/v1/users/stream", "GET, HEAD"),
        ("DELETE", "/api/v1/users/bulk", "POST"),
    ],
)
async def test_a_static_path_is_not_taken_for_an_id(
    client: httpx.AsyncClient,
    superuser_headers: dict[str, str],
    method: str,
    path: str,
    allow: str,
) -> None:
    # `/users/stream` is a path of its own in the schema, not `/users/{user_id}` with a
    # malformed id: a method it does not have is 405, not 422.
    response = await client.request(method, path, headers=superuser_headers)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == allow


async def test_a_malformed_id_is_still_422(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch("/api/v1/users/not-a-uuid", json={}, headers=user_headers)
    assert_invalid(response, "user_id")


async def test_a_body_that_is_not_utf8_is_422_like_malformed_json(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/auth/refresh",
        content=b'{"refresh_token": "\xc3\x28"}',
        headers={"Content-Type": "application/json"},
    )
    assert_invalid(response, "body")
    assert response.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("multipart/form-data", b"username=a", id="no-boundary"),
        pytest.param(
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n",
            id="part-without-a-name",
        ),
    ],
)
async def test_a_form_body_that_cannot_be_parsed_is_422_not_a_bare_400(
    client: httpx.AsyncClient, content_type: str, body: bytes
) -> None:
    # Starlette's multipart parser answers these with a 400 of its own; docs/api.md: a body
    # that cannot be parsed at all is a 422 like any other invalid body.
    response = await client.post(
        "/api/v1/auth/login", content=body, headers={"Content-Type": content_type}
    )
    assert_invalid(response, "body")
    assert response.json()["detail"][0]["type"] == "body_invalid"


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        pytest.param(
            "/api/v1/teams", "application/json", b"[" * 1000 + b"]" * 1000, id="nested-1000-deep"
        ),
        pytest.param(
            "/api/v1/teams", "application/json", b'{"name": ' + b"9" * 5000 + b"}", id="long-number"
        ),
        pytest.param(
            "/api/v1/auth/login",
            "application/x-www-form-urlencoded",
            "&".join(f"f{i}=1" for i in range(1001)).encode(),
            id="too-many-form-fields",
        ),
        pytest.param(
            "/api/v1/auth/login",
            "multipart/form-data; boundary=b",
            b"".join(
                b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n1\r\n' % i
                for i in range(1001)
            )
            + b"--b--\r\n",
            id="too-many-multipart-fields",
        ),
    ],
)
async def test_a_body_the_parsers_refuse_is_422_not_a_bare_400(
    client: httpx.AsyncClient,
    user_headers: dict[str, str],
    path: str,
    content_type: str,
    body: bytes,
) -> None:
    # Python's json refuses the first two (RecursionError; more than 4300 digits), Starlette's
    # form parser the others (over 1000 fields); FastAPI made each a bare 400.
    response = await client.post(
        path, content=body, headers={**user_headers, "Content-Type": content_type}
    )
    assert_invalid(response, "body")


async def test_a_field_missing_from_a_form_is_listed_once(client: httpx.AsyncClient) -> None:
    # The login route and its rate limit both read `username` from the form.
    response = await client.post("/api/v1/auth/login", json={"username": "a", "password": "b"})
    errors = assert_invalid(response, "username", "password")
    locs = [tuple(error["loc"]) for error in errors]
    assert sorted(locs) == [("body", "password"), ("body", "username")], errors


# JSON Schema 2020-12 (core, applicator, validation, unevaluated, format, content, meta-data)
# and what OpenAPI 3.1 adds to a Schema Object: nothing else may name a schema's keyword.
JSON_SCHEMA_KEYWORDS = frozenset(
    {
        "$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary",
        "$comment", "$defs",
        "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas",
        "prefixItems", "items", "contains", "properties", "patternProperties",
        "additionalProperties", "propertyNames", "unevaluatedItems", "unevaluatedProperties",
        "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
        "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
        "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties",
        "required", "dependentRequired",
        "format", "contentEncoding", "contentMediaType", "contentSchema",
        "title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
        "discriminator", "xml", "externalDocs", "example",
    }
)  # fmt: skip
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SUBSCHEMAS = (
    "not", "if", "then", "else", "items", "contains", "additionalProperties", "propertyNames",
    "unevaluatedItems", "unevaluatedProperties", "contentSchema",
)  # fmt: skip


def schema_keywords(schema: object, where: str) -> list[tuple[str, str]]:
    """Every (location, keyword) of `schema` and of the schemas inside it."""
    if not isinstance(schema, dict):
        return []  # `true`/`false` schemas
    found = [(where, keyword) for keyword in schema]
    for keyword in _SUBSCHEMA_LISTS:
        for index, sub in enumerate(schema.get(keyword, [])):
            found += schema_keywords(sub, f"{where}/{keyword}/{index}")
    for keyword in _SUBSCHEMA_MAPS:
        for name, sub in schema.get(keyword, {}).items():
            found += schema_keywords(sub, f"{where}/{keyword}/{name}")
    for keyword in _SUBSCHEMAS:
        if keyword in schema:
            found += schema_keywords(schema[keyword], f"{where}/{keyword}")
    return found


def every_schema(document: dict[str, Any]) -> list[tuple[str, object]]:
    """The schemas of an OpenAPI document: components, parameters, bodies and responses."""
    schemas: list[tuple[str, object]] = [
        (f"components/schemas/{name}", schema)
        for name, schema in document.get("components", {}).get("schemas", {}).items()
    ]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                schemas.append((f"{where} {parameter['name']}", parameter.get("schema")))
            bodies = [operation.get("requestBody", {})]
            bodies += operation.get("responses", {}).values()
            for body in bodies:
                for media_type, content in body.get("content", {}).items():
                    schemas.append((f"{where} {media_type}", content.get("schema")))
    return schemas


async def test_the_schema_uses_only_json_schema_keywords(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    unknown = [
        (where, keyword)
        for name, schema in every_schema(document)
        for where, keyword in schema_keywords(schema, name)
        if keyword not in JSON_SCHEMA_KEYWORDS
    ]
    assert unknown == []


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/posts", {"q": "a\x00b"}),
        ("/api/v1/teams", {"name": "\x00"}),
        ("/api/v1/heroes", {"name": "\x00"}),
        ("/api/v1/users", {"username": "\x00"}),
        ("/api/v1/posts", {"q": "x" * 1001}),
        ("/api/v1/teams", {"name": "x" * 101}),
    ],
)
async def test_nul_or_overlong_text_filters_are_422_not_a_database_error(
    client: httpx.AsyncClient, user_headers: dict[str, str], path: str, params: dict[str, str]
) -> None:
    response = await client.get(path, params=params, headers=user_headers)
    assert_invalid(response, *params)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/posts", {"title": "t", "content": "c", "is_published": 0}, "is_published"),
        ("/api/v1/posts", {"title": "t", "content": "c", "is_published": "true"}, "is_published"),
        ("/api/v1/heroes", {"name": "n", "secret_name": "s", "age": "5"}, "age"),
        ("/api/v1/heroes", {"name": "n", "secret_name": "s", "age": True}, "age"),
        ("/api/v1/teams", {"name": "a\x00b", "headquarters": "h"}, "name"),
    ],
)
async def test_values_of_the_wrong_json_type_or_with_nul_are_422(
    client: httpx.AsyncClient,
    user_headers: dict[str, str],
    path: str,
    body: dict[str, object],
    field: str,
) -> None:
    response = await client.post(path, json=body, headers=user_headers)
    assert_invalid(response, field)


async def test_an_integral_json_number_is_an_integer(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    body = {"name": "n", "secret_name": "s", "age": 41.0}
    response = await client.post("/api/v1/heroes", json=body, headers=user_headers)
    assert response.status_code == 201
    assert response.json()["age"] == 41


async def test_an_admin_flag_must_be_a_json_boolean(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], user: User
) -> None:
    response = await client.patch(
        f"/api/v1/users/{user.id}", json={"is_superuser": 1}, headers=superuser_headers
    )
    assert_invalid(response, "is_superuser")


async def test_a_dot_test_address_is_a_valid_email(client: httpx.AsyncClient) -> None:
    body = {"username": "tester", "email": "Tester@Example.TEST", "password": "long enough"}
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201
    assert response.json()["email"] == "tester@example.test"


async def test_the_schema_says_avatar_url_is_an_http_url(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    field = schema["components"]["schemas"]["ProfileUpdate"]["properties"]["avatar_url"]
    url = next(option for option in field["anyOf"] if option.get("type") == "string")
    assert url["format"] == "uri"
    assert url["pattern"].startswith("^[Hh][Tt][Tt][Pp][Ss]?://")


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    ],
)
def test_a_connection_ended_by_a_restart_means_unavailable(error: Exception) -> None:
    wrapped = sa_exc.DBAPIError("COMMIT", None, error)
    assert is_database_unavailable(wrapped)


def test_other_database_errors_are_not_unavailability() -> None:
    error = asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence")
    assert not is_database_unavailable(sa_exc.DBAPIError("SELECT", None, error))
