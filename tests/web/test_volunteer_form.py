"""A campaign's XLSForm on the volunteer page, in a real Chromium against a real server: a
planner uploads it, a phone opens the campaign once, answers offline, and the response is
stored once when the phone is back online; a question that does not apply is hidden and not
sent; an answer the server refuses is shown next to its question."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, SubElement

import httpx
import pytest

from mapping.reports.forms.xpath import is_true
from tests.forms import SURVEY, workbook
from tests.web.conftest import ACCRA, Visit
from tests.web.test_accessibility import AXE, TAGS

pytestmark = pytest.mark.slow

CAMPAIGN = "prices"
FORM = "/api/v1/forms/market_prices"
BLANK = ["", "", "", "", "", "", ""]
# The market price survey with its first questions in a group that opens with a note, and
# `sellers` asked only about rice.
ROWS = [
    ["begin_group", "stall", "The stall", "L'étal", *BLANK],
    ["note", "intro", "Ask the seller for today's price.", "Demandez le prix du jour.", *BLANK],
    *SURVEY[:3],
    ["end_group", "", "", "", *BLANK],
    *SURVEY[3:],
]


@pytest.fixture(scope="module")
def survey(live_server: Any, keys: dict[str, dict[str, str]]) -> None:
    """The campaign, running now, and its form, uploaded by a planner."""
    made = httpx.post(
        live_server.url + "/api/v1/campaigns",
        json={
            "slug": CAMPAIGN,
            "title": "Staple prices",
            "description": "Prices of staples in the markets.",
            "kind": "service",
            "start": "2026-01-01T00:00:00Z",
            "end": "2099-01-01T00:00:00Z",
        },
        headers=keys["planner"],
    )
    assert made.status_code == 201, made.text
    stored = httpx.post(
        f"{live_server.url}/api/v1/campaigns/{CAMPAIGN}/forms",
        files={"file": ("form.xlsx", workbook(ROWS))},
        headers=keys["planner"],
    )
    assert stored.status_code == 201, stored.text
    # A second questionnaire of the campaign, one question in one language.
    other = workbook(
        [["integer", "queue", "People waiting"]],
        header=["type", "name", "label"],
        choices=None,
        form_id="water_queue",
        title="Queue at the pump",
    )
    stored = httpx.post(
        f"{live_server.url}/api/v1/campaigns/{CAMPAIGN}/forms",
        files={"file": ("queue.xlsx", other)},
        headers=keys["planner"],
    )
    assert stored.status_code == 201, stored.text


def _responses(visit: Visit) -> list[dict[str, Any]]:
    listed = httpx.get(visit.server.url + FORM + "/responses", timeout=30)
    assert listed.status_code == 200, listed.text
    return listed.json()["features"]


def _open_campaign(visit: Visit) -> None:
    page = visit.page
    page.select_option("#campaign", CAMPAIGN)
    page.locator("#q-price").wait_for()


def _answer(visit: Visit, price: str = "12.5") -> None:
    """Answers in the order a person gives them; the pin is the market's place."""
    page = visit.page
    lon, lat = ACCRA
    page.fill("#lat", str(lat))
    page.fill("#lon", str(lon))
    page.check("#q-good-0")  # rice: `sellers` applies
    page.locator("[data-question=sellers]").wait_for()
    page.check("#q-sellers-0")
    page.fill("#q-price", price)
    page.fill("#q-quantity_kg", "50")
    page.fill("#q-seen_on", "2026-01-15")


def test_a_phone_answers_offline_and_the_response_is_stored_once(
    phone: Visit, survey: None
) -> None:
    page, context = phone.page, phone.context
    phone.open("/report")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    _open_campaign(phone)  # opened once, online: the form is now kept on the phone
    context.set_offline(True)
    page.reload()
    page.wait_for_function("document.querySelectorAll('#category option').length > 0")
    _open_campaign(phone)

    # The form as its planner wrote it, in the page's language, group and note included.
    assert page.inner_text("#survey-title") == "Market prices"
    assert page.inner_text(".survey-group > legend") == "The stall"
    assert "Ask the seller for today's price." in page.inner_text(".survey-group")
    assert "(required)" in page.inner_text("[data-question=price]")
    assert "ODK Collect" in page.inner_text("[data-question=photo]")
    assert "used only in totals" in page.inner_text("[data-question=age_group]")
    # `sellers` applies to rice only.
    assert page.is_hidden("[data-question=sellers]")
    page.check("#q-good-1")
    assert page.is_hidden("[data-question=sellers]")
    _answer(phone)
    assert page.is_visible("[data-question=sellers]")
    # The browser checks the constraint first, with the form's message.
    page.fill("#q-price", "-3")
    page.click("#survey-send")
    assert page.inner_text("#q-price-error") == "A price is between 0 and 10000 GHS"
    page.fill("#q-price", "12.5")
    page.click("#survey-send")
    page.wait_for_selector("#outbox-count[data-count='1']")
    queued = page.evaluate("CivicMap.outbox.items()")
    assert [i["type"] for i in queued] == ["response"] and queued[0]["body"]["version"] == "1"
    assert _responses(phone) == []
    phone.screenshot("form-offline")

    context.set_offline(False)
    page.wait_for_selector("#outbox-count[data-count='0']", state="attached")
    page.locator("#survey-status .notice.ok").wait_for()
    stored = _responses(phone)
    assert len(stored) == 1
    answers = stored[0]["properties"]["answers"]
    assert answers["good"] == "rice" and answers["sellers"] == ["market_women"]
    assert answers["price"] == 12.5 and answers["quantity_kg"] == 50
    assert answers["seen_on"] == "2026-01-15" and answers["market"].startswith("POINT")

    # A send whose answer was lost: the same response goes again and is not stored twice.
    page.evaluate("i => CivicMap.outbox.addResponse(i) || CivicMap.outbox.flush()", queued[0])
    page.wait_for_selector("#outbox-count[data-count='0']", state="attached")
    assert len(_responses(phone)) == 1
    assert phone.console.errors == []


def test_what_does_not_apply_is_not_sent_and_a_refusal_is_shown_at_its_question(
    phone: Visit, survey: None
) -> None:
    page = phone.page
    phone.open("/report")
    page.wait_for_function("document.querySelectorAll('#category option').length > 0")
    _open_campaign(phone)
    before = len(_responses(phone))
    _answer(phone)
    page.check("#q-good-2")  # cassava: the sellers ticked for rice no longer apply
    assert page.is_hidden("[data-question=sellers]")
    page.click("#survey-send")
    page.locator("#survey-status .notice.ok").wait_for()
    stored = _responses(phone)
    assert len(stored) == before + 1
    assert stored[-1]["properties"]["answers"]["good"] == "cassava"
    assert stored[-1]["properties"]["answers"]["sellers"] is None

    # A response the browser let through (queued by an older page, say): the server's 422
    # comes back next to the question it names, with the answers back in the form.
    waiting = {
        "form_id": "market_prices",
        "campaign": CAMPAIGN,
        "title": "Market prices",
        "body": {
            "version": "1",
            "client_id": "0b7c9a52-3f0e-4d55-9a57-1e2f3a4b5c6d",
            "answers": {"market": list(ACCRA), "good": "maize", "price": -4},
        },
    }
    page.select_option("#survey-choice", "water_queue")  # the volunteer has moved on
    assert page.inner_text("#survey-title") == "Queue at the pump"
    assert page.is_hidden(".survey-language")  # one language: nothing to choose
    page.evaluate("i => CivicMap.outbox.addResponse(i) || CivicMap.outbox.flush()", waiting)
    error = page.locator("#q-price-error")
    error.wait_for()
    assert error.inner_text() == "A price is between 0 and 10000 GHS"
    assert page.input_value("#q-price") == "-4" and page.is_checked("#q-good-1")
    assert page.locator("#survey-status .notice.bad").count() == 1
    assert page.input_value("#survey-choice") == "market_prices"
    assert page.locator("#result .notice").count() == 0  # not told as a refused report
    assert len(_responses(phone)) == before + 1
    phone.screenshot("form-refused")
    # The browser logs the refusal itself; nothing else went wrong.
    assert [e for e in phone.console.errors if "status of 422" not in e] == []


def test_the_questionnaire_has_no_serious_wcag_violation(sized: Any, survey: None) -> None:
    if not AXE.exists():
        pytest.skip(f"axe-core is not at {AXE} (scripts/setup --test installs it)")
    phone = sized(390, 844, bypass_csp=True)
    page = phone.page
    phone.open("/report")
    page.wait_for_function("document.querySelectorAll('#category option').length > 0")
    _open_campaign(phone)
    page.check("#q-good-0")
    page.click("#survey-send")  # the required marks' messages shown too
    page.locator("#q-market-error").wait_for()
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "([tags]) => axe.run('#survey', {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))",
        [TAGS],
    )
    assert found == []


# ODK's functions as forms use them, and whether each holds on the instance below.
RULES = [
    ("selected(/data/sellers, 'shops')", True),
    ("selected(/data/sellers, 'shop')", False),
    ("count-selected(/data/sellers) = 2 and count-selected(/data/empty) = 0", True),
    ("if(/data/good = 'rice', 'yes', 'no') = 'yes'", True),
    ("if(/data/good = 'maize', 1, 2) = 1", False),
    ("coalesce(/data/empty, /data/good) = 'rice'", True),
    ("int(/data/price) = 12", True),
    ("regex(/data/good, '^r[a-z]+$')", True),
    ("regex(/data/good, '^m')", False),
    ("/data/day <= today() and /data/day > date('2026-01-01')", True),
    ("/data/day > today()", False),
    ("boolean-from-string('true') and not(boolean-from-string('no'))", True),
    ("/data/price > 0 and /data/price < 10000", True),
    ("/data/empty > 0 or /data/empty < 0", False),
]


def test_the_browser_reads_odks_functions_as_the_server_does(phone: Visit) -> None:
    values = {"good": "rice", "sellers": "market_women shops", "price": "12.5", "empty": ""}
    root = Element("data")
    for name, text in [*values.items(), ("day", "2026-01-15")]:
        SubElement(root, name).text = text
    on_server = [is_true(rule, root, root[0]) for rule, _ in RULES]
    phone.open("/report")
    page = phone.page
    page.wait_for_function("window.CivicMap && CivicMap.formXPath")
    in_browser = page.evaluate(
        """([values, rules]) => {
          const x = CivicMap.formXPath, names = Object.keys(values).concat(['day']);
          const nodes = x.instance(names.map(n => '/data/' + n));
          names.forEach(n => { nodes['/data/' + n].textContent = values[n] || ''; });
          nodes['/data/day'].textContent = String(x.dayCount('2026-01-15'));
          return rules.map(r => x.test(r, nodes['/data/good'], null));
        }""",
        [values, [rule for rule, _ in RULES]],
    )
    expected = [holds for _, holds in RULES]
    assert on_server == expected
    assert in_browser == expected
