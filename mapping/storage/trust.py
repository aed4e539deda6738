"""API keys, the moderation audit log, write counters and the installation's secret."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from mapping.storage import dialect
from mapping.storage.tables import api_keys, audit_log, instance, metadata, write_counters

# HTTP Digest answers believed lately (migration 0012), each kept for as long as its nonce lasts.
digest_uses = sa.Table(
    "digest_uses",
    metadata,
    sa.Column("response", sa.String(32), primary_key=True),
    sa.Column("used_at", sa.BigInteger(), nullable=False, index=True),
)


def add_key(
    conn: Connection,
    *,
    name: str,
    role: str,
    key_hash: str,
    prefix: str,
    digest_ha1: str | None = None,
) -> uuid.UUID:
    key_id = uuid.uuid4()
    conn.execute(
        sa.insert(api_keys).values(
            id=key_id,
            name=name,
            role=role,
            key_hash=key_hash,
            prefix=prefix,
            created_at=datetime.now(UTC),
            digest_ha1=digest_ha1,
        )
    )
    return key_id


def keys_by_prefix(conn: Connection, prefix: str) -> Sequence[RowMapping]:
    """The live keys with this printed prefix that can answer HTTP Digest."""
    query = sa.select(api_keys).where(
        api_keys.c.prefix == prefix,
        api_keys.c.revoked_at.is_(None),
        api_keys.c.digest_ha1.is_not(None),
    )
    return conn.execute(query).mappings().all()


def claim_digest(conn: Connection, response: str, *, now: int, lifetime_s: int) -> bool:
    """Record a believed Digest answer (its `response` hash, lower-case hex); False when it was
    recorded before, within `lifetime_s` of `now` (epoch seconds): a replay. Older ones are
    forgotten, since their nonces are refused as stale anyway."""
    conn.execute(sa.delete(digest_uses).where(digest_uses.c.used_at < now - lifetime_s))
    added = conn.execute(
        dialect.insert_ignoring_conflicts(conn, digest_uses, "response")
        .values(response=response, used_at=now)
        .returning(digest_uses.c.response)
    )
    return added.first() is not None


def key_by_hash(conn: Connection, key_hash: str) -> RowMapping | None:
    query = sa.select(api_keys).where(
        api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None)
    )
    return conn.execute(query).mappings().first()


def list_keys(conn: Connection) -> Sequence[RowMapping]:
    return conn.execute(sa.select(api_keys).order_by(api_keys.c.created_at)).mappings().all()


def revoke_key(conn: Connection, *, prefix_or_id: str) -> int:
    """Revoke the live keys whose id or printed prefix is `prefix_or_id`; how many were."""
    try:
        match = api_keys.c.id == uuid.UUID(prefix_or_id)
    except ValueError:
        match = api_keys.c.prefix == prefix_or_id
    statement = (
        sa.update(api_keys)
        .where(match, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return conn.execute(statement).rowcount


def add_audit(
    conn: Connection,
    *,
    report_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    actor_name: str,
    changes: dict[str, Any],
    note: str | None,
) -> None:
    conn.execute(
        sa.insert(audit_log).values(
            report_id=report_id,
            at=datetime.now(UTC),
            actor_id=actor_id,
            actor_name=actor_name,
            changes=changes,
            note=note,
        )
    )


def audit_of(conn: Connection, report_id: uuid.UUID) -> Sequence[RowMapping]:
    query = sa.select(audit_log).where(audit_log.c.report_id == report_id).order_by(audit_log.c.seq)
    return conn.execute(query).mappings().all()


def count_write(conn: Connection, *, subject: str, window: int) -> int:
    """Add one write to `subject`'s counter for `window`; the count so far, this one included."""
    statement = dialect.upsert_increment(conn, write_counters, subject=subject, window=window)
    count = int(conn.execute(statement).scalar_one())
    # Old windows are of no use; clear them now and then rather than on every write.
    if count == 1:
        conn.execute(sa.delete(write_counters).where(write_counters.c.window < window - 60))
    return count


def secret(conn: Connection, name: str = "submitter_secret") -> str:
    value = conn.scalar(sa.select(instance.c.value).where(instance.c.key == name))
    if value is None:  # pragma: no cover - the migration creates it
        raise RuntimeError(f"instance secret {name!r} missing; run `civicmap db upgrade`")
    return str(value)
