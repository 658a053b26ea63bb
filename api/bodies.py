"""How a REST route reads its body: at most `REST_MAX_BODY_BYTES`, as JSON whatever it is labelled.

Every REST router uses `RestRoute`. It reads the body before FastAPI does, stopping at the
limit whether `Content-Length` announced the size or the body arrives in chunks (413 as an
`ErrorOut`, the rest never read), then hands FastAPI the bytes it read.

`curl -d '{"approver":"me"}'` labels its body `application/x-www-form-urlencoded`; reading
it as JSON is what its user meant, so a body without a JSON `Content-Type` is read as JSON.
A browser, though, marks every cross-site request with `Origin`, and a form it posts on
another site's behalf must not count as a JSON call (a JSON `Content-Type` would have needed
a CORS preflight this API never grants): such a request gets 415.
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response, status
from fastapi.routing import APIRoute
from starlette.types import Message

from api import limits

__all__ = ["RestRoute", "read_bounded"]


def _is_json(content_type: str) -> bool:
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE, f"request body is larger than {limit} bytes"
    )


async def read_bounded(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:  # a lying or absent Content-Length (chunked) ends here
            raise _too_large(limit)
    return bytes(body)


class RestRoute(APIRoute):
    """A route whose body is bounded and read as JSON (see the module's docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            body = await read_bounded(request, limits.REST_MAX_BODY_BYTES)
            scope = request.scope
            content_type = request.headers.get("content-type", "")
            if body and not _is_json(content_type):
                if "origin" in request.headers:
                    raise HTTPException(
                        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                        "send the body as JSON with Content-Type: application/json",
                    )
                headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
                scope["headers"] = [*headers, (b"content-type", b"application/json")]
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if sent:
                    return await request.receive()  # after the body: the disconnect
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            return await handle(Request(scope, replay))

        return bounded
