"""Create and read releases.

A release freezes the indicator table of one area level over whole calendar months, as the
public sees it (public columns and statuses, the cell key method), with everything needed to
cite and reproduce it: the method line, the perturbation table's version, the suppression
threshold, the licence and sources, and the data it was computed from (how many reports, the
latest received). The JSON document and its SDMX-CSV are stored as text, byte for byte what is
served, with their SHA-256; the table's triggers refuse any change (migration 0006).

Ids are the creation date and a number of the day, `20261203-01`, so a citation reads well.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping.analysis import indicators
from mapping.analysis.sdg16 import WG_DOMAINS
from mapping.disclosure import cellkey, provenance
from mapping.disclosure.publish import rfc3339
from mapping.errors import InvalidQuery, NotFound
from mapping.releases.sdmx import sdmx_csv
from mapping.storage import migrate
from mapping.storage.reports import ReportQuery, report_filters
from mapping.storage.sources import Source
from mapping.storage.tables import releases, reports

FORMAT_VERSION = 1


def month_start(month: str) -> date:
    """`YYYY-MM` as the first day of that month."""
    try:
        year, mm = (int(part) for part in month.split("-"))
        return date(year, mm, 1)
    except ValueError:
        raise InvalidQuery(
            f"{month!r} is not a month; write it as YYYY-MM, e.g. 2026-01.",
            [{"loc": ["month"], "msg": "YYYY-MM"}],
        ) from None


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def create_release(
    conn: Connection,
    *,
    level: int,
    title: str,
    first: str | None,
    last: str | None,
    threshold: int,
    license: str,
    replaces: str | None = None,
    now: datetime | None = None,
    wg_domains: Sequence[str] = WG_DOMAINS,
) -> dict[str, Any]:
    """Freeze and store the indicators of `level` from month `first` to month `last`
    (inclusive, `YYYY-MM`; by default from the first report to the last whole month), and
    return the stored document."""
    now = now or datetime.now(UTC)
    until = _next_month(month_start(last)) if last else date(now.year, now.month, 1)
    since = month_start(first) if first else None
    if since is not None and since >= until:
        raise InvalidQuery(
            "The first month of a release must come before its last.",
            [{"loc": ["first"], "msg": "after the last month"}],
        )
    if replaces is not None:
        _check_replaceable(conn, replaces)
    q = ReportQuery(
        since=datetime.combine(since, datetime.min.time(), UTC) if since else None,
        until=datetime.combine(until, datetime.min.time(), UTC),
        limit=0,
    )
    table = indicators.area_indicators(
        conn, q, level=level, threshold=threshold, wg_domains=wg_domains
    )
    count, earliest, latest = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.min(q.placement.observed_column),
            sa.func.max(reports.c.received_at),
        ).where(*report_filters(conn, q))
    ).one()
    sources = provenance.counted_sources(conn, q, license=license)
    start = since or (_as_date(earliest) if earliest else until)
    months = (until.year - start.year) * 12 + until.month - start.month
    release_id = _new_id(conn, now)
    document = {
        "id": release_id,
        "title": title,
        "created_at": rfc3339(now),
        "replaces": replaces,
        "format_version": FORMAT_VERSION,
        "level": level,
        "period": {
            "since": start.isoformat(),
            "until": until.isoformat(),
            "sdmx": f"{start.isoformat()}/P{max(months, 0)}M",
        },
        "method": indicators.method(threshold),
        "perturbation_table": cellkey.VERSION,
        "suppression_threshold": threshold,
        "license": provenance.answer_license(
            [Source(s["id"], s["title"], s["license"]) for s in sources],
            installation_license=license,
        ),
        "sources": sources,
        "data_version": {
            "reports": count,
            "latest_received_at": rfc3339(_instant(latest)) if latest else None,
            "schema": migrate.head_revision(),
        },
        "areas": table,
    }
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    csv_text = sdmx_csv(document)
    digest = hashlib.sha256(text.encode() + b"\n" + csv_text.encode()).hexdigest()
    conn.execute(
        releases.insert().values(
            id=release_id,
            title=title,
            created_at=now,
            replaces=replaces,
            document=text,
            sdmx_csv=csv_text,
            digest=digest,
        )
    )
    return document


def _instant(t: datetime | str) -> datetime:
    """An aggregate's time: SQLite gives it back as text."""
    return datetime.fromisoformat(t) if isinstance(t, str) else t


def _as_date(t: datetime | str) -> date:
    t = _instant(t)
    return date(t.year, t.month, 1)


def _new_id(conn: Connection, now: datetime) -> str:
    day = f"{now:%Y%m%d}"
    taken = conn.execute(
        sa.select(sa.func.count()).where(releases.c.id.like(f"{day}-%"))
    ).scalar_one()
    return f"{day}-{taken + 1:02d}"


def _check_replaceable(conn: Connection, replaces: str) -> None:
    row = conn.execute(sa.select(releases.c.id).where(releases.c.id == replaces)).first()
    if row is None:
        raise NotFound(f"No release {replaces!r} to replace; `civicmap release list` names them.")
    later = conn.execute(
        sa.select(releases.c.id).where(releases.c.replaces == replaces)
    ).scalar_one_or_none()
    if later is not None:
        raise InvalidQuery(
            f"Release {replaces} is already replaced by {later}; correct {later} instead.",
            [{"loc": ["replaces"], "msg": f"already replaced by {later}"}],
        )


def list_releases(conn: Connection) -> list[dict[str, Any]]:
    """Every release, newest first, with what replaced it."""
    later = releases.alias("later")
    rows = conn.execute(
        sa.select(
            releases.c.id,
            releases.c.title,
            releases.c.created_at,
            releases.c.replaces,
            releases.c.digest,
            later.c.id.label("replaced_by"),
        )
        .outerjoin(later, later.c.replaces == releases.c.id)
        .order_by(releases.c.created_at.desc(), releases.c.id.desc())
    ).mappings()
    return [{**r, "created_at": rfc3339(r["created_at"])} for r in rows]


def read_release(conn: Connection, release_id: str) -> dict[str, Any]:
    """The stored texts of one release (`document`, `sdmx_csv`, `digest`) and what replaced
    it, if anything."""
    row = conn.execute(
        sa.select(releases.c.document, releases.c.sdmx_csv, releases.c.digest).where(
            releases.c.id == release_id
        )
    ).first()
    if row is None:
        raise NotFound(f"No release {release_id!r}.")
    replaced_by = conn.execute(
        sa.select(releases.c.id).where(releases.c.replaces == release_id)
    ).scalar_one_or_none()
    return {
        "document": row.document,
        "sdmx_csv": row.sdmx_csv,
        "digest": row.digest,
        "replaced_by": replaced_by,
    }
