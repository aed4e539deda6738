"""The cell key method against ONS's own package, and the perturbation table's promises."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cell_key_perturbation.create_perturbed_table import create_perturbed_table
from cell_key_perturbation.utils.generate_test_ptable import generate_ptable_10_5_rule

from mapping.disclosure import cellkey

ROOT = Path(__file__).resolve().parents[3]
TABLE = cellkey.TABLES / f"{cellkey.VERSION}.csv"


def _microdata(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "area": rng.choice(["GH-AA", "GH-AH", "GH-NP"], n, p=[0.90, 0.07, 0.03]),
            "sex": rng.choice(["female", "male", "not_stated"], n, p=[0.6, 0.38, 0.02]),
            "age_group": rng.choice(["18-29", "30-44", "65+"], n, p=[0.5, 0.45, 0.05]),
            "record_key": rng.integers(0, 256, n),
        }
    )


def _ours(data: pd.DataFrame, table: cellkey.PTable) -> dict[tuple[str, ...], int]:
    grouped = data.groupby(["area", "sex", "age_group"]).agg(
        n=("record_key", "size"), keys=("record_key", "sum")
    )
    return {
        key: table.perturb(int(n), int(keys))
        for key, n, keys in zip(grouped.index, grouped["n"], grouped["keys"], strict=True)
    }


def _ons(data: pd.DataFrame, ptable: pd.DataFrame) -> dict[tuple[str, ...], int]:
    out = create_perturbed_table(
        data=data,
        ptable=ptable,
        geog=["area"],
        tab_vars=["sex", "age_group"],
        record_key="record_key",
        threshold=0,
    )
    out = out[out["pre_sdc_count"] > 0]
    return {(r.area, r.sex, r.age_group): int(r["count"]) for _, r in out.iterrows()}


@pytest.mark.parametrize("seed", [1, 2])
def test_our_counts_equal_the_ons_packages_with_our_table(seed):
    # 5,000 records: the biggest cells pass 750, where the table's rows 501-750 are reused.
    data = _microdata(seed, 5000)
    assert _ours(data, cellkey.default_ptable()) == _ons(data, pd.read_csv(TABLE))


def test_our_counts_equal_the_ons_packages_with_its_own_table():
    """ONS's "10 and round to 5" table, made by the package itself, through our lookup."""
    frame = generate_ptable_10_5_rule()
    noise: dict[int, dict[int, int]] = {}
    for pcv, ckey, pvalue in frame[["pcv", "ckey", "pvalue"]].itertuples(index=False):
        noise.setdefault(int(pcv), {})[int(ckey)] = int(pvalue)
    table = cellkey.PTable(
        "ons-10-5", tuple(tuple(noise[p][k] for k in range(256)) for p in range(1, 751))
    )
    data = _microdata(3, 3000)
    assert _ours(data, table) == _ons(data, frame)


def test_the_table_keeps_its_promises():
    rows = list(csv.DictReader(TABLE.open()))
    seen = Counter((int(r["pcv"]), int(r["ckey"])) for r in rows)
    assert len(seen) == 750 * 256 and set(seen.values()) == {1}
    table = cellkey.default_ptable()
    for count in range(1, 751):
        noise = table.noise[count - 1]
        assert sum(noise) == 0, f"count {count} is biased"
        published = {count + v for v in noise}
        assert not published & {1, 2}, f"count {count} can be published as 1 or 2"
        assert min(published) >= 0
    assert table.max_noise == 3
    assert table.variance_max == pytest.approx(520 / 256)


def test_the_script_writes_the_committed_table(tmp_path):
    out = tmp_path / "table.csv"
    subprocess.run([sys.executable, str(ROOT / "scripts/make_ptable"), str(out)], check=True)
    assert out.read_bytes() == TABLE.read_bytes()


def test_the_same_records_give_the_same_answer_and_zero_stays_zero():
    assert cellkey.perturb(0, 123) == 0
    assert {cellkey.perturb(17, 4000) for _ in range(5)} == {cellkey.perturb(17, 4000)}
    assert cellkey.protect(1, 0, threshold=5) is None  # 1 -> 0: suppressed, not "zero people"
    assert cellkey.protect(40, 7, threshold=5) == cellkey.perturb(40, 7)


def test_one_more_person_shows_as_one_no_more_often_than_the_table_allows():
    """Differencing two answers that differ by one record: how often does the difference
    equal the truth (+1)? Over 2,000 random cells it must match the rate the table implies,
    and that rate is far from certainty."""
    rng = np.random.default_rng(7)
    table = cellkey.default_ptable()
    trials, hits, implied = 2000, 0, 0.0
    for _ in range(trials):
        n = int(rng.integers(1, 60))
        keys = rng.integers(0, 256, n)
        added = int(rng.integers(0, 256))
        before = table.perturb(n, int(keys.sum()))
        after = table.perturb(n + 1, int(keys.sum()) + added)
        hits += after - before == 1
        # With the keys uniform, the chance that the difference is +1 for this n:
        implied += sum(
            (table.perturb(n + 1, a + b) - table.perturb(n, a)) == 1
            for a in range(256)
            for b in range(0, 256, 16)
        ) / (256 * 16)
    rate, expected = hits / trials, implied / trials
    assert abs(rate - expected) < 4 * (expected * (1 - expected) / trials) ** 0.5 + 0.01
    assert expected < 0.75
