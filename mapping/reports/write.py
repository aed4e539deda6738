"""The one idempotent write, shared by a single report, a batch and an effort visit.

A client may send the same submission again (a phone that lost the answer, an offline queue
replaying). Each submission carries a client id and the hash of its content. The row is inserted
if its client id is new and ignored if not, then read back: a stored row with the same hash is
the same submission (answered as a duplicate, nothing stored twice), one with another hash is a
client id reused for other content (a Conflict, with one text wherever it happens).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.engine import Connection, Engine

from mapping.errors import Conflict, ErrorItem

Outcome = Literal["created", "duplicate"]
REUSED = "already used for other content; send a new client_id"


@dataclass(slots=True)
class Submission:
    """What became of one submission: its stored row, and whether this request created it.

    `receipt` is the secret handed back once, to a new report's sender; a replay has none.
    """

    outcome: Outcome
    row: Mapping[Any, Any]
    receipt: str | None = None


def reused(loc: Sequence[str | int] = ("properties", "client_id")) -> ErrorItem:
    """The error item of a client id used before for other content, at `loc`."""
    return {"loc": list(loc), "msg": REUSED}


def conflict(client_id: uuid.UUID) -> Conflict:
    return Conflict(f"client_id {client_id} was {REUSED}.", [reused()])


def same_submission(stored_hash: str, content_hash: str) -> bool:
    return stored_hash == content_hash


def settle(
    stored: Mapping[Any, Any],
    content_hash: str,
    *,
    created: bool,
    receipt: str | None = None,
) -> Submission:
    """The answer to a submission whose client id is now stored: created, a replay, or Conflict."""
    if created:
        return Submission("created", stored, receipt)
    if not same_submission(stored["content_hash"], content_hash):
        raise conflict(stored["client_id"])
    return Submission("duplicate", stored)


def write_once(
    engine: Engine,
    *,
    client_id: uuid.UUID,
    content_hash: str,
    insert: Callable[[Connection], bool],
    read: Callable[[Connection, uuid.UUID], Mapping[Any, Any] | None],
    receipt: str | None = None,
) -> Submission:
    """Run `insert` (an insert that ignores a known client id; True when it stored the row) and
    read the row back, in one transaction; settle what was sent against what is stored.

    Whatever else must happen only for a new row (flags, webhooks, photos) belongs in `insert`,
    so that it commits or rolls back with the row.
    """
    with engine.begin() as conn:
        created = insert(conn)
        stored = read(conn, client_id)
    if stored is None:  # pragma: no cover - the insert or the earlier row must be there
        raise RuntimeError(f"the row of client_id {client_id} vanished between insert and read")
    return settle(stored, content_hash, created=created, receipt=receipt)
