"""Migration 0005 on a database with reports: public columns for what is there already."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import h3
import pytest
import sqlalchemy as sa

from mapping.areas.index import AreaIndex
from mapping.reports import ingest
from mapping.reports.rows import Limits, to_row, validate_feature
from mapping.storage import make_engine
from mapping.storage import migrate as migrations
from mapping.storage.reports import PUBLIC, ReportQuery, list_reports
from mapping.storage.tables import reports
from tests.conftest import make_report

NEW_COLUMNS = {"public_geom", "public_h3", "public_observed_at", "record_key"} | {
    f"public_area_{level}" for level in range(6)
}
# Added by later migrations (0008), so not there at 0004 either.
LATER_COLUMNS = {
    "source",
    "beach",
    "reporter_wg",
    "reporter_residence",
    "reporter_respondent",
    "satisfaction_missing",
}


def test_existing_reports_get_public_columns_and_sensitive_ones_wait_to_be_placed(database_url):
    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine, "0004")
        now = datetime.now(UTC)
        points = {"plain": (-0.2, 5.6), "sensitive": (-1.61234, 6.68765)}
        with engine.begin() as conn:
            for name, (lon, lat) in points.items():
                feature = make_report("hotspot", lon=lon, lat=lat, sensitive=name == "sensitive")
                row = to_row(
                    validate_feature(feature, limits=Limits(), now=now),
                    client_id=uuid.uuid4(),
                    received_at=now,
                    limits=Limits(),
                )
                old = {k: v for k, v in row.items() if k not in NEW_COLUMNS | LATER_COLUMNS}
                old["description"] = name
                conn.execute(sa.insert(reports), old)
        migrations.upgrade(engine)
        with engine.connect() as conn:
            rows, _ = list_reports(conn, ReportQuery(placement=PUBLIC))
        by_name = {r["description"]: r for r in rows}
        plain = by_name["plain"]
        assert (plain["lon"], plain["lat"]) == points["plain"]
        assert plain["h3"] == h3.str_to_int(h3.latlng_to_cell(5.6, -0.2, 15))
        # Until placed at the public resolution, a sensitive report is public nowhere.
        assert by_name["sensitive"]["lon"] is None and by_name["sensitive"]["h3"] is None
        assert ingest.republish_if_needed(engine, AreaIndex([]), 7)
        with engine.connect() as conn:
            rows, _ = list_reports(conn, ReportQuery(placement=PUBLIC))
            keys = conn.execute(sa.select(reports.c.record_key)).scalars().all()
        sensitive = {r["description"]: r for r in rows}["sensitive"]
        lon, lat = points["sensitive"]
        cell = h3.cell_to_parent(h3.latlng_to_cell(lat, lon, 15), 7)
        centre_lat, centre_lon = h3.cell_to_latlng(cell)
        assert (sensitive["lon"], sensitive["lat"]) == pytest.approx((centre_lon, centre_lat))
        assert all(0 <= k < 256 for k in keys) and len(keys) == 2
    finally:
        engine.dispose()
