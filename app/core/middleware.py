"""Pure ASGI middleware (no BaseHTTPMiddleware on the hot path).

`RequestContextMiddleware` is the outermost of our layers, and one hop for everything a request
needs on its way in and out: it gives every response `X-Request-ID` and `X-Process-Time`,
writes the request log line, counts the request in the metrics (app/core/metrics.py), keeps
the Host header out of redirects (a `Location` on the request's own origin leaves relative),
and turns an unhandled exception into a 500 `internal_error` whose body shows no traceback
(the traceback goes to the log).
`BodySizeLimitMiddleware` answers 413 to bodies over the limit without reading them whole.
`HeadMiddleware` answers HEAD wherever GET is answered. `ClientAddressMiddleware` settles the
client address before anything else runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit, urlunsplit

from starlette.datastructures import URL, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.core.errors import InternalError, PayloadTooLarge, error_response
from app.core.logging import request_id_var

if TYPE_CHECKING:
    from app.core.metrics import RequestMetrics

access_logger = logging.getLogger("app.access")
error_logger = logging.getLogger("app.errors")

_CLIENT_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII, bounded


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _CLIENT_REQUEST_ID.match(candidate):
                return candidate
            break
    return new_request_id()


def new_request_id() -> str:
    """A random (version 4) UUID as 32 hex digits: what `uuid.uuid4().hex` gives, without
    building the `UUID` object on the way (0.5 us against 1.5)."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    return raw.hex()


# Response headers the request layer sets, as they appear in an ASGI message.
_STAMPED = (b"x-request-id", b"x-process-time")


def _stamp(message: Message, scope: Scope, request_id: str, start: float) -> None:
    """Give a response's start message `X-Request-ID` and `X-Process-Time`, and a relative
    `Location` where it pointed at the request's own origin. One pass over its headers; where
    the app already set one of ours, `MutableHeaders` replaces it (its rule: the first entry
    takes the value, the others go)."""
    headers: list[Any] = list(message.get("headers", ()))
    message["headers"] = headers
    location: bytes | None = None
    clash = False
    for name, value in headers:
        if name == b"location":
            if location is None:
                location = value
        elif name in _STAMPED:
            clash = True
    if location is not None:
        relative = relative_location(location.decode("latin-1"), scope)
        if relative is not None:
            MutableHeaders(raw=headers)["location"] = relative
    process_time = b"%.6f" % (time.perf_counter() - start)
    if clash:
        mutable = MutableHeaders(raw=headers)
        mutable["X-Request-ID"] = request_id
        mutable["X-Process-Time"] = process_time.decode()
    else:
        headers.append((b"x-request-id", request_id.encode("latin-1")))
        headers.append((b"x-process-time", process_time))


class RequestContextMiddleware:
    """Request id, process time, request log line, metrics, relative redirects and the 500 of
    last resort, in one layer (they were four: each hop of an ASGI layer, and each wrapper a
    message goes through, costs a few microseconds of a request that may take 60).

    Outside the CORS and rate-limit layers: their answers (a preflight, a 429) carry the
    headers, are counted and logged. `metrics` is None when METRICS_ENABLED=false.
    """

    def __init__(self, app: ASGIApp, metrics: RequestMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await self._websocket(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return

        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        metrics = self.metrics
        if metrics is not None:
            metrics.started()
        start = time.perf_counter()
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                _stamp(message, scope, request_id, start)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            error_logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not response_started:
                await error_response(InternalError())(scope, receive, send_wrapper)
        finally:
            seconds = time.perf_counter() - start
            if metrics is not None:
                metrics.finished(scope, status, seconds)
            if access_logger.isEnabledFor(logging.INFO):
                duration_ms = seconds * 1000
                access_logger.info(
                    "%s %s %s %.1fms",
                    scope["method"],
                    scope["path"],
                    status,
                    duration_ms,
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(duration_ms, 3),
                    },
                )
            request_id_var.reset(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket: the request id (on the accept too), the traceback of a failure."""
        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "websocket.accept":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers["X-Process-Time"] = f"{time.perf_counter() - start:.6f}"
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            error_logger.exception("unhandled error on %s %s", "WS", scope["path"])
        finally:
            request_id_var.reset(token)


class _BodyTooLarge(Exception):
    pass


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_body_size:
                    await error_response(PayloadTooLarge())(scope, receive, send)
                    return
                break

        received = 0
        too_large = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_size:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if too_large:
                return  # the app's reaction to the aborted body is replaced by the 413
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if too_large and not response_started:
            await error_response(PayloadTooLarge())(scope, receive, send)


class HeadMiddleware:
    """HEAD wherever GET (RFC 9110 9.3.2; docs/api.md, Conventions): the routes see a GET, the
    client gets its status and headers (Content-Length included) without the body.

    Innermost of the middleware, just outside the routing: the layers outside it (request log,
    metrics, rate limits) see the HEAD. The routes get a copy of the scope with the method
    changed, never the server's own scope (which must still say HEAD when the response
    starts); what routing adds to the copy (`route`, `path_params`, ...) is copied back for
    the layers outside. HEAD stays out of the OpenAPI schema, and a 405 lists HEAD wherever
    it lists GET (`app/core/handlers.py`). A streamed body is read and dropped: HEAD of
    /users/stream costs what its GET does, in the server only.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        ended = False

        async def headers_only(message: Message) -> None:
            nonlocal ended
            if message["type"] == "http.response.body":
                if ended or message.get("more_body", False):
                    return
                ended = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, headers_only)
        finally:
            scope.update({key: value for key, value in as_get.items() if key != "method"})


def _connection_of(send: Send) -> Any:
    """The server's transport behind `send`, where the server exposes it (uvicorn's `send`
    is a method of the request cycle, or of the WebSocket protocol, that holds it)."""
    return getattr(getattr(send, "__self__", None), "transport", None)


class ClientAddressMiddleware:
    """`scope["client"]` is the peer of the connection, or the `X-Forwarded-For` client when
    that peer is one of FORWARDED_ALLOW_IPS: the app's setting, whatever the server did.

    uvicorn applies X-Forwarded-For itself unless told not to (`--no-proxy-headers`, as
    `agora serve` does), trusting its own `--forwarded-allow-ips`, or the process environment's
    FORWARDED_ALLOW_IPS, or 127.0.0.1; it never reads the `.env` the app's settings come from.
    Served plainly (`python -m uvicorn app.main:app`) with FORWARDED_ALLOW_IPS in `.env` only,
    a spoofed header from 127.0.0.1 got a client address, and a rate-limit bucket, of its
    choosing. So this layer, outermost (`app.main.Agora`), first puts back the address and
    scheme of the connection itself, read from the server's transport, and then applies
    X-Forwarded-For (uvicorn's own middleware) with the app's list. Under a server that
    exposes no transport, the scope's address stands: turn that server's own proxy-header
    handling off (see README, Serving).
    """

    def __init__(self, app: ASGIApp, trusted_hosts: Sequence[str]) -> None:
        self.app = app
        # uvicorn types ASGI apps with its own TypedDicts; Starlette's are plain mappings.
        forwarded: Any = ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=list(trusted_hosts))
        self.forwarded: ASGIApp = forwarded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        transport = _connection_of(send)
        if transport is not None:
            peer = transport.get_extra_info("peername")
            if isinstance(peer, tuple) and len(peer) >= 2:
                scope["client"] = (str(peer[0]), int(peer[1]))
            secure = bool(transport.get_extra_info("sslcontext"))
            plain, tls = ("http", "https") if scope["type"] == "http" else ("ws", "wss")
            scope["scheme"] = tls if secure else plain
        await self.forwarded(scope, receive, send)


def relative_location(location: str, scope: Scope) -> str | None:
    """`location` as a path-absolute reference when it points at the request's own origin
    (the one Starlette derives from the Host header), else None.

    Starlette's trailing-slash redirect, `request.url_for` and so the admin console's
    redirects build absolute URLs from the request's `Host` header: a client that sent
    `Host: evil.example` was redirected there (a cache or a proxy that keys on the path would
    pass that on to others). A relative reference keeps every client on the host it asked
    (`RequestContextMiddleware` applies this to every response).
    """
    parts = urlsplit(location)
    if not (parts.scheme and parts.netloc):
        return None  # already relative
    if parts.netloc.lower() != URL(scope=scope).netloc.lower():
        return None
    path = parts.path or "/"
    if path.startswith("//"):
        # Written as it is, `//a/b` would name host `a`: `/.` keeps it a path (RFC 3986 5.2.4).
        path = "/." + path
    return urlunsplit(("", "", path, parts.query, parts.fragment))
