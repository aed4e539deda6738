"""Open311's XML: the same documents as its JSON, with each list's items named.

`services` holds `service` elements, `attributes` holds `attribute`, and so on (ITEM_NAMES); a
null is an empty element, a boolean `true`/`false`, as the GeoReport v2 examples write them.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry; citizen text may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_NOT_XML.sub("", str(value)))


def _element(name: str, value: Any) -> str:
    if value is None:
        return f"<{name}/>"
    if isinstance(value, dict):
        return f"<{name}>{''.join(_element(k, v) for k, v in value.items())}</{name}>"
    if isinstance(value, list):
        item = ITEM_NAMES.get(name, "item")
        return f"<{name}>{''.join(_element(item, v) for v in value)}</{name}>"
    return f"<{name}>{_text(value)}</{name}>"


def to_xml(root: str, value: Any) -> bytes:
    """`value` as an XML document whose root element is `root`."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + _element(root, value)).encode()
