"""The data version: a number that grows with every committed change to what answers are made
of, so that an answer can carry an ETag and a cache can ask whether its copy still holds.

Every engine of make_engine watches its own statements. A transaction that inserts, updates or
deletes rows of a table that answers read (every table but keys, quotas, webhooks and this
bookkeeping) adds one to the version as the last thing it does before COMMIT, in the same
transaction. So the version moves exactly when such a change becomes visible, whichever process
or command made it, on both backends. Being the last write, the version row is locked only for
the commit itself: writers hardly wait for each other on it, and none can hold it while waiting
for another's rows, so it makes no deadlock.

A reader takes the version before it reads anything else: its answer is then at least as new
as the version it is labelled with, never older.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from mapping.storage import dialect
from mapping.storage import forms as _forms  # noqa: F401 (its tables join the metadata read below)
from mapping.storage.tables import instance, metadata

# Tables no answer that carries the version is made from.
UNTRACKED = frozenset(
    {"api_keys", "digest_uses", "instance", "webhooks", "webhook_deliveries", "write_counters"}
)
TRACKED = frozenset(metadata.tables) - UNTRACKED
# An execution option that leaves a connection's writes out (the schema migrations: the
# version row may not exist yet, and a new schema comes with a new release anyway).
UNTRACKED_OPTION = "civicmap_untracked"

_KEY = "data_version"
_CHANGED = "civicmap_data_changed"
# The tables a statement written as text writes to (e.g. the COPY path's INSERT ... SELECT).
_WRITES = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


def install(engine: Engine) -> None:
    """Make `engine`'s transactions move the version when they change tracked tables."""
    if sa.event.contains(engine, "after_cursor_execute", _note_write):
        return
    sa.event.listen(engine, "after_cursor_execute", _note_write)
    sa.event.listen(engine, "commit", _bump_if_changed)
    sa.event.listen(engine, "rollback", _forget)


def current(conn: Connection) -> int:
    """The data version now (0 before any tracked change)."""
    value = conn.scalar(sa.select(instance.c.value).where(instance.c.key == _KEY))
    return int(value) if value is not None else 0


def _writes_tracked(statement: str, context: Any) -> bool:
    compiled = getattr(context, "compiled", None)
    if compiled is None:
        return any(name.lower() in TRACKED for name in _WRITES.findall(statement))
    if not (context.isinsert or context.isupdate or context.isdelete):
        return False
    table = getattr(compiled.statement, "table", None)
    return getattr(table, "name", None) in TRACKED


def _note_write(
    conn: Connection,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    context: Any,
    _executemany: bool,
) -> None:
    if conn.info.get(_CHANGED) or conn.get_execution_options().get(UNTRACKED_OPTION):
        return
    if _writes_tracked(statement, context):
        conn.info[_CHANGED] = True


def _bump_if_changed(conn: Connection) -> None:
    if not conn.info.pop(_CHANGED, False):
        return
    statement = dialect.upsert(
        conn,
        instance,
        {"key": _KEY, "value": "1"},
        index=["key"],
        update={"value": sa.cast(sa.cast(instance.c.value, sa.BigInteger) + 1, sa.Text)},
    )
    conn.execute(statement)


def _forget(conn: Connection) -> None:
    conn.info.pop(_CHANGED, None)
