"""Requests that change a few rows are short writers (mapping.storage.turns): on SQLite, a batch
or an import in this process lets them go between its transactions."""

from __future__ import annotations

from contextlib import ExitStack

from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mapping.storage.turns import turns

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ShortWriterMiddleware:
    """Count each writing request, but those on `long_suffixes` (batches and imports), as a
    short writer of `engine` from the moment its whole body is in until it is answered: a
    client that sends its body slowly holds no batch up."""

    def __init__(self, app: ASGIApp, *, engine: Engine, long_suffixes: tuple[str, ...]):
        self.app, self.long_suffixes = app, long_suffixes
        self.turns = turns(engine) if engine.dialect.name == "sqlite" else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.turns is None
            or scope["type"] != "http"
            or scope["method"] in READ_METHODS
            or scope["path"].endswith(self.long_suffixes)
        ):
            await self.app(scope, receive, send)
            return
        turns = self.turns
        with ExitStack() as writing:

            async def receive_then_write() -> Message:
                message = await receive()
                if message["type"] == "http.request" and not message.get("more_body", False):
                    writing.enter_context(turns.short_writer())
                return message

            await self.app(scope, receive_then_write, send)
