"""The raw floor of bench/http_api.py: the same endpoints with no ORM and no validation.

Starlette and asyncpg only. It verifies the same JWT (PyJWT, same key, algorithm, audience,
issuer and required claims), runs the same SQL that Agora runs for each endpoint (copied from
Agora's statement log), and answers the same JSON (orjson). It is what a hand-written service
on the same stack would cost: Agora's speed is reported as a ratio of it.

Run by the harness: `python bench/floor.py --port P` with DATABASE_URL (postgresql://...),
SECRET_KEY and DB_POOL_SIZE in the environment.
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import jwt
import orjson
import uuid_utils
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ISSUER = "agora"
ACCESS_AUDIENCE = "agora:access"
REQUIRED = ["exp", "iat", "sub", "sid", "jti", "aud", "iss"]

USER_COLUMNS = (
    "users.created_at, users.updated_at, users.id, users.username, users.email, "
    "users.hashed_password, users.full_name, users.is_active, users.is_superuser, "
    "users.permissions"
)
AUTH_SQL = (
    f"SELECT {USER_COLUMNS} FROM users JOIN auth_sessions ON auth_sessions.user_id = users.id "  # noqa: S608
    "WHERE users.id = $1::UUID AND auth_sessions.id = $2::UUID "
    "AND auth_sessions.revoked_at IS NULL"
)
USER_SQL = f"SELECT {USER_COLUMNS} FROM users WHERE users.id = $1::UUID"  # noqa: S608
POSTS_SQL = (
    "SELECT posts.created_at, posts.updated_at, posts.id, posts.title, posts.content, "
    "posts.is_published, posts.author_id, users_1.id AS id_1, users_1.username "
    "FROM posts LEFT OUTER JOIN users AS users_1 ON users_1.id = posts.author_id "
    "WHERE posts.is_published IS true OR posts.author_id = $1::UUID "
    "ORDER BY posts.created_at DESC, posts.id DESC LIMIT $2::INTEGER OFFSET $3::INTEGER"
)
COUNT_SQL = "SELECT count(*) FROM posts WHERE posts.is_published IS true OR posts.author_id = $1"
INSERT_SQL = (
    "INSERT INTO posts (created_at, updated_at, id, title, content, is_published, author_id) "
    "VALUES ($1::TIMESTAMP WITH TIME ZONE, $2::TIMESTAMP WITH TIME ZONE, $3::UUID, $4::VARCHAR, "
    "$5::VARCHAR, $6::BOOLEAN, $7::UUID)"
)

SECRET_KEY = os.environ["SECRET_KEY"]
POOL: asyncpg.Pool | None = None
UNAUTHORIZED = Response(
    b'{"detail":"Invalid or expired token","code":"invalid_token"}',
    401,
    media_type="application/json",
)


def json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data, default=str), status, media_type="application/json")


def user_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "username": row["username"],
        "email": row["email"],
        "full_name": row["full_name"],
        "is_active": row["is_active"],
        "is_superuser": row["is_superuser"],
        "permissions": row["permissions"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def post_json(row: Any, author: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "content": row["content"],
        "is_published": row["is_published"],
        "author_id": row["author_id"],
        "author": author,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


async def caller(request: Request, connection: asyncpg.Connection) -> asyncpg.Record | None:
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer "):
        return None
    try:
        claims = jwt.decode(
            header[7:],
            SECRET_KEY,
            algorithms=["HS256"],
            audience=ACCESS_AUDIENCE,
            issuer=ISSUER,
            options={"require": REQUIRED},
        )
        user_id, session_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"])
    except (jwt.PyJWTError, ValueError, KeyError):
        return None
    row: asyncpg.Record | None = await connection.fetchrow(AUTH_SQL, user_id, session_id)
    return row


async def health(_: Request) -> Response:
    return json({"status": "ok"})


async def me(request: Request) -> Response:
    assert POOL is not None
    async with POOL.acquire() as connection, connection.transaction():
        user = await caller(request, connection)
    if user is None:
        return UNAUTHORIZED
    return json(user_json(user))


async def user_by_id(request: Request) -> Response:
    assert POOL is not None
    async with POOL.acquire() as connection, connection.transaction():
        if await caller(request, connection) is None:
            return UNAUTHORIZED
        row = await connection.fetchrow(USER_SQL, uuid.UUID(request.path_params["user_id"]))
    if row is None:
        return json({"detail": "User not found", "code": "not_found"}, 404)
    return json(user_json(row))


async def posts(request: Request) -> Response:
    assert POOL is not None
    limit = int(request.query_params.get("limit", "20"))
    skip = int(request.query_params.get("skip", "0"))
    async with POOL.acquire() as connection, connection.transaction():
        user = await caller(request, connection)
        if user is None:
            return UNAUTHORIZED
        rows = await connection.fetch(POSTS_SQL, user["id"], limit, skip)
        total = (
            skip + len(rows)
            if len(rows) < limit
            else await connection.fetchval(COUNT_SQL, user["id"])
        )
    items = [post_json(row, {"id": row["id_1"], "username": row["username"]}) for row in rows]
    return json({"items": items, "total": total, "skip": skip, "limit": limit})


async def create_post(request: Request) -> Response:
    assert POOL is not None
    body = orjson.loads(await request.body())
    now = datetime.now(UTC)
    post_id = uuid.UUID(str(uuid_utils.uuid7()))
    async with POOL.acquire() as connection, connection.transaction():
        user = await caller(request, connection)
        if user is None:
            return UNAUTHORIZED
        await connection.execute(
            INSERT_SQL,
            now,
            now,
            post_id,
            body["title"],
            body["content"],
            body.get("is_published", False),
            user["id"],
        )
    row = {
        "id": post_id,
        "title": body["title"],
        "content": body["content"],
        "is_published": body.get("is_published", False),
        "author_id": user["id"],
        "created_at": now,
        "updated_at": now,
    }
    return json(post_json(row, {"id": user["id"], "username": user["username"]}), 201)


@asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    global POOL
    size = int(os.environ.get("DB_POOL_SIZE", "10"))
    POOL = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=size, max_size=size)
    try:
        yield
    finally:
        await POOL.close()


app = Starlette(
    routes=[
        Route("/health", health),
        Route("/api/v1/users/me", me),
        Route("/api/v1/users/{user_id}", user_by_id),
        Route("/api/v1/posts", posts, methods=["GET"]),
        Route("/api/v1/posts", create_post, methods=["POST"]),
    ],
    lifespan=lifespan,
)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "floor:app",
        app_dir=os.path.dirname(os.path.abspath(__file__)),
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
