"""What the server keeps of a form to check its answers: each question's type, path, choices
and the XPath of its `required`, `constraint` and `relevant`, as the XForm states them.

A spec is made once, at upload (mapping.reports.forms.xlsform), and stored with the form version as
JSON, so a response to an old version is checked against that version's own spec.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from xml.etree import ElementTree

# Question types of ours, and the pyxform names that map to them.
TYPES = ("text", "integer", "decimal", "select_one", "select_multiple", "date", "geopoint", "image")
PYXFORM_TYPES = {
    "text": "text",
    "integer": "integer",
    "decimal": "decimal",
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "date": "date",
    "geopoint": "geopoint",
    "photo": "image",
    "note": "note",
}
XFORMS = "{http://www.w3.org/2002/xforms}"
JR = "{http://openrosa.org/javarosa}"
Label = str | dict[str, str]


@dataclass(frozen=True, slots=True)
class Choice:
    name: str
    label: Label


@dataclass(frozen=True, slots=True)
class Question:
    """One question. `path` is its node in the instance (`/data/group/name`); `required`,
    `constraint` and `relevant` are XPath as the XForm's bind has them (None: none)."""

    name: str
    path: str
    type: str
    label: Label = ""
    choices: tuple[Choice, ...] = ()
    required: str | None = None
    constraint: str | None = None
    constraint_message: Label | None = None
    relevant: str | None = None
    personal: bool = False

    @property
    def answered(self) -> bool:
        """Whether it takes an answer (a note does not)."""
        return self.type != "note"

    def choice_names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.choices)


@dataclass(frozen=True, slots=True)
class FormSpec:
    form_id: str
    version: str
    title: str
    root: str
    questions: tuple[Question, ...]
    languages: tuple[str, ...] = field(default=())

    def question(self, name: str) -> Question | None:
        return next((q for q in self.questions if q.name == name), None)

    @property
    def answered(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.answered)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> FormSpec:
        questions = tuple(
            Question(
                **{
                    **q,
                    "choices": tuple(Choice(**c) for c in q.get("choices", ())),
                }
            )
            for q in doc["questions"]
        )
        return cls(
            form_id=doc["form_id"],
            version=doc["version"],
            title=doc["title"],
            root=doc["root"],
            questions=questions,
            languages=tuple(doc.get("languages", ())),
        )


def binds(xform: str) -> dict[str, dict[str, str]]:
    """The XForm's bind attributes by nodeset (`jr:` attributes keep a `jr:` prefix)."""
    root = ElementTree.fromstring(xform)
    found: dict[str, dict[str, str]] = {}
    for bind in root.iter(f"{XFORMS}bind"):
        attrs = {k.replace(JR, "jr:"): v for k, v in bind.attrib.items()}
        found[attrs.get("nodeset", "")] = attrs
    return found


def walk(children: list[dict[str, Any]], path: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Every question of pyxform's JSON with its instance path, groups opened, `meta` left out."""
    for child in children:
        child_path = f"{path}/{child['name']}"
        if child.get("type") == "group":
            if child["name"] != "meta":
                yield from walk(child.get("children", []), child_path)
            continue
        yield child, child_path


def from_pyxform(
    survey: dict[str, Any], xform: str, *, form_id: str, version: str, title: str
) -> FormSpec:
    """The spec of a form converted by pyxform: its JSON for types, choices and our own
    columns, the XForm's binds for the XPath of each rule."""
    bound = binds(xform)
    root = survey["name"]
    questions = []
    languages: set[str] = set()
    for child, path in walk(survey.get("children", []), f"/{root}"):
        bind = bound.get(path, {})
        label = child.get("label", "")
        if isinstance(label, dict):
            languages.update(label)
        choices = tuple(
            Choice(c["name"], c.get("label", c["name"])) for c in child.get("choices", [])
        )
        personal = str((child.get("civicmap") or {}).get("personal", "")).strip().lower()
        questions.append(
            Question(
                name=child["name"],
                path=path,
                type=PYXFORM_TYPES[child["type"]],
                label=label,
                choices=choices,
                required=_rule(bind.get("required")),
                constraint=_rule(bind.get("constraint")),
                constraint_message=child.get("bind", {}).get("jr:constraintMsg"),
                relevant=_rule(bind.get("relevant")),
                personal=personal in ("yes", "true", "1"),
            )
        )
    return FormSpec(
        form_id=form_id,
        version=version,
        title=title,
        root=root,
        questions=tuple(questions),
        languages=tuple(sorted(languages)),
    )


def _rule(expression: str | None) -> str | None:
    """An XPath rule, None when there is none (`false()` for required is none)."""
    if expression is None or not expression.strip() or expression.strip() == "false()":
        return None
    return expression.strip()
