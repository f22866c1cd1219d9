"""The account settings: PUBLIC_URL must be a base for links; rates must parse."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.core.config import Settings


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, SECRET_KEY="k" * 40, **values)  # type: ignore[call-arg]


def test_the_defaults_are_the_contracts() -> None:
    s = settings()
    assert (s.PUBLIC_URL, s.EMAIL_VERIFICATION_REQUIRED) == ("http://127.0.0.1:8000", False)
    assert (s.EMAIL_VERIFY_TOKEN_HOURS, s.PASSWORD_RESET_TOKEN_MINUTES) == (24, 30)


def test_a_trailing_slash_of_public_url_is_dropped() -> None:
    assert settings(PUBLIC_URL="https://agora.example/app/").PUBLIC_URL == (
        "https://agora.example/app"
    )


@pytest.mark.parametrize("url", ["agora.example", "ftp://agora.example", "https://", ""])
def test_a_public_url_that_is_no_http_url_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="PUBLIC_URL"):
        settings(PUBLIC_URL=url)


@pytest.mark.parametrize("name", ["RATE_LIMIT_EMAIL", "RATE_LIMIT_EMAIL_CLIENT"])
def test_an_email_rate_that_does_not_parse_is_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="rate"):
        settings(**{name: "three an hour"})


@pytest.mark.parametrize("name", ["EMAIL_VERIFY_TOKEN_HOURS", "PASSWORD_RESET_TOKEN_MINUTES"])
def test_a_link_lifetime_must_be_positive(name: str) -> None:
    with pytest.raises(ValidationError):
        settings(**{name: 0})
    assert getattr(settings(**{name: 0.5}), name) == 0.5
