"""Report rows made fast, for tests and benchmarks that need many stored reports.

Each row is a valid report of one of the three kinds (validated once per kind, through
mapping.reports.ingest), copied with its own ids, point, H3 cell and observation time: the
insert is one statement per chunk, with none of the checks of a submission.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from mapping import hexgrid
from mapping.reports.rows import Limits, to_row, validate_feature
from mapping.storage import dialect
from mapping.storage import reports as store
from tests.conftest import make_report

CHUNK = 5000


def _templates() -> list[dict[str, Any]]:
    limits, now = Limits(), datetime.now(UTC)
    rows = []
    for kind in ("service", "litter", "hotspot"):
        report = validate_feature(make_report(kind), limits=limits, now=now)
        rows.append(to_row(report, client_id=uuid.uuid4(), received_at=now, limits=limits))
    return rows


def fake_rows(count: int, *, seed: int = 1, sensitive_every: int = 50) -> Iterator[dict[str, Any]]:
    """`count` rows around Accra and Kumasi, every `sensitive_every`-th sensitive."""
    rng = random.Random(seed)
    templates = _templates()
    now = datetime.now(UTC)
    for i in range(count):
        row = dict(templates[i % 3])
        lon, lat = -1.6 + rng.random() * 1.5, 5.5 + rng.random() * 1.2
        row.update(
            id=uuid.UUID(int=rng.getrandbits(128)),
            client_id=uuid.UUID(int=rng.getrandbits(128)),
            geom=dialect.point_ewkt(lon, lat),
            h3=hexgrid.cell_at(lon, lat),
            observed_at=now - timedelta(minutes=i + 60),
            sensitive=i % sensitive_every == 0,
            description=f"bulk report {i}",
            quality=[],
        )
        yield row


def insert_fake(engine: Engine, count: int, *, seed: int = 1) -> None:
    """Store `count` fake rows, a chunk per transaction."""
    chunk: list[dict[str, Any]] = []
    for row in fake_rows(count, seed=seed):
        chunk.append(row)
        if len(chunk) >= CHUNK:
            with engine.begin() as conn:
                store.insert_rows(conn, chunk)
            chunk = []
    if chunk:
        with engine.begin() as conn:
            store.insert_rows(conn, chunk)
