"""The volunteer page asks SDG 16.6.2 as its metadata does, in a real Chromium on a phone: the
attributes of the chosen service as rows of four taps, "don't know" beside the overall scale,
the Washington Group questions and residence, and a token so a person counts once."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from mapping.storage.tables import reports
from tests.web.conftest import ACCRA, Visit

pytestmark = pytest.mark.slow


def _ready(visit: Visit) -> None:
    visit.open("/report")
    visit.page.wait_for_function("document.querySelectorAll('#category option').length > 0")
    visit.page.fill("#lat", str(ACCRA[1]))
    visit.page.fill("#lon", str(ACCRA[0]))


def _visible_aspects(visit: Visit) -> list[str]:
    return visit.page.eval_on_selector_all(  # type: ignore[no-any-return]
        "#service-aspects .aspect",
        "rows => rows.filter(r => !r.hidden && r.offsetParent).map(r => r.dataset.aspect)",
    )


def _stored(visit: Visit, name: str) -> dict:  # type: ignore[type-arg]
    visit.page.wait_for_selector("#result .notice.ok")
    with visit.server.engine.connect() as conn:
        row = conn.execute(sa.select(reports).where(reports.c.description == name)).one()
    return dict(row._mapping)


def test_a_clinic_visit_is_rated_on_its_five_attributes_in_a_row_of_taps(phone: Visit) -> None:
    page = phone.page
    _ready(phone)
    page.select_option("#kind", "service")
    page.select_option("#category", "health_facility")
    assert _visible_aspects(phone) == [
        "access", "affordability", "quality", "equal_treatment", "courtesy",
    ]  # fmt: skip
    # Each tap target is at least a thumb wide, and a row's four fit on a 390 px screen.
    box = page.locator("label[for=aspect-courtesy-4] span").bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    assert box["x"] + box["width"] <= 390
    page.click("label[for=sat-dont_know]")
    page.click("label[for=aspect-access-2]")
    page.click("label[for=aspect-courtesy-4]")
    page.click("summary")
    page.select_option("#wg-walking", "3")
    page.select_option("#residence", "T-ESC")
    page.fill("#description", "clinic rated")
    page.click("#send")
    row = _stored(phone, "clinic rated")
    attributes = (
        row["attributes"] if isinstance(row["attributes"], dict) else json.loads(row["attributes"])
    )
    assert row["satisfaction"] is None and row["satisfaction_missing"] == "dont_know"
    assert attributes["aspects"] == {"access": 2, "courtesy": 4}
    assert row["reporter_wg"] == "003000" and row["reporter_residence"] == "T-ESC"
    token = row["reporter_respondent"]
    assert token and token.startswith("p-")
    # The next rating, of an ID office, asks that service's attributes and keeps the token.
    page.select_option("#category", "identity_documents")
    assert _visible_aspects(phone) == [
        "access", "affordability", "equal_treatment", "effective_delivery", "timeliness",
    ]  # fmt: skip
    page.click("label[for=sat-3]")
    page.fill("#description", "id office rated")
    page.click("#send")
    page.wait_for_function("document.querySelectorAll('#result .notice.ok').length > 0")
    second = _stored(phone, "id office rated")
    assert second["satisfaction"] == 3 and second["reporter_respondent"] == token
    # A market is rated, but it is no 16.6.2 service: no attribute rows.
    page.select_option("#category", "market")
    assert _visible_aspects(phone) == []
    assert phone.console.errors == []
