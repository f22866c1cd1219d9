"""Reusable constrained input types (they show up as constraints in the OpenAPI schema)."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BeforeValidator,
    StringConstraints,
    TypeAdapter,
    WithJsonSchema,
)

# Text that is stored must not carry NUL characters: PostgreSQL refuses them, so they would
# turn into a 500 instead of a 422.
NO_NUL = r"^[^\x00]*$"


def text(min_length: int = 0, max_length: int | None = None) -> StringConstraints:
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_NUL)


def _json_integer(value: object) -> object:
    # What JSON Schema calls an integer: 5 and 5.0, not "5" or true (which lax Pydantic would
    # turn into 5 and 1; strict Pydantic would also refuse 5.0).
    if isinstance(value, str | bool):
        raise ValueError("Input should be a valid integer")
    return value


# Constraints go before it (`Annotated[int, Field(ge=0), JSON_INTEGER]`): after a validator,
# Pydantic can no longer translate them and writes `ge`/`le` into the JSON schema, which are
# not JSON Schema keywords (`minimum`/`maximum` are).
JSON_INTEGER = BeforeValidator(_json_integer)

_http_url: TypeAdapter[AnyHttpUrl] = TypeAdapter(AnyHttpUrl)


def _check_http_url(value: str) -> str:
    # The URL parser quietly trims spaces, drops tabs and newlines and encodes inner spaces;
    # the value is kept as given, so refuse them rather than store what was not validated.
    if any(char.isspace() or not char.isprintable() for char in value):
        raise ValueError("a URL cannot contain whitespace or control characters")
    _http_url.validate_python(value)
    return value  # keep the URL exactly as given (no added trailing slash)


URL_MAX_LENGTH = 500
# What the schema says is what the validator accepts: an absolute http(s) URL (`format: uri`
# alone would allow any scheme, and a bare string any text).
HTTP_URL_JSON_SCHEMA = {
    "type": "string",
    "format": "uri",
    "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s\x00]+$",
    "maxLength": URL_MAX_LENGTH,
}

HttpUrlStr = Annotated[
    str,
    text(max_length=URL_MAX_LENGTH),
    AfterValidator(_check_http_url),
    WithJsonSchema(HTTP_URL_JSON_SCHEMA, mode="validation"),
]
