"""What a page needs to draw a form: every question in form order (notes too), with its rules
and messages, and the labels of the groups that hold them.

The spec keeps questions only; a group's label is read from the XForm's body, where pyxform
put it either as text or as a reference to its translations (`jr:itext('...')`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from xml.etree import ElementTree

from mapping.reports.forms.spec import XFORMS, FormSpec, Label, Question

_ITEXT = re.compile(r"""jr:itext\(\s*['"]([^'"]+)['"]\s*\)""")


def question_doc(q: Question) -> dict[str, Any]:
    """A question as form documents describe it: name, type, label, rules, whether it is
    personal, and its choices where it has some."""
    doc: dict[str, Any] = {
        "name": q.name,
        "type": q.type,
        "label": q.label,
        "required": q.required,
        "constraint": q.constraint,
        "relevant": q.relevant,
        "personal": q.personal,
    }
    if q.choices:
        doc["choices"] = [{"name": c.name, "label": c.label} for c in q.choices]
    return doc


def page(spec: FormSpec, xform: str) -> dict[str, Any]:
    """The form as the volunteer page draws it: `groups` (path and label, outermost first)
    and `questions`, each with its path, type, label, choices and rules."""
    return {
        "groups": [{"path": path, "label": label} for path, label in group_labels(xform)],
        "questions": [
            {
                **question_doc(q),
                "path": q.path,
                "constraint_message": q.constraint_message,
            }
            for q in spec.questions
        ],
    }


@lru_cache(maxsize=64)
def group_labels(xform: str) -> tuple[tuple[str, Label], ...]:
    """Each group of the XForm's body as (path, label), in document order; a label with
    translations is a dict by language, as in the spec."""
    root = ElementTree.fromstring(xform)
    texts = _translations(root)
    found = []
    for group in root.iter(f"{XFORMS}group"):
        path = group.get("ref") or group.get("nodeset")
        if not path:
            continue
        label = group.find(f"{XFORMS}label")
        found.append((path, _label(label, texts)))
    return tuple(found)


def _translations(root: ElementTree.Element) -> dict[str, dict[str, str]]:
    """The itext texts by id, each as {language: words}."""
    texts: dict[str, dict[str, str]] = {}
    for translation in root.iter(f"{XFORMS}translation"):
        lang = translation.get("lang", "default")
        for text in translation.iter(f"{XFORMS}text"):
            value = text.find(f"{XFORMS}value")
            if value is not None and text.get("id"):
                words = "".join(value.itertext()).strip()
                texts.setdefault(text.get("id", ""), {})[lang] = words
    return texts


def _label(node: ElementTree.Element | None, texts: dict[str, dict[str, str]]) -> Label:
    if node is None:
        return ""
    ref = _ITEXT.fullmatch((node.get("ref") or "").strip())
    if ref is not None:
        by_language = texts.get(ref.group(1), {})
        return dict(by_language)
    return "".join(node.itertext()).strip()
