"""Which requests a batch lets go first on SQLite (api.turns): writing requests, from the moment
their whole body is in; not reads, not other batches or imports, not a body still arriving."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from api.turns import ShortWriterMiddleware
from mapping.storage import make_engine
from mapping.storage.turns import turns

LONG = ("/reports/batch", "/reports/import")


def _writers_seen(tmp_path, method: str, path: str, body: list[bytes]) -> list[int]:  # type: ignore[no-untyped-def]
    """The short writers counted each time the app read a message of the request."""
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.sqlite'}")
    seen: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        for _ in body:
            await receive()
            seen.append(turns(engine).short_writers)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    messages = [
        {"type": "http.request", "body": part, "more_body": i < len(body) - 1}
        for i, part in enumerate(body)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(_message: Any) -> None:
        return None

    scope = {"type": "http", "method": method, "path": path, "headers": []}
    middleware = ShortWriterMiddleware(app, engine=engine, long_suffixes=LONG)
    # A thread of its own: a browser test of the same process may have left an event loop
    # running on this one.
    runner = threading.Thread(target=asyncio.run, args=(middleware(scope, receive, send),))
    runner.start()
    runner.join()
    seen.append(turns(engine).short_writers)  # after the answer
    engine.dispose()
    return seen


@pytest.mark.parametrize(
    ("method", "path", "want"),
    [
        ("PATCH", "/api/v1/reports/abc", [0, 1, 0]),
        ("POST", "/open311/v2/requests.json", [0, 1, 0]),
        ("GET", "/api/v1/reports", [0, 0, 0]),
        ("POST", "/api/v1/reports/batch", [0, 0, 0]),
    ],
)
def test_a_writing_request_counts_once_its_body_is_in(tmp_path, method, path, want):
    assert _writers_seen(tmp_path, method, path, [b'{"status":', b'"verified"}']) == want
