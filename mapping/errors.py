"""Domain errors. They know nothing of HTTP; the API maps each to a status code in one table
(api.errors.STATUS_OF)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypedDict


class ErrorItem(TypedDict):
    loc: list[str | int]
    msg: str


class HasErrors(Protocol):
    """A validation error that lists what failed: pydantic's, or FastAPI's wrapper of it."""

    def errors(self) -> Iterable[Mapping[str, Any]]: ...


def error_items(exc: HasErrors, prefix: Sequence[str | int] = ()) -> list[ErrorItem]:
    """The one conversion of a validation error into error items, each located under `prefix`."""
    return [
        {"loc": [*prefix, *e.get("loc", ())], "msg": e.get("msg", "invalid")} for e in exc.errors()
    ]


class CivicMapError(Exception):
    """Base of the errors a client can cause and fix."""

    title = "Request cannot be processed"

    def __init__(self, detail: str, errors: Sequence[ErrorItem] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)


class InvalidInput(CivicMapError):
    title = "Invalid input"


class InvalidQuery(CivicMapError):
    title = "Invalid query parameter"


class NotFound(CivicMapError):
    title = "Not found"


class Conflict(CivicMapError):
    title = "Conflict"


class Unauthorized(CivicMapError):
    title = "API key needed"


class Forbidden(CivicMapError):
    title = "Not allowed for this role"


class RateLimited(CivicMapError):
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Busy(CivicMapError):
    """The database was too busy to do the work: another connection held a lock for longer than
    the wait, or the work was rolled back as a serialization failure or a deadlock. The
    transaction that met it was rolled back; the same request, sent again after `retry_after`
    seconds, may well succeed."""

    title = "Service busy"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class TooLarge(InvalidInput):
    """Content over a size cap (bytes or pixels)."""

    title = "Content too large"


class UnsupportedMedia(InvalidInput):
    """Content of a type that is not accepted: a body that is not JSON, a photo that is not JPEG,
    PNG or WebP."""

    title = "Unsupported media type"
