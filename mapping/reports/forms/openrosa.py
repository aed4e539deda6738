"""The OpenRosa 1.0 documents: the form list, the server's response, and a submitted instance.

The form list is OpenRosa's xformsList (`formID`, `name`, `version`, `hash`, `downloadUrl`).
A submission's `xml_submission_file` is an XForm instance: its root names the form (`id`) and
its version (`version`), `meta/instanceID` names the response, and each answer is the text of
its question's node. It is parsed with DTDs and entities refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree as SafeTree
from defusedxml.common import DefusedXmlException

from mapping.errors import ErrorItem, InvalidInput
from mapping.reports.forms.spec import FormSpec

VERSION = "1.0"
FORM_LIST_NS = "http://openrosa.org/xforms/xformsList"
RESPONSE_NS = "http://openrosa.org/http/response"
MAX_DEPTH = 8
MAX_NODES = 5000


@dataclass(frozen=True, slots=True)
class Instance:
    """A submitted instance: which form version it answers, its instance id, and the text of
    every leaf node by its path below the root (`good`, `group/price`), `meta` left out."""

    form_id: str
    version: str | None
    instance_id: str
    values: dict[str, str]


def form_list(forms: Iterable[Mapping[Any, Any]], *, download_url: str) -> bytes:
    """The xformsList of `forms`; `download_url` has `{form_id}` and `{version}` fields."""
    root = Element("xforms", xmlns=FORM_LIST_NS)
    for form in forms:
        item = SubElement(root, "xform")
        for tag, text in (
            ("formID", form["form_id"]),
            ("name", form["title"]),
            ("version", form["version"]),
            ("hash", f"md5:{form['xform_md5']}"),
            ("downloadUrl", download_url.format(form_id=form["form_id"], version=form["version"])),
        ):
            SubElement(item, tag).text = text
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8")


def response(message: str, *, nature: str = "") -> bytes:
    """An OpenRosaResponse carrying one message (clients show it to the person sending)."""
    root = Element("OpenRosaResponse", xmlns=RESPONSE_NS)
    node = SubElement(root, "message", nature=nature) if nature else SubElement(root, "message")
    node.text = message
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_instance(data: bytes) -> Instance:
    """The instance in `xml_submission_file`; InvalidInput naming what is wrong."""
    try:
        root = SafeTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise _bad("xml_submission_file", "DTDs and entities are not accepted") from None
    except SafeTree.ParseError as exc:
        raise _bad("xml_submission_file", f"not well-formed XML ({exc})") from None
    except (LookupError, ValueError):  # the XML declaration names an encoding expat lacks
        raise _bad(
            "xml_submission_file", "send it in UTF-8, the encoding it names is not read here"
        ) from None
    form_id = root.get("id")
    if not form_id:
        raise _bad("xml_submission_file", "the root element has no id naming the form")
    instance_id = ""
    values: dict[str, str] = {}
    count = 0
    stack: list[tuple[Element, str, int]] = [(child, "", 1) for child in root]
    while stack:
        node, prefix, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            raise _bad("xml_submission_file", "too many or too deeply nested nodes")
        name = _local(node.tag)
        if depth == 1 and name == "meta":
            found = next((c for c in node if _local(c.tag) == "instanceID"), None)
            instance_id = (found.text or "").strip() if found is not None else ""
            continue
        path = f"{prefix}{name}"
        children = list(node)
        if children:
            stack += [(child, f"{path}/", depth + 1) for child in children]
        elif path in values:
            raise _bad(path, "is given twice (repeats are not supported)")
        else:
            values[path] = node.text or ""
    if not instance_id or len(instance_id) > 100:
        raise _bad(
            "meta/instanceID", "each submission needs an instanceID of at most 100 characters"
        )
    return Instance(
        form_id=form_id, version=root.get("version"), instance_id=instance_id, values=values
    )


def answers_of(spec: FormSpec, instance: Instance) -> dict[str, str]:
    """The instance's answers by question name; a node that is no question is an error."""
    by_path = {q.path.split("/", 2)[2]: q.name for q in spec.questions}
    errors: list[ErrorItem] = []
    answers: dict[str, str] = {}
    for path, text in instance.values.items():
        if not text.strip():
            continue  # unanswered, not relevant, or a note
        name = by_path.get(path)
        if name is None:
            errors.append(
                {"loc": ["answers", path], "msg": "is not a question of this form version"}
            )
            continue
        answers[name] = text
    if errors:
        raise InvalidInput(f"Node {errors[0]['loc'][-1]!r} is not a question of this form.", errors)
    return answers


def _bad(where: str, msg: str) -> InvalidInput:
    return InvalidInput(f"{where}: {msg}.", [{"loc": [where], "msg": msg}])
