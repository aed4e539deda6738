"""An uploaded XLSForm (.xlsx) checked and converted to an XForm with pyxform.

Every problem comes back as an InvalidInput whose error items are located as a planner finds
them in the spreadsheet: `[sheet, row, column]` (rows as the spreadsheet numbers them, the
header being row 1). We check first what pyxform accepts but the server cannot honour (types,
columns and functions outside the supported subset, names used twice), then let pyxform
convert and check the rest, and parse every `required`, `constraint` and `relevant` with the
evaluator that will check the answers.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook
from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

from mapping.errors import ErrorItem, InvalidInput
from mapping.reports.forms.spec import FormSpec, from_pyxform
from mapping.reports.forms.xpath import ExpressionError, compile_expression

MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_ROWS = 2000
ROOT = "data"
QUESTION_TYPES = {
    "text": "text",
    "string": "text",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "geopoint": "geopoint",
    "image": "image",
    "photo": "image",
    "note": "note",
}
SELECTS = {
    "select_one": "select_one",
    "select one": "select_one",
    "select_multiple": "select_multiple",
    "select all that apply": "select_multiple",
}
GROUPS = {"begin group", "begin_group", "end group", "end_group"}
SUPPORTED = (
    "text, integer, decimal, select_one, select_multiple, date, geopoint, image, note, groups"
)
# Columns whose values the server would have to compute or honour, and does not.
UNSUPPORTED_COLUMNS = ("calculation", "choice_filter", "repeat_count", "trigger")
RULES = ("required", "constraint", "relevant")
PERSONAL = "civicmap::personal"
_NAMES = {
    "form_id": re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}"),
    "version": re.compile(r"[A-Za-z0-9_.-]{1,64}"),
}
_ROW = re.compile(r"\[row\s*:\s*(\d+)\]")
_SHEET = re.compile(r"'(survey|choices|settings)' sheet")
_COLUMN = re.compile(r"the '([\w:]+)' (?:value|column)")


@dataclass(frozen=True, slots=True)
class ConvertedForm:
    spec: FormSpec
    xform: str
    rows: dict[str, int]  # the survey sheet's row of each question, by name


def read_xlsform(data: bytes) -> ConvertedForm:
    """Check and convert an .xlsx upload; raise InvalidInput naming sheet, row and column."""
    book = _open(data)
    rows = _sheet_rows(book, "survey")
    if rows is None:
        raise _invalid("The workbook has no 'survey' sheet.", ["survey"], "no 'survey' sheet")
    settings = _settings(_sheet_rows(book, "settings") or [])
    lists = {row.get("list_name", "") for row in _sheet_rows(book, "choices") or []}
    question_rows = _check_survey(rows, lists)
    try:
        converted = convert(data, file_type=".xlsx", form_name=ROOT, warnings=[])
    except PyXFormError as exc:
        raise _pyxform_problem(exc) from None
    except Exception:
        raise _invalid(
            "pyxform could not read this workbook; check it opens in a spreadsheet program.",
            ["survey"],
            "unreadable workbook",
        ) from None
    spec = from_pyxform(
        converted._pyxform,
        converted.xform,
        form_id=settings["form_id"],
        version=settings["version"],
        title=str(converted._pyxform.get("title") or settings["form_id"]),
    )
    _check_rules(spec, question_rows)
    return ConvertedForm(spec=spec, xform=converted.xform, rows=question_rows)


def _open(data: bytes) -> Any:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise _invalid(
            "The file is not an .xlsx workbook.", ["file"], "not an .xlsx file"
        ) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise _invalid(
            f"The workbook unpacks to more than {MAX_UNPACKED_BYTES} bytes.", ["file"], "too large"
        )
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise _invalid(
            "The file is not an .xlsx workbook.", ["file"], "not an .xlsx file"
        ) from None


def _sheet_rows(book: Any, name: str) -> list[dict[str, Any]] | None:
    """The sheet's rows as dicts by lower-cased header, each with `_row`; None: no sheet."""
    sheet = next((book[s] for s in book.sheetnames if s.strip().lower() == name), None)
    if sheet is None:
        return None
    found: list[dict[str, Any]] = []
    header: list[str] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_ROWS + 1:
            raise _invalid(f"The '{name}' sheet has more than {MAX_ROWS} rows.", [name], "too long")
        cells = ["" if v is None else str(v).strip() for v in values]
        if not header:
            header = [c.lower() for c in cells]
            continue
        if any(cells):
            found.append({"_row": number, **dict(zip(header, cells, strict=False))})
    return found


def _settings(rows: list[dict[str, Any]]) -> dict[str, str]:
    first = rows[0] if rows else {"_row": 2}
    row = first["_row"]
    values = {}
    for column in ("form_id", "version"):
        value = str(first.get(column, "")).strip()
        if not _NAMES[column].fullmatch(value):
            raise _invalid(
                f"The settings sheet needs a {column} (letters, digits, '_', '.', '-'; at most "
                "64; a form_id starts with a letter), so that clients can tell this form and "
                "its versions apart.",
                ["settings", row, column],
                f"missing or not a name: {value!r}",
            )
        values[column] = value
    return values


def _check_survey(rows: list[dict[str, Any]], lists: set[str]) -> dict[str, int]:
    """Our own checks of the survey sheet (`lists`: the choices sheet's list names); the row
    of each question by name."""
    errors: list[ErrorItem] = []
    seen: dict[str, int] = {}
    for row in rows:
        number, kind = row["_row"], row.get("type", "").strip()
        name = row.get("name", "").strip()
        base = kind.lower().split()[0] if kind else ""
        if kind.lower() in GROUPS or base in ("begin_group", "end_group"):
            if kind.lower().startswith("begin") and row.get("relevant"):
                errors.append(_item(number, "relevant", "a group's relevant is not supported"))
        elif kind.lower().startswith(tuple(SELECTS)):
            if " or_other" in kind or kind.lower().startswith(
                ("select_one_from_file", "select_multiple_from_file")
            ):
                errors.append(_item(number, "type", f"{kind!r} is not supported"))
            elif (listed := _list_name(kind)) not in lists:
                errors.append(
                    _item(
                        number,
                        "type",
                        f"the list {listed!r} is not on the choices sheet (its list_name column)",
                    )
                )
        elif kind.lower() not in QUESTION_TYPES:
            errors.append(
                _item(number, "type", f"type {kind!r} is not supported; use one of {SUPPORTED}")
            )
        for column in UNSUPPORTED_COLUMNS:
            if row.get(column):
                errors.append(_item(number, column, f"the {column} column is not supported"))
        if row.get(PERSONAL, "").lower() not in ("", "yes", "no", "true", "false", "1", "0"):
            errors.append(_item(number, PERSONAL, "write yes or no"))
        if name and not kind.lower().startswith("end"):
            if name in seen:
                errors.append(
                    _item(
                        number,
                        "name",
                        f"{name!r} is already the name of row {seen[name]}; "
                        "every name must be unique in the form",
                    )
                )
            seen.setdefault(name, number)
    if errors:
        raise InvalidInput(_detail(errors), errors)
    return seen


def _list_name(kind: str) -> str:
    prefix = next(p for p in SELECTS if kind.lower().startswith(p))
    rest = kind[len(prefix) :].split()
    return rest[0] if rest else ""


def _check_rules(spec: FormSpec, rows: dict[str, int]) -> None:
    errors: list[ErrorItem] = []
    for question in spec.questions:
        for column in RULES:
            expression = getattr(question, column)
            if expression is None:
                continue
            try:
                compile_expression(expression)
            except ExpressionError as exc:
                errors.append(
                    _item(rows.get(question.name, 0), column, f"cannot be evaluated: {exc}")
                )
    errors += _shown_by_personal(spec, rows)
    if errors:
        raise InvalidInput(_detail(errors), errors)


def _shown_by_personal(spec: FormSpec, rows: dict[str, int]) -> list[ErrorItem]:
    """A question that is asked, must be answered or may take an answer depending on a
    personal answer is personal too: the public listing shows its answers, and so tells the
    personal answer they depend on."""
    personal = [q for q in spec.questions if q.personal]
    errors: list[ErrorItem] = []
    for question in spec.questions:
        if question.personal:
            continue
        for column in ("relevant", "required", "constraint"):
            expression = getattr(question, column) or ""
            named = [
                p.name for p in personal if re.search(rf"{re.escape(p.path)}(?![\w.-])", expression)
            ]
            if named:
                errors.append(
                    _item(
                        rows.get(question.name, 0),
                        column,
                        f"depends on the personal answer {named[0]!r}: mark this question "
                        f"{PERSONAL} too, or its answers in public would give that one away",
                    )
                )
    return errors


def _pyxform_problem(exc: PyXFormError) -> InvalidInput:
    message = str(exc)
    context = getattr(exc, "context", None) or {}
    row = context.get("row") or (int(m.group(1)) if (m := _ROW.search(message)) else None)
    sheet = context.get("sheet") or (m.group(1) if (m := _SHEET.search(message)) else "survey")
    column = context.get("column") or (m.group(1) if (m := _COLUMN.search(message)) else None)
    loc: list[str | int] = [sheet, *([row] if row else []), *([column] if column else [])]
    text = _ROW.sub("", message).strip()
    return InvalidInput(f"{where(loc)}: {text}", [{"loc": loc, "msg": text}])


def _item(row: int, column: str, msg: str) -> ErrorItem:
    return {"loc": ["survey", row, column], "msg": msg}


def where(loc: list[str | int]) -> str:
    parts = [f"sheet {loc[0]!r}"]
    parts += [f"row {p}" if isinstance(p, int) else f"column {p!r}" for p in loc[1:]]
    return ", ".join(parts)


def _detail(errors: list[ErrorItem]) -> str:
    first = errors[0]
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{where(first['loc'])}: {first['msg']}{more}."


def _invalid(detail: str, loc: list[str | int], msg: str) -> InvalidInput:
    return InvalidInput(detail, [{"loc": loc, "msg": msg}])
