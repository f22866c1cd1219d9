"""Reusable constrained input types (they show up as constraints in the OpenAPI schema)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, AnyHttpUrl, StringConstraints, TypeAdapter

# Text that is stored must not carry NUL characters: PostgreSQL refuses them, so they would
# turn into a 500 instead of a 422.
NO_NUL = r"^[^\x00]*$"


def text(min_length: int = 0, max_length: int | None = None) -> StringConstraints:
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_NUL)


_http_url: TypeAdapter[AnyHttpUrl] = TypeAdapter(AnyHttpUrl)


def _check_http_url(value: str) -> str:
    # The URL parser quietly trims spaces, drops tabs and newlines and encodes inner spaces;
    # the value is kept as given, so refuse them rather than store what was not validated.
    if any(char.isspace() or not char.isprintable() for char in value):
        raise ValueError("a URL cannot contain whitespace or control characters")
    _http_url.validate_python(value)
    return value  # keep the URL exactly as given (no added trailing slash)


HttpUrlStr = Annotated[str, text(max_length=500), AfterValidator(_check_http_url)]
