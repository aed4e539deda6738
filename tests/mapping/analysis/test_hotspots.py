"""Getis-Ord Gi* against a plain implementation of Ord and Getis's formula, against PySAL's
esda, and on planted clusters; classes and the false-discovery-rate correction."""

from __future__ import annotations

import math

import h3
import numpy as np
import pytest

from mapping import hexgrid
from mapping.analysis.hotspots.gistar import classify, gi_star


def _hexagons(k: int = 4) -> list[int]:
    centre = h3.latlng_to_cell(7.0, -1.5, 7)
    return sorted(h3.str_to_int(c) for c in h3.grid_disk(centre, k))


def _rings(cells: list[int], k: int) -> list[list[int]]:
    """Each cell's neighbours (itself included) as indices, from h3 directly."""
    where = {c: i for i, c in enumerate(cells)}
    return [
        [
            where[h3.str_to_int(n)]
            for n in h3.grid_disk(h3.int_to_str(c), k)
            if h3.str_to_int(n) in where
        ]
        for c in cells
    ]


def _plain_gi_star(x: list[float], rings: list[list[int]]) -> list[float]:
    """Ord & Getis (1995) eq. for Gi*, binary weights, written out as in the textbooks."""
    n = len(x)
    mean = sum(x) / n
    s = math.sqrt(sum(v * v for v in x) / n - mean * mean)
    out = []
    for ring in rings:
        w = len(ring)  # sum of weights; each weight is 1, so sum of squares is w too
        local = sum(x[j] for j in ring)
        out.append((local - mean * w) / (s * math.sqrt((n * w - w * w) / (n - 1))))
    return out


def _pairs(rings: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    focal = np.array([i for i, ring in enumerate(rings) for _ in ring])
    neighbour = np.array([j for ring in rings for j in ring])
    return focal, neighbour


@pytest.mark.parametrize("k", [1, 2])
def test_gi_star_equals_the_formula_written_out(k):
    cells = _hexagons()
    rings = _rings(cells, k)
    counts = np.random.default_rng(k).poisson(2.0, len(cells)).astype(float)
    got = gi_star(counts, *_pairs(rings))
    assert got.z == pytest.approx(_plain_gi_star(counts.tolist(), rings), abs=1e-9)
    assert got.local_sum.tolist() == [sum(counts[j] for j in ring) for ring in rings]
    assert got.p == pytest.approx([math.erfc(abs(z) / math.sqrt(2)) for z in got.z], abs=1e-12)


def test_gi_star_equals_esda():
    esda = pytest.importorskip("esda")
    graph = pytest.importorskip("libpysal.graph")
    cells = _hexagons(5)
    rings = _rings(cells, 1)
    counts = np.random.default_rng(5).negative_binomial(2, 0.4, len(cells)).astype(float)
    focal, neighbour = _pairs(rings)
    without_self = focal != neighbour
    weights = graph.Graph.from_arrays(
        focal[without_self], neighbour[without_self], np.ones(without_self.sum())
    )
    theirs = esda.G_Local(counts, weights, transform="B", star=True, permutations=0)
    ours = gi_star(counts, focal, neighbour)
    assert ours.z == pytest.approx(theirs.Zs, abs=1e-9)
    # esda's p_norm is one-sided; ours is two-sided.
    assert ours.p == pytest.approx(2 * theirs.p_norm, abs=1e-12)


def test_neighbour_pairs_are_the_k_rings_within_the_set():
    cells = _hexagons(3)
    array = np.array(cells, dtype=np.uint64)
    focal, neighbour = hexgrid.neighbour_pairs(array, 2)
    got = [sorted(neighbour[focal == i].tolist()) for i in range(len(cells))]
    assert got == [sorted(r) for r in _rings(cells, 2)]


def test_a_planted_cluster_is_hot_and_the_rest_is_not():
    cells = _hexagons(6)
    rings = _rings(cells, 1)
    centre = cells.index(h3.str_to_int(h3.latlng_to_cell(7.0, -1.5, 7)))
    counts = np.random.default_rng(0).poisson(1.0, len(cells)).astype(float)
    counts[rings[centre]] += 12
    result = gi_star(counts, *_pairs(rings))
    assert result.classes[centre] == "hot-99" and result.z[centre] > 5
    far = [
        i
        for i in range(len(cells))
        if h3.grid_distance(h3.int_to_str(cells[i]), h3.int_to_str(cells[centre])) >= 4
    ]
    assert all(result.classes[i] in ("none", "cold-90", "cold-95") for i in far)


def test_a_planted_hole_is_cold():
    cells = _hexagons(6)
    rings = _rings(cells, 1)
    centre = len(cells) // 2
    counts = np.full(len(cells), 6.0) + np.random.default_rng(1).integers(0, 2, len(cells))
    counts[rings[centre]] = 0
    result = gi_star(counts, *_pairs(rings))
    assert result.classes[centre] == "cold-99"


def test_no_variation_gives_no_spots():
    cells = _hexagons(2)
    result = gi_star(np.full(len(cells), 3.0), *_pairs(_rings(cells, 1)))
    assert set(result.classes) == {"none"} and np.all(result.z == 0) and np.all(result.p == 1)


def test_classes_by_confidence():
    z = np.array([3.0, 2.2, 1.7, 1.0, -1.7, -2.2, -3.0])
    p = np.array([0.002, 0.03, 0.08, 0.3, 0.08, 0.03, 0.002])
    assert classify(z, p).tolist() == [
        "hot-99",
        "hot-95",
        "hot-90",
        "none",
        "cold-90",
        "cold-95",
        "cold-99",
    ]


def test_fdr_uses_benjamini_hochberg_adjusted_p():
    # Each hexagon its own neighbourhood, so z is the standardised count and the
    # adjustment can be checked against Benjamini and Hochberg's step-up written out.
    counts = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 9.0])
    idx = np.arange(len(counts))
    plain = gi_star(counts, idx, idx)
    fdr = gi_star(counts, idx, idx, fdr=True)
    order = np.argsort(plain.p)
    m = len(counts)
    adjusted = np.minimum.accumulate((plain.p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    want = np.empty(m)
    want[order] = np.minimum(adjusted, 1)
    assert fdr.p_class == pytest.approx(want)
    assert np.all(fdr.p_class >= plain.p - 1e-15)
    assert fdr.p == pytest.approx(plain.p)


def _esda_graph(focal: np.ndarray, neighbour: np.ndarray):  # type: ignore[no-untyped-def]
    graph = pytest.importorskip("libpysal.graph")
    without_self = focal != neighbour
    return graph.Graph.from_arrays(
        focal[without_self], neighbour[without_self], np.ones(without_self.sum())
    )


@pytest.mark.parametrize("values", ["continuous", "counts"])
def test_permutation_p_agrees_with_esda_within_monte_carlo_error(values):
    esda = pytest.importorskip("esda")
    cells = _hexagons(6)
    focal, neighbour = _pairs(_rings(cells, 1))
    rng = np.random.default_rng(7)
    if values == "continuous":
        x = rng.gamma(2.0, 3.0, len(cells))
    else:
        x = rng.negative_binomial(1, 0.5, len(cells)).astype(float)
        x[:12] += 6  # a cluster, so that some p are small
    theirs = esda.G_Local(
        x, _esda_graph(focal, neighbour), transform="B", star=True, permutations=999, seed=3
    )
    ours = gi_star(x, focal, neighbour, permutations=999, seed=11)
    # Two independent estimates of one p, each with P = 999 draws: their difference has
    # standard deviation sqrt(2 p (1 - p) / 999). Four of those, and the 1/1000 floor.
    sd = np.sqrt(2 * theirs.p_sim * (1 - theirs.p_sim) / 999)
    assert np.all(np.abs(ours.p_folded - theirs.p_sim) <= 4 * sd + 2 / 1000)
    assert ours.p_folded.min() < 0.01  # the check covers small p, not only p near 0.5


def test_permutation_p_is_repeatable_and_depends_on_the_seed():
    cells = _hexagons(4)
    pairs = _pairs(_rings(cells, 1))
    x = np.random.default_rng(2).poisson(1.5, len(cells)).astype(float)
    first = gi_star(x, *pairs, permutations=199, seed=1)
    assert np.array_equal(first.p, gi_star(x, *pairs, permutations=199, seed=1).p)
    assert not np.array_equal(first.p, gi_star(x, *pairs, permutations=199, seed=2).p)


def test_sparse_counts_are_not_all_hot_under_permutation():
    # Three reports in a wide empty area: the normal approximation calls every hexagon
    # around them hot at 99%; the permutation test sees that three reports could fall
    # together by chance, and an empty neighbourhood is no cold spot.
    cells = _hexagons(8)
    rings = _rings(cells, 2)
    pairs = _pairs(rings)
    x = np.zeros(len(cells))
    x[rings[len(cells) // 2][:3]] = 1.0
    normal = gi_star(x, *pairs)
    permuted = gi_star(x, *pairs, permutations=999, seed=0, fdr=True)
    assert (normal.classes == "hot-99").sum() >= 10
    assert (permuted.classes == "hot-99").sum() == 0
    assert not any(str(c).startswith("cold") for c in permuted.classes)
    assert np.all((permuted.p > 0) & (permuted.p <= 1))
