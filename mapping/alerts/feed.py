"""An Atom feed (RFC 4287) of an area's newest reports, for feed readers and alert tools.

Entries come from mapping.disclosure.publish.report_feature, so a feed shows exactly what the public
listing shows: a sensitive report only at its cell's centre. The XML is built with ElementTree,
which escapes text; characters that XML 1.0 cannot carry at all are dropped first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from mapping.disclosure.publish import View, report_feature, rfc3339
from mapping.taxonomy import HOTSPOT_THEMES, LITTER_ITEMS, LITTER_SURVEYS, SERVICE_CATEGORIES

ATOM = "http://www.w3.org/2005/Atom"
GEORSS = "http://www.georss.org/georss"
MEDIA_TYPE = "application/atom+xml"
KIND_LABELS = {"service": "Public service", "litter": "Beach litter", "hotspot": "Hotspot"}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ET.register_namespace("", ATOM)
ET.register_namespace("georss", GEORSS)


@cache
def _labels() -> dict[tuple[str, str], str]:
    labels = {("service", c.code): c.label for c in SERVICE_CATEGORIES}
    labels |= {("litter", c.code): c.label for c in LITTER_SURVEYS}
    labels |= {("litter", i.code): i.label for i in LITTER_ITEMS}
    labels |= {("hotspot", c.code): c.label for c in HOTSPOT_THEMES}
    return labels


def _text(value: Any) -> str:
    return _NOT_XML.sub("", str(value))


def _add(
    parent: ET.Element, tag: str, text: Any = None, ns: str = ATOM, **attrs: str
) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{tag}", {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _text(text)
    return element


def area_feed(
    rows: Iterable[Mapping[Any, Any]],
    *,
    area: Mapping[Any, Any],
    view: View,
    base_url: str,
    self_url: str,
    rights: str,
    now: datetime,
) -> bytes:
    """The feed of `rows` (newest first) for `area`; `base_url` is the server's root URL (no
    trailing slash), `self_url` the URL the feed was asked for."""
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", self_url)
    _add(feed, "title", f"CivicMap: new reports in {area['name']}")
    _add(feed, "subtitle", f"The newest public citizen reports of area {area['code']}.")
    _add(feed, "link", rel="self", type=MEDIA_TYPE, href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=f"{base_url}/areas/{area['code']}")
    author = _add(feed, "author")
    _add(author, "name", "CivicMap")
    _add(feed, "rights", rights)
    _add(feed, "generator", "CivicMap")
    entries = [report_feature(row, view) for row in rows]
    newest = max((e["properties"]["received_at"] for e in entries), default=rfc3339(now))
    _add(feed, "updated", newest)
    for feature in entries:
        _entry(feed, feature, base_url)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _entry(feed: ET.Element, feature: Mapping[Any, Any], base_url: str) -> None:
    props = feature["properties"]
    kind, category = props["kind"], props["category"]
    label = _labels().get((kind, category), category)
    entry = _add(feed, "entry")
    _add(entry, "id", f"urn:uuid:{feature['id']}")
    _add(entry, "title", f"{KIND_LABELS.get(kind, kind)}: {label}")
    _add(entry, "updated", props["received_at"])
    _add(entry, "published", props["received_at"])
    _add(entry, "category", term=f"{kind}/{category}", label=label)
    _add(
        entry,
        "link",
        rel="alternate",
        type="application/geo+json",
        href=f"{base_url}/api/v1/reports/{feature['id']}",
    )
    for photo in props.get("photos") or []:
        _add(entry, "link", rel="enclosure", type="image/jpeg", href=f"{base_url}{photo['url']}")
    lines = [
        f"{label} ({kind}), status {props['status']}, observed {props['observed_at']}.",
        *([props["description"]] if props.get("description") else []),
        *([f"Quality flags: {', '.join(props['quality'])}."] if props.get("quality") else []),
        *(
            [f"Location generalised to {props['location_generalised_to']}."]
            if props.get("location_generalised_to")
            else []
        ),
    ]
    _add(entry, "summary", "\n".join(lines), type="text")
    lon, lat = feature["geometry"]["coordinates"][:2]
    _add(entry, "point", f"{lat} {lon}", ns=GEORSS)
