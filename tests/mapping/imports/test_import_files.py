"""Importing reports from CSV, GeoJSON, GeoPackage, KML, KMZ and zip files: column mappings,
presets, litter surveys split, safe XML and size caps, on both backends."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mapping.errors import InvalidInput
from mapping.export import Download, export_chunks
from mapping.imports.importer import ColumnMapping, import_file
from mapping.imports.litter import split_survey
from mapping.imports.presets import EEA_LITTERWATCH, mapping_from
from mapping.imports.readers import read_kml
from mapping.reports.rows import Limits
from mapping.storage.tables import reports
from tests.conftest import make_report
from tests.data import EEA_LITTERWATCH_EVENTS

LIMITS = Limits()
MIB = 1024 * 1024
KML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
BILLION_LAUGHS = KML_HEAD + (
    '<!DOCTYPE kml [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&d;</name>'
    "<Point><coordinates>-0.2,5.6</coordinates></Point></Placemark></Document></kml>"
)
EXTERNAL_ENTITY = KML_HEAD + (
    '<!DOCTYPE kml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&secret;</name>'
    "<Point><coordinates>-0.2,5.6</coordinates></Point></Placemark></kml>"
)


def _kml(placemarks: list[tuple[str, float, float, dict[str, str]]]) -> str:
    body = "".join(
        f"<Placemark><name>{name}</name><ExtendedData>"
        + "".join(f'<Data name="{k}"><value>{v}</value></Data>' for k, v in data.items())
        + f"</ExtendedData><Point><coordinates>{lon},{lat},0</coordinates></Point></Placemark>"
        for name, lon, lat, data in placemarks
    )
    return (
        KML_HEAD + f'<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{body}</Document></kml>'
    )


HOTSPOTS = ColumnMapping(
    kind="hotspot",
    category_column="theme",
    observed_column="seen",
    attributes={"severity": "severity"},
    campaign="imported",
)


def _import(engine, path: Path, mapping: ColumnMapping, **kw: Any):  # type: ignore[no-untyped-def]
    return import_file(
        engine, path, mapping, limits=LIMITS, max_bytes=kw.pop("max_bytes", MIB), **kw
    )


def test_kml_placemarks_import_with_their_extended_data(engine, tmp_path):
    path = tmp_path / "hotspots.kml"
    path.write_text(
        _kml(
            [
                ("a", -0.21, 5.61, {"theme": "flooding", "severity": "4", "seen": "2025-05-01"}),
                ("b", -0.22, 5.62, {"theme": "nonsense", "severity": "2", "seen": "2025-05-01"}),
                ("c", 0.0, 0.0, {"theme": "flooding", "severity": "2", "seen": "2025-05-01"}),
            ]
        )
    )
    report = _import(engine, path, HOTSPOTS)
    assert (report.rows, report.created, report.refused) == (3, 1, 2)
    outcomes = {o.row: o for o in report.outcomes}
    assert outcomes[1].outcome == "created"
    assert "nonsense" in outcomes[2].reasons[0] and "category" in outcomes[2].reasons[0]
    assert "0,0" in outcomes[3].reasons[0]
    again = _import(engine, path, HOTSPOTS)
    assert (again.created, again.duplicates) == (0, 1)  # the same file again stores nothing


def test_a_billion_laughs_or_an_external_entity_is_refused_unexpanded(tmp_path):
    for name, text in (("laughs.kml", BILLION_LAUGHS), ("xxe.kml", EXTERNAL_ENTITY)):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(InvalidInput, match="DTD or entities"):
            list(read_kml(path))


def test_kmz_is_unpacked_and_archives_and_files_are_capped(engine, tmp_path):
    kml = _kml([("a", -0.31, 5.7, {"theme": "water", "severity": "3", "seen": "2025-05-02"})])
    kmz = tmp_path / "one.kmz"
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", kml)
    assert _import(engine, kmz, HOTSPOTS).created == 1
    # A member that inflates past the cap (and far too well) is not unpacked.
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("rows.csv", "a" * (2 * MIB))
    with pytest.raises(InvalidInput, match=r"unpacks to|compressed suspiciously"):
        _import(engine, bomb, HOTSPOTS)
    big = tmp_path / "big.csv"
    big.write_text("lon,lat\n" + "1,1\n" * 300_000)
    with pytest.raises(InvalidInput, match="more than the"):
        _import(engine, big, HOTSPOTS)
    with pytest.raises(InvalidInput, match="format"):
        _import(engine, tmp_path / "x.docx", HOTSPOTS)


def test_litter_surveys_over_1000_m_are_split_keeping_their_totals():
    feature = make_report("litter", lon=10.0, lat=44.0)
    feature["properties"]["attributes"] = {"survey_length_m": 2500, "items": {"G1": 7, "G21": 2}}
    parts = split_survey(feature, end=(10.03, 44.0))
    assert len(parts) == 3
    lengths = [p["properties"]["attributes"]["survey_length_m"] for p in parts]
    assert sum(lengths) == pytest.approx(2500) and max(lengths) <= 1000
    for code, total in (("G1", 7), ("G21", 2)):
        assert sum(p["properties"]["attributes"]["items"][code] for p in parts) == total
    xs = [p["geometry"]["coordinates"][0] for p in parts]
    assert xs == sorted(xs) and 10.0 < xs[0] < xs[-1] < 10.03
    feature["properties"]["attributes"]["survey_length_m"] = 50_000
    with pytest.raises(ValueError, match="not one beach survey"):
        split_survey(feature, end=None)


@pytest.mark.slow
def test_the_eea_litterwatch_events_import_as_litter_reports(engine):
    report = _import(engine, EEA_LITTERWATCH_EVENTS, EEA_LITTERWATCH, max_bytes=20 * MIB)
    assert report.rows == 3607 == len(report.outcomes)
    assert report.created + report.duplicates + report.refused == 3607
    refused = [o for o in report.outcomes if o.outcome == "rejected"]
    assert all(o.reasons for o in refused)
    no_position = [o for o in refused if any("0,0" in r for r in o.reasons)]
    assert len(no_position) == 76  # the rows with zero coordinates
    assert report.created > 3300
    with engine.connect() as conn:
        kinds = conn.execute(
            sa.select(reports.c.category, sa.func.count())
            .where(reports.c.kind == "litter", reports.c.description.is_not(None))
            .group_by(reports.c.category)
        ).all()
    assert {category for category, _ in kinds} >= {"cleanup", "monitoring"}
    split = [o for o in report.outcomes if any("split into" in r for r in o.reasons)]
    assert split and all(";" in (o.id or "") for o in split)


def test_civicmap_downloads_import_back_with_their_attributes(engine, tmp_path):
    features = [
        make_report("service", lon=-0.4, lat=5.9, campaign="again"),
        make_report("litter", lon=-0.41, lat=5.91, campaign="again", sensitive=True),
    ]
    for i, feature in enumerate(features):
        feature["id"] = f"r{i}"
        feature["properties"].pop("client_id")
        feature["properties"]["quality"] = ["low_accuracy"]  # server-set: not taken back
    meta = {"generated_at": "t", "filters": {}, "license": "l", "method": "m"}
    mapping = mapping_from({"preset": "civicmap"})
    for fmt in ("gpkg", "geojson", "csv", "kml"):
        path = tmp_path / f"reports.{fmt}"
        path.write_bytes(b"".join(export_chunks(fmt, Download(features, "reports", meta))))
        report = _import(engine, path, mapping)
        assert report.refused == 0, (fmt, [o.reasons for o in report.outcomes])
        assert report.created + report.duplicates == 2, fmt
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(reports.c.kind, reports.c.attributes, reports.c.sensitive).where(
                reports.c.campaign == "again"
            )
        ).all()
    assert len(rows) == 2  # every format made the same two reports
    stored = {
        kind: ({k: v for k, v in attributes.items() if v != {}}, sensitive)
        for kind, attributes, sensitive in rows
    }
    assert stored["service"] == (features[0]["properties"]["attributes"], False)
    assert stored["litter"] == (features[1]["properties"]["attributes"], True)


def test_a_mapping_from_json_names_what_is_wrong():
    with pytest.raises(InvalidInput) as refused:
        mapping_from({"kind": "service", "colour": "red"})
    assert refused.value.errors[0]["loc"] == ["mapping", "colour"]
    with pytest.raises(InvalidInput, match="category"):
        mapping_from({"kind": "service"})
    assert mapping_from({"preset": "eea-litterwatch"}).item_columns == r"G\d+"
    assert json.dumps(mapping_from({"kind": "hotspot", "category": "water"}).kind) == '"hotspot"'
