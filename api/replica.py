"""Which database answers a request: the primary, or the read replica that
`CIVICMAP_READ_DATABASE_URL` names. The rule is here and nowhere else.

A request reads the replica when it is a GET or HEAD of a map, aggregate, analysis, listing,
feed or download (READ_PATHS: the reports listing, aggregates, indicators, hotspots, coverage,
areas, campaigns, facilities, beaches, OGC collections and items, Open311's request list), and
the replica may answer it (mapping.storage.replica): it is reachable, it may miss at most
`CIVICMAP_READ_MAX_LAG_S` seconds of the primary's changes, and it holds the client's own last
write. Everything else uses the primary: writes, one report, its status page, its photos and
audit log, one OGC item or Open311 request, releases, webhooks, API keys, health and the pages.

Right after a write: every write answered with success sets the cookie `civicmap_wrote` to the
primary's WAL position just after its commit; a read that brings it goes to the replica only
once the replica has replayed that far. The cookie lives `CIVICMAP_READ_MAX_LAG_S` seconds
(rounded up, plus one): later, a replica that has not replayed the write lags more than the
limit, and every read goes to the primary anyway. A client that sends a position of its own
making can only send its own reads to the primary.

The choice is made once per request and kept in its state (`read_engine`), before the caching
middleware reads the data version there: an answer and its ETag come from one database, the
stored areas that name its hexagons included (api.deps.get_area_index).

A read that fails on the replica (5xx, or an error raised before anything was sent: the replica
went away, or PostgreSQL cancelled the query for a conflict with recovery) is answered again
from the primary, and the replica is taken for unreachable until it is checked again. An
outage of the replica costs a read answered twice, never an error.
"""

from __future__ import annotations

import logging
import math
import re

import anyio.to_thread
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mapping.areas.index import AreaIndexCache
from mapping.settings import Settings
from mapping.storage import make_engine
from mapping.storage.replica import ReplicaMonitor, format_lsn, parse_lsn, wal_position

log = logging.getLogger(__name__)

COOKIE = "civicmap_wrote"
READ_METHODS = frozenset({"GET", "HEAD"})
SAFE_METHODS = READ_METHODS | {"OPTIONS"}
READ_PATHS = re.compile(
    r"/api/v1/(?:reports|aggregates/[^/]+|indicators|hotspots|coverage(?:/areas)?"
    r"|areas(?:/[^/]+(?:/feed\.atom)?)?|campaigns(?:/[^/]+)?|facilities(?:/[^/]+)?"
    r"|beaches(?:/[^/]+)?)"
    r"|/ogc/collections(?:/[^/]+(?:/items)?)?"
    r"|/open311/v2/requests\.[a-z]+"
)
_STATE_KEY = "read_engine"


def may_read_replica(method: str, path: str) -> bool:
    """Whether a request of `method` on `path` may be answered from the replica at all."""
    return method in READ_METHODS and READ_PATHS.fullmatch(path) is not None


def read_engine(scope: Scope, primary: Engine) -> Engine:
    """The engine this request reads: the replica when ReplicaMiddleware chose it, else
    `primary`."""
    engine: Engine = scope.get("state", {}).get(_STATE_KEY, primary)
    return engine


def install(app: FastAPI, settings: Settings) -> None:
    """With a read replica set, route reads through ReplicaMiddleware (call it after the
    caching middleware is added, so that this one runs before it)."""
    app.state.replica = None
    if not settings.read_database_url:
        return
    replica = make_engine(settings.read_database_url, connect_timeout_s=2)
    monitor = ReplicaMonitor(
        primary=app.state.engine, replica=replica, max_lag_s=settings.read_max_lag_s
    )
    app.state.replica = monitor
    # The areas that name hexagons and place points, as the replica has them (api.deps).
    app.state.replica_areas = AreaIndexCache(replica)
    app.add_middleware(
        ReplicaMiddleware, monitor=monitor, cookie_max_age_s=math.ceil(settings.read_max_lag_s) + 1
    )


class ReplicaMiddleware:
    def __init__(self, app: ASGIApp, *, monitor: ReplicaMonitor, cookie_max_age_s: int) -> None:
        self.app, self.monitor, self.cookie_max_age_s = app, monitor, cookie_max_age_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS:
            await self.app(scope, receive, self._marking_writes(send))
            return
        if may_read_replica(scope["method"], scope["path"]) and self._replica_may_answer(scope):
            if await self._from_replica(scope, receive, send):
                return
            receive = _empty_body_then(receive)
        await self.app(scope, receive, send)

    def _replica_may_answer(self, scope: Scope) -> bool:
        if self.monitor.due():
            self.monitor.check_soon()
        wrote = parse_lsn(HTTPConnection(scope).cookies.get(COOKIE))
        return self.monitor.usable(after=wrote)

    async def _from_replica(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer from the replica; False, with nothing sent, when that failed."""
        started = failed = False

        async def unless_failed(message: Message) -> None:
            nonlocal started, failed
            if message["type"] == "http.response.start":
                failed = message["status"] >= 500
                started = not failed
            if not failed:
                await send(message)

        state = {**scope.get("state", {}), _STATE_KEY: self.monitor.replica}
        try:
            await self.app({**scope, "state": state}, receive, unless_failed)
        except Exception:
            if started:
                raise
            log.warning(
                "%s failed on the replica; reading the primary", scope["path"], exc_info=True
            )
            failed = True
        else:
            if failed:
                log.warning("%s failed on the replica; reading the primary", scope["path"])
        if failed:
            self.monitor.forget()
        return not failed

    def _marking_writes(self, send: Send) -> Send:
        """`send`, adding to a successful answer the cookie with the primary's WAL position."""

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                position = await anyio.to_thread.run_sync(self._primary_position)
                if position is not None:
                    MutableHeaders(scope=message).append(
                        "set-cookie",
                        f"{COOKIE}={format_lsn(position)}; Max-Age={self.cookie_max_age_s}; "
                        "Path=/; HttpOnly; SameSite=Lax",
                    )
            await send(message)

        return marked

    def _primary_position(self) -> int | None:
        try:
            with self.monitor.primary.connect() as conn:
                return wal_position(conn)
        except sa.exc.SQLAlchemyError:
            log.warning("could not read the primary's WAL position", exc_info=True)
            return None


def _empty_body_then(receive: Receive) -> Receive:
    """`receive` for answering a read a second time: a read has no body, and the first answer
    may have taken the (empty) one already."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return again
