"""Request body caps, enforced while the body streams in (413 before it is all read)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BodyTooLarge, too_large


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
    ):
        self.app, self.default, self.bulk, self.bulk_suffixes = app, default, bulk, bulk_suffixes
        self.upload, self.upload_paths = upload, upload_paths

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
            message = await receive()
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

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        await too_large(limit)(scope, receive, send)
