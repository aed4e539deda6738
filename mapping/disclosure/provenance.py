"""Which sources an answer is made of, under which licences, with which credits.

Every answer and download lists, in `metadata.sources`, the distinct sources of the reports
its filters select (and, for coverage, the facility lists it measures distance to), each as
`{id, title, license, credit, url}`. Reports sent to this installation have no source of their
own; they stand under the installation's licence as one entry, `INSTALLATION_ID`.

`metadata.license` stays one text: the licence every contributing source shares (the
installation's, when nothing contributed), else `MIXED_LICENSE`, which tells the reader to look
at each source. A licence of None means the source states none; such a source always makes the
answer's licence `MIXED_LICENSE`, since nothing can be claimed for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from mapping.storage import sources as store
from mapping.storage.reports import ReportQuery, report_filters
from mapping.storage.sources import Source
from mapping.storage.tables import reports

INSTALLATION_ID = "civicmap"  # no import may take it (mapping.imports.sources)
MIXED_LICENSE = "see sources"
NOT_STATED = "licence not stated"


def installation(license: str) -> Source:
    """The entry for citizen reports sent to this installation, under its `data_license`."""
    return Source(
        INSTALLATION_ID,
        "Citizen reports sent to this CivicMap installation",
        license,
        "CivicMap contributors",
        None,
    )


def report_sources(conn: Connection, q: ReportQuery, *, license: str) -> list[Source]:
    """The sources of the reports `q` selects (by the same WHERE as the answer, so from its
    cursor on, but not cut at its page size), each once: the installation's entry first when
    any report has no source. A source id with no recorded row is listed by its id, licence
    not stated."""
    return _listed(conn, store.report_sources(conn, report_filters(conn, q)), license)


def listed_sources(conn: Connection, ids: Iterable[str | None], *, license: str) -> list[Source]:
    """The sources of `ids` (as an answer gathered them; None for reports sent here), each
    once: the installation's entry first, then the named ones by id."""
    return _listed(conn, ids, license)


def counted_sources(conn: Connection, q: ReportQuery, *, license: str) -> list[dict[str, Any]]:
    """`report_sources` with the number of reports of each (`reports`), for releases."""
    counts = store.report_source_counts(conn, report_filters(conn, q))
    named = sorted(s for s in counts if s is not None)
    listed = [installation(license)] if None in counts else []
    return [
        {**s.as_dict(), "reports": counts[None if s.id == INSTALLATION_ID else s.id]}
        for s in listed + _resolved(conn, named)
    ]


def beach_sources(
    conn: Connection,
    listed: Iterable[Mapping[Any, Any]],
    q: ReportQuery,
    *,
    license: str,
    beach: str | None = None,
) -> list[Source]:
    """The sources of the beach records `listed` (a beach recorded here has none: the
    installation's) and of the surveys of a beach that `q` selects (of `beach` only, if given)."""
    on_a_beach = reports.c.beach.is_not(None) if beach is None else reports.c.beach == beach
    found = store.report_sources(conn, [*report_filters(conn, q), on_a_beach])
    return _listed(conn, {*found, *(b.get("source") for b in listed)}, license)


def facility_sources(conn: Connection, *, category: str) -> list[Source]:
    """The sources of the facility lists that hold facilities of `category`."""
    return _resolved(conn, store.facility_lists(conn, category=category))


def _listed(conn: Connection, ids: Iterable[str | None], license: str) -> list[Source]:
    """The sources of `ids`, each once: the installation's first for None (sent here), then
    the named ones by id."""
    found = set(ids)
    named = sorted(s for s in found if s is not None)
    return ([installation(license)] if None in found else []) + _resolved(conn, named)


def _resolved(conn: Connection, ids: Sequence[str]) -> list[Source]:
    if not ids:
        return []
    recorded = {s.id: s for s in store.list_sources(conn, ids)}
    return [recorded.get(i) or Source(i, i) for i in ids]


def combined(*groups: Iterable[Source]) -> list[Source]:
    """The sources of several groups, each once, in order of first appearance."""
    seen: dict[str, Source] = {}
    for group in groups:
        for source in group:
            seen.setdefault(source.id, source)
    return list(seen.values())


def answer_license(sources: Sequence[Source], *, installation_license: str) -> str:
    """The one licence of an answer made of `sources`: theirs when they all state the same
    one, the installation's when there are none, else `MIXED_LICENSE`."""
    licences = {s.license for s in sources}
    if not licences:
        return installation_license
    if len(licences) == 1 and None not in licences:
        return str(next(iter(licences)))
    return MIXED_LICENSE


def as_members(sources: Sequence[Source]) -> list[dict[str, Any]]:
    """The `metadata.sources` member."""
    return [s.as_dict() for s in sources]


def credit_line(sources: Iterable[dict[str, Any]]) -> str:
    """One line naming every source with its licence and credit, for formats that show text
    (KML's description, CSVW's dc:rights)."""
    parts = []
    for s in sources:
        licence = s.get("license") or NOT_STATED
        credit = f", {s['credit']}" if s.get("credit") else ""
        parts.append(f"{s.get('title') or s.get('id')} ({licence}{credit})")
    return "; ".join(parts)
