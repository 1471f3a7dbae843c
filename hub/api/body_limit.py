"""Request bodies are bounded in size and in time before anything else sees them (ASGI).

Runs outside routing, so before authentication and before any endpoint buffers the body:

* a ``Content-Length`` above the limit is answered ``413`` at once, without reading a byte;
* a body streamed (chunked) past the limit is answered ``413`` as soon as it passes it;
* a body that does not arrive within the time allowed (a slow or stalled client) is
  answered ``408``.

Both close the connection. A body within the limit is read once here and handed to the
application whole, so the endpoint's own ``await request.body()`` never waits on the
client.
"""

from __future__ import annotations

import asyncio

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.errors import PayloadTooLarge, RequestTimeout


def _refusal(status: int, code: str, message: str) -> tuple[Message, Message]:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    start: Message = {"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]}
    return start, {"type": "http.response.body", "body": body}


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(send, 413)
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return  # the client went away: nothing to answer
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_bytes:
                        await self._refuse(send, 413)
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await self._refuse(send, 408)
            return
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # then only http.disconnect

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, status: int) -> None:
        if status == 413:
            start, body = _refusal(413, PayloadTooLarge.code,
                                   f"The request body is larger than {self.max_bytes} bytes.")
        else:
            start, body = _refusal(408, RequestTimeout.code,
                                   f"The request body did not arrive within {self.timeout:g} s.")
        await send(start)
        await send(body)
