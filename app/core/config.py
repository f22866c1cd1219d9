"""Settings from the environment and `.env` (docs/api.md, section Settings)."""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*$")
_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(Exception):
    """A setting that makes start-up impossible; its message is one line for the operator."""


def parse_rate(value: str) -> tuple[int, float]:
    """`"100/minute"` -> (100, 60.0); `"10/5 seconds"` -> (10, 5.0)."""
    match = _RATE.match(value)
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"rate {value!r} is not of the form '<count>/<period>', e.g. '100/minute'")
    count, multiplier, unit = match.groups()
    return int(count), float(int(multiplier or 1) * _PERIODS[unit])


def _split_list(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("["):
            import json

            return json.loads(value)
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    ENVIRONMENT: Literal["local", "production"] = "local"
    DATA_DIR: Path = Path("./data")

    DATABASE_URL: str = "sqlite+aiosqlite:///./data/app.db"
    ANALYTICS_DATABASE_URL: str | None = None
    AUTO_MIGRATE: bool = True
    DB_POOL_SIZE: int = Field(default=10, ge=1)
    # No overflow by default: under steady load past the pool, overflow connections are
    # opened and closed over and over (each a PostgreSQL backend process and a TLS attempt),
    # which costs more than waiting for a pooled one. Size DB_POOL_SIZE to the concurrency.
    DB_MAX_OVERFLOW: int = Field(default=0, ge=0)
    DB_POOL_TIMEOUT: float = Field(default=10.0, gt=0)
    DB_CONNECT_TIMEOUT: float = Field(default=5.0, gt=0)
    # GET /users/stream reads through a pool of its own: a stream lasts as long as its client
    # takes to read, and must never hold the connections other requests need. A stream that
    # cannot have one of these within DB_STREAM_POOL_TIMEOUT answers 503 (before any byte).
    DB_STREAM_POOL_SIZE: int = Field(default=2, ge=1)
    DB_STREAM_POOL_TIMEOUT: float = Field(default=1.0, gt=0)
    # A streamed body's client that takes no data for this long is disconnected, and the
    # stream's database connection goes back to its pool.
    STREAM_SEND_TIMEOUT: float = Field(default=30.0, gt=0)
    DB_ECHO: bool = False

    SECRET_KEY: str | None = None
    JWT_ALGORITHM: Literal["HS256", "HS384", "HS512"] = "HS256"
    ACCESS_TOKEN_EXPIRE_MINUTES: float = Field(default=30, gt=0)
    REFRESH_TOKEN_EXPIRE_DAYS: float = Field(default=7, gt=0)
    # Internal, for the test suite: `minimal` hashes new passwords with Argon2id at the lowest
    # cost it accepts (1 pass over 8 KiB), so tests do not spend minutes hashing. Refused with
    # ENVIRONMENT=production; such hashes are re-hashed at the standard cost on the next login.
    PASSWORD_HASH_COST: Literal["standard", "minimal"] = "standard"  # noqa: S105 (no secret)

    # Lifetime of the `mfa_token` between the two steps of a login with two-factor sign-in.
    MFA_TOKEN_EXPIRE_SECONDS: float = Field(default=300, gt=0)

    FIRST_SUPERUSER_EMAIL: str | None = None
    FIRST_SUPERUSER_PASSWORD: str | None = None
    FIRST_SUPERUSER_USERNAME: str = "admin"

    REDIS_URL: str | None = None

    RATE_LIMIT_ENABLED: bool = True
    RATE_LIMIT_DEFAULT: str = "100/minute"
    RATE_LIMIT_LOGIN: str = "5/minute"

    EMAIL_BACKEND: Literal["console", "smtp"] = "console"
    SMTP_HOST: str = "localhost"
    SMTP_PORT: int = 25
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_TLS: bool = False
    SMTP_TIMEOUT: float = Field(default=10.0, gt=0)
    EMAIL_FROM: str = "Agora <noreply@agora.local>"

    CORS_ORIGINS: Annotated[list[str], NoDecode] = []
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: Literal["console", "json"] = "console"
    FORWARDED_ALLOW_IPS: Annotated[list[str], NoDecode] = ["127.0.0.1"]
    MAX_BODY_SIZE: int = Field(default=1024 * 1024, ge=1)

    DOCS_ENABLED: bool = True
    METRICS_ENABLED: bool = True
    # The admin console at /admin; unset: on in local, off in production.
    ADMIN_ENABLED: bool | None = None

    # Traces (app/core/tracing.py, extra `otel`): on when an OTLP endpoint or exporter is set.
    OTEL_EXPORTER_OTLP_ENDPOINT: str | None = None
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: str | None = None
    OTEL_TRACES_EXPORTER: Literal["otlp", "console", "none"] | None = None
    OTEL_SERVICE_NAME: str = "agora"
    OTEL_SDK_DISABLED: bool = False

    AGENT_MODEL: str | None = None
    AGENT_TIMEOUT_SECONDS: float = Field(default=30, gt=0)

    # Inbound WebSocket messages a connection may send a second (bursts of twice that).
    WS_MESSAGES_PER_SECOND: float = Field(default=20, gt=0)

    # Account lifecycle (app/accounts): links in emails, their lifetimes, and how often a
    # verification or reset email may be asked for (per target address; per client address).
    PUBLIC_URL: str = "http://127.0.0.1:8000"
    EMAIL_VERIFICATION_REQUIRED: bool = False
    EMAIL_VERIFY_TOKEN_HOURS: float = Field(default=24, gt=0)
    PASSWORD_RESET_TOKEN_MINUTES: float = Field(default=30, gt=0)
    RATE_LIMIT_EMAIL: str = "3/hour"
    RATE_LIMIT_EMAIL_CLIENT: str = "10/hour"

    @field_validator("CORS_ORIGINS", "FORWARDED_ALLOW_IPS", mode="before")
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator(
        "RATE_LIMIT_DEFAULT", "RATE_LIMIT_LOGIN", "RATE_LIMIT_EMAIL", "RATE_LIMIT_EMAIL_CLIENT"
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_rate(value)
        return value

    @field_validator("PUBLIC_URL")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(
                f"PUBLIC_URL {value!r} is not an http(s) URL, e.g. https://agora.example"
            )
        return value.rstrip("/")

    @field_validator("LOG_LEVEL")
    @classmethod
    def _level(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _local_secret(self) -> Settings:
        if not self.SECRET_KEY and self.ENVIRONMENT == "local":
            self.SECRET_KEY = _local_secret_key(self.DATA_DIR)
        return self

    @property
    def analytics_database_url(self) -> str:
        return self.ANALYTICS_DATABASE_URL or self.DATABASE_URL

    @property
    def admin_enabled(self) -> bool:
        if self.ADMIN_ENABLED is None:
            return self.ENVIRONMENT == "local"
        return self.ADMIN_ENABLED

    @property
    def tracing_enabled(self) -> bool:
        if self.OTEL_SDK_DISABLED or self.OTEL_TRACES_EXPORTER == "none":
            return False
        return bool(
            self.OTEL_EXPORTER_OTLP_ENDPOINT
            or self.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
            or self.OTEL_TRACES_EXPORTER
        )

    @property
    def secret_key(self) -> str:
        if not self.SECRET_KEY:
            raise ConfigError("SECRET_KEY is not set")
        return self.SECRET_KEY

    @property
    def access_token_seconds(self) -> int:
        return max(1, round(self.ACCESS_TOKEN_EXPIRE_MINUTES * 60))

    @property
    def refresh_token_seconds(self) -> int:
        return max(1, round(self.REFRESH_TOKEN_EXPIRE_DAYS * 86400))

    @property
    def mfa_token_seconds(self) -> int:
        return max(1, round(self.MFA_TOKEN_EXPIRE_SECONDS))

    def check(self) -> None:
        """Refuse settings a production service must not run with (one-line messages)."""
        if self.tracing_enabled and importlib.util.find_spec("opentelemetry.sdk") is None:
            raise ConfigError(
                "tracing is configured (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER) but"
                " OpenTelemetry is not installed: install the extra, pip install 'agora[otel]'"
            )
        if self.ENVIRONMENT == "production":
            if not self.SECRET_KEY:
                raise ConfigError(
                    "SECRET_KEY is required when ENVIRONMENT=production "
                    f"(at least {MIN_SECRET_KEY_LENGTH} characters, e.g. from "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
                )
            if len(self.SECRET_KEY) < MIN_SECRET_KEY_LENGTH:
                raise ConfigError(
                    f"SECRET_KEY is {len(self.SECRET_KEY)} characters long; ENVIRONMENT=production "
                    f"needs at least {MIN_SECRET_KEY_LENGTH}"
                )
            if self.PASSWORD_HASH_COST != "standard":  # noqa: S105
                raise ConfigError(
                    "PASSWORD_HASH_COST=minimal is for tests only; ENVIRONMENT=production "
                    "hashes passwords at the standard cost (unset it)"
                )


def _local_secret_key(data_dir: Path) -> str:
    """Generate a signing key once per checkout and keep it, so restarts keep sessions valid."""
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    # Write a private temporary file, then link it into place: the link is atomic and fails
    # if another worker got there first, in which case its key wins.
    tmp = data_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
