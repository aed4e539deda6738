"""The canonical JSON text that content hashes are taken of.

The stored hashes of every report ever received were taken of
`json.dumps(content, sort_keys=True, separators=(",", ":"))`, and a replay of any of them must
hash the same, or it would be refused as a client id reused for other content. That text is
fixed for good; `canonical_json` writes it, faster.

orjson with sorted keys writes the same bytes as that call for what report content holds
(text, integers, ordinary floats, booleans, null, lists and objects with text keys), except in
a few places: json escapes every character beyond ASCII and DEL where orjson writes them
as they are; the two may write other escapes differently; and they write some floats
differently (json writes 1e-05 where orjson writes 0.00001, and their exponents may differ).
So orjson's text is kept only when it holds none of these: no byte beyond ASCII, no DEL, no
backslash, no digit followed by an exponent, no number below 1e-4 written out. Anything else,
and anything orjson cannot write (an integer beyond 64 bits), goes to json itself. The rare
report that does so costs what every report cost before; the text is the same either way
(tests/mapping/reports/test_content_hash.py compares both over generated reports).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_NOT_CERTAIN = re.compile(rb"[\\\x7f]|[0-9][eE]|0\.0000")


def canonical_json(content: Any) -> bytes:
    """`content` as json.dumps(content, sort_keys=True, separators=(",", ":")) writes it,
    encoded as UTF-8 (it is ASCII)."""
    try:
        encoded = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _by_json(content)
    if not encoded.isascii() or _NOT_CERTAIN.search(encoded):
        return _by_json(content)
    return encoded


def _by_json(content: Any) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
