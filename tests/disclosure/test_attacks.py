"""Attacks on a live `civicmap serve`, on both backends, as an anonymous caller makes them.

Each attack measures what it learned: metres between its best estimate and the exact point of
a sensitive report (read from the database), or how often differencing told one person's
details. The limits asserted are the ones the README's threat model promises: nothing finer
than the public cell, and nothing of one person beyond the perturbation table's noise.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

import h3
import httpx
import pytest

from mapping.disclosure import cellkey
from tests.conftest import make_report
from tests.live import Server, ServerFactory

OBSERVED = "2026-01-15T09:30:00Z"
LEARNED: list[str] = []


@pytest.fixture(scope="module")
def server(database_url, engine, ghana_regions, tmp_path_factory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    factory = ServerFactory(database_url, tmp_path_factory.mktemp("attacks"))
    try:
        yield factory.start()
    finally:
        factory.cleanup()


@pytest.fixture(scope="module")
def http(server: Server, database_url: str) -> Iterator[httpx.Client]:
    """The attacker's client; at the end of the module, what every attack learned is printed
    (run with -s to see it)."""
    with server.client() as client:
        yield client
    print(f"\n[{database_url.split(':')[0]}] what the attacks learned:\n  " + "\n  ".join(LEARNED))
    LEARNED.clear()


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return h3.great_circle_distance((a[1], a[0]), (b[1], b[0]), unit="m")


def post(http: httpx.Client, **kw) -> dict:  # type: ignore[no-untyped-def, type-arg]
    response = http.post("/api/v1/reports", json=make_report(**kw))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def sensitive_at(http: httpx.Client, lon: float, lat: float) -> tuple[str, tuple[float, float]]:
    """A sensitive hotspot at the exact point; its id and its public centre."""
    report = post(http, kind="hotspot", lon=lon, lat=lat, sensitive=True, observed_at=OBSERVED)
    cell = h3.cell_to_parent(h3.latlng_to_cell(lat, lon, 15), 7)
    centre_lat, centre_lon = h3.cell_to_latlng(cell)
    return report["id"], (centre_lon, centre_lat)


def test_tiny_box_paging_learns_only_the_public_centre(http):
    """Boxes of 2 m around a grid of candidate points over the public cell, each asked with
    `limit=1` on the listing, OGC items and CSV: any sign of the report (a feature, a `next`
    link, a count) marks the candidate. The attacker's estimate is the mean of the marked ones."""
    exact = (-1.70731, 6.80313)
    report_id, centre = sensitive_at(http, *exact)
    d, step = 0.00001, 0.0015
    marked = []
    for i in range(-6, 7):
        for j in range(-6, 7):
            x, y = exact[0] + i * step, exact[1] + j * step
            box = f"{x - d},{y - d},{x + d},{y + d}"
            page = http.get(f"/api/v1/reports?bbox={box}&limit=1&kind=hotspot").json()
            ogc = http.get(f"/ogc/collections/reports/items?bbox={box}&limit=1").json()
            signs = (
                bool(page["features"])
                or any(link["rel"] == "next" for link in page["links"])
                or bool(ogc.get("numberMatched"))
            )
            if signs:
                marked.append((x, y))
    # The centre itself, which the public listing shows anyway.
    x, y = centre
    shown = http.get(f"/api/v1/reports?bbox={x - d},{y - d},{x + d},{y + d}").json()
    assert report_id in {f["id"] for f in shown["features"]}
    estimate = (
        (sum(p[0] for p in marked) / len(marked), sum(p[1] for p in marked) / len(marked))
        if marked
        else centre
    )
    error, public_error = metres(estimate, exact), metres(centre, exact)
    LEARNED.append(f"tiny-bbox paging: {error:.0f} m from the point ({public_error:.0f} m public)")
    assert marked == [], f"{len(marked)} candidates marked; estimate {error:.1f} m from the point"


def _explained(http: httpx.Client, probe: dict) -> bool:  # type: ignore[type-arg]
    """Whether a public report (other than the probe) lies within 50 m of it: then its flag
    says nothing that the listing does not."""
    lon, lat = probe["geometry"]["coordinates"]
    d = 0.001
    box = f"{lon - d},{lat - d},{lon + d},{lat + d}"
    listed = http.get(f"/api/v1/reports?bbox={box}&kind=hotspot&limit=1000").json()
    return any(
        f["id"] != probe["id"] and metres(tuple(f["geometry"]["coordinates"]), (lon, lat)) <= 50  # type: ignore[arg-type]
        for f in listed["features"]
    )


def test_duplicate_flag_probes_learn_nothing(http):
    """Probes of the same kind and time, 20 m from the exact point in eight directions, and one
    at the public centre. A flag that no public report explains would come from the sensitive
    one: there must be none."""
    exact = (-1.41177, 6.59121)
    _, centre = sensitive_at(http, *exact)
    points = [
        (
            exact[0] + 20 / 111_000 * math.cos(k * math.pi / 4) / math.cos(math.radians(exact[1])),
            exact[1] + 20 / 111_000 * math.sin(k * math.pi / 4),
        )
        for k in range(8)
    ]
    unexplained = []
    for lon, lat in [*points, centre]:
        probe = post(http, kind="hotspot", lon=lon, lat=lat, observed_at=OBSERVED)
        if "possible_duplicate" in probe["properties"]["quality"] and not _explained(http, probe):
            unexplained.append((lon, lat))
    LEARNED.append(
        f"duplicate-flag probes: {len(unexplained)} of 9 flags not explained by public reports"
    )
    assert unexplained == []


def test_hexagon_counts_recover_only_what_the_listing_shows(http):
    """Total minus `kind=`, parent minus children: whatever comes back equals a count of the
    public listing itself, so differencing recovers nothing that is not public."""
    box = "-1.9,6.4,-1.2,7.0"
    listing = http.get(f"/api/v1/reports?bbox={box}&limit=10000").json()["features"]
    by_cell: dict[str, int] = {}
    for f in listing:
        lon, lat = f["geometry"]["coordinates"]
        cell = h3.latlng_to_cell(lat, lon, 7)
        by_cell[cell] = by_cell.get(cell, 0) + 1
    hexes = http.get(f"/api/v1/aggregates/hexes?resolution=7&bbox={box}").json()["features"]
    published = {f["properties"]["h3"]: f["properties"]["reports"] for f in hexes}
    for cell, n in published.items():
        assert n == by_cell.get(cell, 0), cell
    LEARNED.append(f"hexagon differencing: {len(published)} counts, all equal to the listing's")


def _by_sex(http: httpx.Client, code: str, until: str) -> dict[str, int | None]:
    answer = http.get(f"/api/v1/indicators?level=1&kind=service&until={until}").json()
    area = next(a for a in answer["areas"] if a["code"] == code)
    return {g: v["n"] for g, v in area["sdg_16_6_2"]["by_sex"].items()}


def test_one_second_apart_answers_are_the_same(http):
    """`until` one second before and after a rating selects the same whole months."""
    lon, lat = -1.6012, 6.7123
    reporter = {"sex": "female", "age_group": "65+", "disability": True}
    rating = post(http, lon=lon, lat=lat, observed_at="2026-01-20T12:00:00Z", reporter=reporter)
    code = rating["properties"]["areas"]["1"]
    before = _by_sex(http, code, "2026-01-20T12:00:00Z")
    after = _by_sex(http, code, "2026-01-20T12:00:01Z")
    LEARNED.append(f"until one second apart: answers {'equal' if before == after else 'DIFFER'}")
    assert before == after


def test_five_ratings_from_one_sender_are_one_person(http):
    """Five ratings of one clinic from one anonymous sender publish as one contributor, whose
    perturbed count is below the threshold: not as n = 5 with all five of one description."""
    lon, lat = -0.8412, 10.7911  # Upper East: no other ratings in these tests
    reporter = {"sex": "female", "age_group": "65+", "disability": True}
    for minute in range(5):
        rating = post(
            http,
            lon=lon + minute * 0.00001,
            lat=lat,
            observed_at=f"2026-01-10T10:0{minute}:00Z",
            reporter=reporter,
        )
    code = rating["properties"]["areas"]["1"]
    answer = http.get("/api/v1/indicators?level=1&until=2026-02-01T00:00:00Z").json()
    figures = next(a for a in answer["areas"] if a["code"] == code)["sdg_16_6_2"]
    LEARNED.append(f"five posts of one sender: published n = {figures['n']}")
    assert figures["n"] != 5 and figures["by_sex"].get("female", {}).get("n") != 5


def test_differencing_one_rating_tells_its_sex_no_more_than_the_table_allows(http):
    """200 trials: one rating with a random sex is added between two answers. The attacker
    guesses the sex whose published n rose by exactly one (if just one did). Its hit rate must
    stay within what the perturbation table allows, and far from certainty."""
    rng = random.Random(11)
    table = cellkey.default_ptable()
    until = "2026-02-01T00:00:00Z"
    base = (-1.75, 6.55)
    code = None
    for _ in range(12):  # a base population, so groups are past the threshold
        point = (base[0] + rng.uniform(0, 0.3), base[1] + rng.uniform(0, 0.3))
        made = post(
            http,
            lon=point[0],
            lat=point[1],
            observed_at=OBSERVED,
            reporter={"sex": rng.choice(["female", "male"])},
        )
        code = made["properties"]["areas"]["1"]
    assert code is not None
    before = _by_sex(http, code, until)
    trials, hits = 200, 0
    for _ in range(trials):
        sex = rng.choice(["female", "male"])
        point = (base[0] + rng.uniform(0, 0.3), base[1] + rng.uniform(0, 0.3))
        made = post(http, lon=point[0], lat=point[1], observed_at=OBSERVED, reporter={"sex": sex})
        assert made["properties"]["areas"]["1"] == code
        after = _by_sex(http, code, until)
        rose = [g for g in ("female", "male") if (after.get(g) or 0) - (before.get(g) or 0) == 1]
        hits += rose == [sex]
        before = after
    # What the table allows: for counts of 5 or more (the base sees to it), the chance that a
    # count's noise moves so that n + 1 shows exactly one more than n, keys uniform.
    allowed = (
        sum(
            table.perturb(30, a) + 1 == table.perturb(31, a + b)
            for a in range(256)
            for b in range(256)
        )
        / 256**2
    )
    rate = hits / trials
    LEARNED.append(
        f"differencing one rating: sex told in {rate:.0%} of {trials} trials "
        f"(table allows {allowed:.0%})"
    )
    # Trials are not independent: a hit tells something about the cell key the next trial starts
    # from. Simulating this very process with the table, 20,000 runs of 200 trials spread wider
    # than a binomial (99.9th percentile 0.565, largest 0.605, at 5 binomial sd).
    assert rate <= allowed + 5 * math.sqrt(allowed * (1 - allowed) / trials)
    assert rate < 0.8
