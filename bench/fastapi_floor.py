"""The FastAPI floor of bench/http_api.py: the raw floor's SQL, served the FastAPI way.

FastAPI and asyncpg, with what a plain FastAPI service brings and nothing of Agora's own:
an `OAuth2PasswordBearer` + `Depends` auth that verifies the same JWT (PyJWT) and loads the
caller with the raw floor's revocation-checking query, Pydantic input and response models,
one pooled connection and transaction per request as a dependency. The SQL is bench/floor.py's
(copied from Agora's statement log). With the raw floor beside it, each endpoint's cost splits
into framework (FastAPI floor / raw floor), data path and Agora's own layers (Agora / FastAPI
floor).

Run by the harness: `python bench/fastapi_floor.py --port P` with DATABASE_URL
(postgresql://...), SECRET_KEY and DB_POOL_SIZE in the environment.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
import jwt
import orjson
import uuid_utils
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Query, status
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, ConfigDict, Field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from floor import (
    ACCESS_AUDIENCE,
    AUTH_SQL,
    COUNT_SQL,
    INSERT_SQL,
    ISSUER,
    POSTS_SQL,
    REQUIRED,
    USER_SQL,
)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
pool: asyncpg.Pool | None = None


class UserOut(BaseModel):
    id: uuid.UUID
    username: str
    email: str
    full_name: str | None
    is_active: bool
    is_superuser: bool
    permissions: list[str]
    created_at: datetime
    updated_at: datetime


class Author(BaseModel):
    id: uuid.UUID
    username: str


class PostOut(BaseModel):
    id: uuid.UUID
    title: str
    content: str
    is_published: bool
    author_id: uuid.UUID
    author: Author
    created_at: datetime
    updated_at: datetime


class PostPage(BaseModel):
    items: list[PostOut]
    total: int
    skip: int
    limit: int


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=255)
    content: str = Field(min_length=1, max_length=100_000)
    is_published: bool = False


class Health(BaseModel):
    status: str


async def _init(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "json", encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads,
        schema="pg_catalog",
    )  # fmt: skip


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    global pool
    size = int(os.environ.get("DB_POOL_SIZE", "10"))
    pool = await asyncpg.create_pool(
        os.environ["DATABASE_URL"], min_size=size, max_size=size, init=_init
    )
    try:
        yield
    finally:
        await pool.close()


app = FastAPI(lifespan=lifespan)
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login")


async def get_connection() -> AsyncIterator[asyncpg.Connection]:
    assert pool is not None
    async with pool.acquire() as connection, connection.transaction():
        yield connection


Connection = Annotated[asyncpg.Connection, Depends(get_connection)]


async def get_current_user(
    token: Annotated[str, Depends(oauth2_scheme)], connection: Connection
) -> asyncpg.Record:
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED, "Invalid or expired token", {"WWW-Authenticate": "Bearer"}
    )
    try:
        claims = jwt.decode(
            token,
            SECRET_KEY,
            algorithms=["HS256"],
            audience=ACCESS_AUDIENCE,
            issuer=ISSUER,
            options={"require": REQUIRED},
        )
        user_id, session_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"])
    except (jwt.PyJWTError, ValueError, KeyError):
        raise unauthorized from None
    user: asyncpg.Record | None = await connection.fetchrow(AUTH_SQL, user_id, session_id)
    if user is None:
        raise unauthorized
    return user


CurrentUser = Annotated[asyncpg.Record, Depends(get_current_user)]


@app.get("/health", response_model=Health)
async def health() -> Any:
    return {"status": "ok"}


@app.get("/api/v1/users/me", response_model=UserOut)
async def me(user: CurrentUser) -> Any:
    return dict(user)


@app.get("/api/v1/users/{user_id}", response_model=UserOut)
async def user_by_id(user_id: uuid.UUID, _: CurrentUser, connection: Connection) -> Any:
    row = await connection.fetchrow(USER_SQL, user_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found")
    return dict(row)


@app.get("/api/v1/posts", response_model=PostPage)
async def posts(
    user: CurrentUser,
    connection: Connection,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    rows = await connection.fetch(POSTS_SQL, user["id"], limit, skip)
    total = (
        skip + len(rows) if len(rows) < limit else await connection.fetchval(COUNT_SQL, user["id"])
    )
    items = [
        {**dict(row), "author": {"id": row["id_1"], "username": row["username"]}} for row in rows
    ]
    return {"items": items, "total": total, "skip": skip, "limit": limit}


@app.post("/api/v1/posts", response_model=PostOut, status_code=status.HTTP_201_CREATED)
async def create_post(data: PostIn, user: CurrentUser, connection: Connection) -> Any:
    now = datetime.now(UTC)
    post_id = uuid.UUID(str(uuid_utils.uuid7()))
    await connection.execute(
        INSERT_SQL, now, now, post_id, data.title, data.content, data.is_published, user["id"]
    )
    return {
        "id": post_id,
        "title": data.title,
        "content": data.content,
        "is_published": data.is_published,
        "author_id": user["id"],
        "author": {"id": user["id"], "username": user["username"]},
        "created_at": now,
        "updated_at": now,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "fastapi_floor:app",
        app_dir=os.path.dirname(os.path.abspath(__file__)),
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
