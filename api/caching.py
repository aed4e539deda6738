"""HTTP caching of the map's and the aggregates' answers: an ETag from the data version,
Cache-Control, and 304 Not Modified for a copy that still holds.

The ETag of an answer is a digest of the data version (mapping.storage.versions, which moves with
every committed change to reports, moderation, areas, effort, facilities...), the URL, the day,
the installation (its settings and release) and who asks (anonymous, or a digest of the key), so
that it names one representation and changes whenever the data could have. The version is read
before the answer is made, and from the database the answer is read from (the primary, or the
read replica that api.replica chose for the request), so an answer is never older than its ETag
says. A request whose If-None-Match holds the current ETag gets 304 with no body, without the
answer being computed.

Cache-Control: anonymous answers are `public`, and by default `no-cache`: any cache may keep them
but asks again each time, which costs the server one small read and a 304 while the data has not
changed, and no one ever sees a map older than the last report. `CIVICMAP_CACHE_MAX_AGE_S` lets
an operator behind a CDN trade that freshness for fewer requests (`public, max-age=N`). Answers to
a key may differ by its role (exact locations, hidden reports), so they are `private, no-cache`,
and every one of these answers carries `Vary: Authorization`, so that no cache hands one caller's
answer to another.
"""

from __future__ import annotations

import datetime
import hashlib

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import mapping
from api.replica import read_engine
from mapping.settings import Settings
from mapping.storage import versions

# GET answers made from stored data that maps and dashboards ask for again and again.
CACHED_PREFIXES = (
    "/api/v1/aggregates/",
    "/api/v1/areas",
    "/api/v1/campaigns",
    "/api/v1/indicators",
    "/api/v1/hotspots",
    "/api/v1/coverage",
    "/api/v1/facilities",
)
# The reports listing (the map's point layer); not one report, its status or its photos.
CACHED_PATHS = ("/api/v1/reports",)


def cached(path: str) -> bool:
    return path in CACHED_PATHS or path.startswith(CACHED_PREFIXES)


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether If-None-Match names `etag`, by the weak comparison RFC 9110 prescribes."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


class CachingMiddleware:
    def __init__(self, app: ASGIApp, *, engine: Engine, settings: Settings) -> None:
        self.app = app
        self.engine = engine
        installation = f"{mapping.__version__}\n{settings.model_dump_json()}"
        self.installation = hashlib.sha256(installation.encode()).hexdigest()
        age = settings.cache_max_age_s
        self.public = f"public, max-age={age}" if age else "public, no-cache"

    def _version(self, engine: Engine) -> int:
        with engine.connect() as conn:
            return versions.current(conn)

    def etag(self, scope: Scope, version: int, authorization: str | None) -> str:
        who = hashlib.sha256(authorization.encode()).hexdigest() if authorization else "public"
        parts = (
            self.installation,
            str(version),
            datetime.datetime.now(datetime.UTC).date().isoformat(),
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            who,
        )
        return f'W/"{hashlib.sha256(chr(0).join(parts).encode()).hexdigest()[:32]}"'

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not cached(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        try:
            # From the database the answer is read from (api.replica): a version from the
            # primary on a lagging replica's answer would label a stale answer as fresh.
            version = await anyio.to_thread.run_sync(self._version, read_engine(scope, self.engine))
        except sa.exc.SQLAlchemyError:
            # The answer itself will say what is wrong with the database; it is not cached.
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        authorization = request_headers.get("authorization")
        etag = self.etag(scope, version, authorization)
        control = "private, no-cache" if authorization else self.public
        if matches(request_headers.get("if-none-match"), etag):
            headers = [
                (b"etag", etag.encode()),
                (b"cache-control", control.encode()),
                (b"vary", b"Authorization, Accept-Encoding"),
            ]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def labelled(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableHeaders(raw=message["headers"])
                headers["ETag"] = etag
                if "cache-control" not in headers:
                    headers["Cache-Control"] = control
                headers.add_vary_header("Authorization")
            await send(message)

        await self.app(scope, receive, labelled)
