"""Migration 0009 on a database with population layers and a facility list already in it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from mapping.storage import make_engine
from mapping.storage import migrate as migrations
from mapping.storage import population as population_store


def test_layers_imported_before_are_described_and_facilities_keep_no_status(database_url):
    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine, "0008")
        now = datetime.now(UTC)
        rows = [("towns", 613196744318038015, 1000.0), ("towns", 613196744318038015, 250.5),
                ("regions", 599686042433355775, 40.0)]  # fmt: skip
        with engine.begin() as conn:
            for source, cell, people in rows:
                conn.execute(
                    sa.text(
                        "INSERT INTO population (source, h3, population, imported_at) "
                        "VALUES (:s, :c, :p, :t)"
                    ),
                    {"s": source, "c": cell, "p": people, "t": now},
                )
        migrations.upgrade(engine)
        with engine.connect() as conn:
            layers = {
                r.source: r for r in conn.execute(sa.text("SELECT * FROM population_layers")).all()
            }
            status = conn.execute(sa.text("SELECT status FROM facilities")).all()
            current = population_store.current_layer(conn)
        assert set(layers) == {"towns", "regions"}
        assert (layers["towns"].cells, layers["towns"].total) == (2, pytest.approx(1250.5))
        assert layers["towns"].method == "imported points and areas"
        assert layers["regions"].read_total == pytest.approx(40.0)
        assert current is not None and current.source in layers
        assert status == []
    finally:
        engine.dispose()
