"""Forms bound to campaigns: a planner's upload becomes a stored, versioned form.

A version, once stored, never changes: the same workbook uploaded again is found again (the
same version), and another form under a stored `form_id` and `version` is a Conflict, since
phones in the field may hold the first one and send answers to it. A `form_id` belongs to the
campaign it was first uploaded to.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from mapping.errors import Conflict, InvalidInput, NotFound
from mapping.reports.forms import bridge, layout
from mapping.reports.forms.spec import FormSpec
from mapping.reports.forms.xlsform import read_xlsform
from mapping.storage import campaigns as campaign_store
from mapping.storage import forms as store
from mapping.taxonomy import KINDS

# A form's answers are the attributes of a `survey`, or describe reports of one kind.
FORM_KINDS = ("survey", *KINDS)


@dataclass(frozen=True, slots=True)
class Upload:
    outcome: str  # "created" or "existing"
    form: RowMapping


def upload_form(
    conn: Connection, data: bytes, *, campaign: str, kind: str, actor: str, now: datetime
) -> Upload:
    """Check, convert and store an XLSForm as a version of its form in `campaign`."""
    if kind not in FORM_KINDS:
        raise InvalidInput(
            f"kind {kind!r} is not one of {', '.join(FORM_KINDS)}.",
            [{"loc": ["kind"], "msg": f"use one of {', '.join(FORM_KINDS)}"}],
        )
    if campaign_store.get_campaign(conn, campaign) is None:
        raise NotFound(f"There is no campaign {campaign!r}; see GET /api/v1/campaigns.")
    converted = read_xlsform(data)
    spec = converted.spec
    bridge.check_binding(spec, kind, converted.rows)
    md5 = hashlib.md5(converted.xform.encode(), usedforsecurity=False).hexdigest()
    earlier = store.versions(conn, spec.form_id)
    if earlier and earlier[0]["campaign"] != campaign:
        raise Conflict(
            f"form_id {spec.form_id!r} belongs to campaign {earlier[0]['campaign']!r}; "
            "give this form another form_id in its settings sheet.",
            [{"loc": ["settings", 2, "form_id"], "msg": "used by another campaign"}],
        )
    same = next((row for row in earlier if row["version"] == spec.version), None)
    if same is not None:
        if same["xform_md5"] == md5 and same["kind"] == kind:
            return Upload("existing", same)
        raise Conflict(
            f"Version {spec.version!r} of form {spec.form_id!r} is stored with other content; "
            "raise the version in the settings sheet.",
            [{"loc": ["settings", 2, "version"], "msg": "already used for another form"}],
        )
    seq = store.add_form(
        conn,
        {
            "form_id": spec.form_id,
            "version": spec.version,
            "campaign": campaign,
            "kind": kind,
            "title": spec.title[:200],
            "spec": spec.to_json(),
            "xform": converted.xform,
            "xform_md5": md5,
            "created_at": now,
            "created_by": actor,
        },
    )
    stored = store.form_by_seq(conn, seq)
    assert stored is not None
    return Upload("created", stored)


def spec_of(form: Mapping[Any, Any]) -> FormSpec:
    return FormSpec.from_json(form["spec"])


def form_doc(form: Mapping[Any, Any], *, base_url: str) -> dict[str, Any]:
    """A form version as the API describes it."""
    spec = spec_of(form)
    return {
        "form_id": form["form_id"],
        "version": form["version"],
        "title": form["title"],
        "campaign": form["campaign"],
        "kind": form["kind"],
        "languages": list(spec.languages),
        "questions": [layout.question_doc(q) for q in spec.answered],
        "page": layout.page(spec, form["xform"]),
        "hash": f"md5:{form['xform_md5']}",
        "xform": f"{base_url}/forms/{form['form_id']}/versions/{form['version']}/xform",
    }


def find_form(conn: Connection, form_id: str, version: str | None = None) -> RowMapping:
    """A version of a form (its current one when `version` is None), or NotFound."""
    if "\x00" in form_id or (version is not None and "\x00" in version):
        row = None  # no stored name holds NUL, and PostgreSQL refuses to compare with one
    elif version is None:
        found = store.versions(conn, form_id)
        row = found[-1] if found else None
    else:
        row = store.form_version(conn, form_id, version)
    if row is None:
        which = f"version {version!r} of form" if version else "form"
        raise NotFound(f"There is no {which} {form_id!r}; see GET /api/v1/forms.")
    return row
