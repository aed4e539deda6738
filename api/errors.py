"""RFC 9457 problem details for every error, from one table of domain errors to status codes.

Each domain error class is registered once with its status; an error takes the status of the
nearest class in its own ancestry, so a subclass (TooLarge is an InvalidInput) never depends on
the order of the table. Routes that answer in another body shape (Open311) take the status from
here too. A 5xx never carries the text of the exception that caused it; the log has it.

A database too busy to answer (a lock held past the wait, a serialization failure, a deadlock)
is no server fault: the app's engine raises it as the domain error Busy, which every route
answers 503 with Retry-After in its own shape. Any other database error stays a 500.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import psycopg.errors
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.engine import Engine, ExceptionContext
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.responses import ProblemResponse
from mapping.errors import (
    Busy,
    CivicMapError,
    Conflict,
    ErrorItem,
    Forbidden,
    InvalidInput,
    InvalidQuery,
    NotFound,
    RateLimited,
    TooLarge,
    Unauthorized,
    UnsupportedMedia,
    error_items,
)

log = logging.getLogger("civicmap.api")

STATUS_OF: dict[type[CivicMapError], int] = {
    CivicMapError: 400,
    UnsupportedMedia: 415,
    TooLarge: 413,
    InvalidInput: 422,
    InvalidQuery: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    RateLimited: 429,
    Busy: 503,
}


def status_of(exc: CivicMapError) -> int:
    """The status registered for the most specific class of `exc`."""
    return next(STATUS_OF[cls] for cls in type(exc).__mro__ if cls in STATUS_OF)


def headers_of(exc: CivicMapError) -> dict[str, str] | None:
    """The headers an error's status asks for (RFC 9110: Retry-After, WWW-Authenticate)."""
    if isinstance(exc, RateLimited | Busy):
        return {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, Unauthorized):
        # The OpenRosa endpoints also offer HTTP Digest (api.digest.Challenge).
        challenge = getattr(exc, "challenge", None) or 'Bearer realm="civicmap"'
        return {"WWW-Authenticate": challenge}
    return None


# How long a client is asked to wait after a busy database: SQLite has already waited its busy
# timeout by then, and a PostgreSQL lock timeout or deadlock ends with the other transaction.
BUSY_RETRY_AFTER_S = 2
# SQLITE_BUSY and SQLITE_LOCKED, as sqlite3 and pysqlite3 word them.
_SQLITE_BUSY = ("database is locked", "database table is locked")
_POSTGRES_BUSY = (
    psycopg.errors.LockNotAvailable,  # 55P03, past lock_timeout
    psycopg.errors.SerializationFailure,  # 40001
    psycopg.errors.DeadlockDetected,  # 40P01
)


def _sqlite_errors() -> tuple[type[Exception], ...]:
    import sqlite3

    try:
        import pysqlite3.dbapi2 as pysqlite3  # what mapping.storage connects with
    except ImportError:
        return (sqlite3.OperationalError,)
    return (sqlite3.OperationalError, pysqlite3.OperationalError)


_SQLITE_OPERATIONAL = _sqlite_errors()


def database_busy(exc: BaseException | None) -> bool:
    """Whether `exc` is SQLAlchemy's OperationalError for a database too busy to do the work,
    rather than for anything wrong with it or with the request."""
    if not isinstance(exc, sa.exc.OperationalError):
        return False
    if isinstance(exc.orig, _POSTGRES_BUSY):
        return True
    return isinstance(exc.orig, _SQLITE_OPERATIONAL) and str(exc.orig).startswith(_SQLITE_BUSY)


def raise_busy(context: ExceptionContext) -> None:
    """SQLAlchemy's `handle_error` hook: a busy database is raised as Busy, which the problem
    handler and the Open311 routes alike answer 503 with Retry-After. SQLAlchemy has cleaned up
    the statement first, and chains the original error."""
    if database_busy(context.sqlalchemy_exception):
        log.warning("database busy: %s", context.original_exception)
        raise Busy(
            "The service is too busy with other writes to finish this request; "
            f"send it again in {BUSY_RETRY_AFTER_S} seconds.",
            retry_after=BUSY_RETRY_AFTER_S,
        )


def install_busy(engine: Engine) -> None:
    """Make `engine` raise Busy for a busy database (once, however often called)."""
    if not sa.event.contains(engine, "handle_error", raise_busy):
        sa.event.listen(engine, "handle_error", raise_busy)


def where(errors: Sequence[ErrorItem]) -> str:
    """The first few locations of a validation error, for a detail sentence."""
    return ", ".join(".".join(str(p) for p in e["loc"]) for e in errors[:3])


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: Sequence[Mapping[str, Any]] = (),
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    phrase = HTTPStatus(status).phrase
    body = {
        "type": f"urn:civicmap:problem:{(title or phrase).lower().replace(' ', '-')}",
        "title": title or phrase,
        "status": status,
        "detail": detail,
        "errors": list(errors),
    }
    return ProblemResponse(body, status_code=status, headers=headers)


class BodyTooLarge(Exception):
    """Raised while a body streams in, once it passes its cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class BodyStalled(Exception):
    """Raised while a body streams in, when no part of it came within the idle timeout; the
    body middleware answers 408 (api.limits)."""


def too_large_detail(limit: int) -> str:
    return f"The request body is larger than {limit} bytes; send less, or split a batch."


def too_large(limit: int) -> ProblemResponse:
    return problem(413, too_large_detail(limit))


def _allowed_methods(request: Request) -> list[str]:
    """The documented methods of the path template this path belongs to. Starlette names only
    the first matching route's, but one path often has a route per method (GET and PATCH of a
    report); a literal path (`/reports/batch`) wins over a template (`/reports/{id}`)."""
    found: list[tuple[int, set[str]]] = []
    for template, operations in request.app.openapi()["paths"].items():
        pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            found.append((template.count("{"), {m.upper() for m in operations}))
    if not found:
        return []
    fewest = min(count for count, _ in found)
    return sorted(set().union(*(methods for count, methods in found if count == fewest)))


def install(app: FastAPI) -> None:
    install_busy(app.state.engine)

    @app.exception_handler(CivicMapError)
    async def domain_error(_: Request, exc: CivicMapError) -> ProblemResponse:
        return problem(
            status_of(exc), exc.detail, title=exc.title, errors=exc.errors, headers=headers_of(exc)
        )

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(_: Request, exc: BodyTooLarge) -> ProblemResponse:
        return too_large(exc.limit)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_: Request, exc: RequestValidationError) -> ProblemResponse:
        errors = error_items(exc)
        # A body that breaks its schema is unprocessable; a bad parameter is a bad request.
        status = 422 if any(e["loc"][:1] == ["body"] for e in errors) else 400
        return problem(status, f"The request is not valid: see {where(errors)}.", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            detail = f"{request.method} is not allowed here; use {' or '.join(allowed)}."
        return problem(exc.status_code, detail, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> ProblemResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # The connection may hold a half-read body or a broken state: the client starts afresh.
        return problem(
            500,
            "The server failed to answer this request; it has been logged.",
            headers={"Connection": "close"},
        )
