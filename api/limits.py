"""Request body caps, enforced while the body streams in: 413 before it is all read, and 408
for a client that stops sending it (a worker waiting on it forever is one less for others)."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BodyStalled, BodyTooLarge, problem, too_large


class BodyLimitMiddleware:
    """Refuse bodies over `default` bytes, or over `bulk` bytes on the paths in `bulk_paths`, or
    over `upload` bytes for multipart bodies (a report with photos) on `upload_paths`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int,
        bulk: int,
        bulk_suffixes: tuple[str, ...],
        upload: int = 0,
        upload_paths: tuple[str, ...] = (),
        idle_timeout_s: float = 30.0,
    ):
        self.app, self.default, self.bulk, self.bulk_suffixes = app, default, bulk, bulk_suffixes
        self.upload, self.upload_paths = upload, upload_paths
        self.idle_timeout_s = idle_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.bulk if path.endswith(self.bulk_suffixes) else self.default
        headers = dict(scope["headers"])
        if path in self.upload_paths and headers.get(b"content-type", b"").lower().startswith(
            b"multipart/form-data"
        ):
            limit = max(limit, self.upload)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            try:
                message = await asyncio.wait_for(receive(), self.idle_timeout_s)
            except TimeoutError:
                raise BodyStalled from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)
        except BodyStalled:
            if started:
                raise
            seconds = f"{self.idle_timeout_s:g}"
            stalled = problem(
                408,
                f"No part of the request body came for {seconds} s; send it again.",
                headers={"Connection": "close"},
            )
            await stalled(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        await too_large(limit)(scope, receive, send)
