"""Hot and cold spots of reports: Getis-Ord Gi* over H3 hexagons with k-ring neighbours.

Which hexagons enter: every hexagon of the study area (the analysed areas filled with cells,
as for coverage), with zero where no report fell. Gi* compares a neighbourhood's sum with what
the whole study area would give it, so the empty hexagons are part of the answer: leaving them
out would compare clusters only with other places that have reports. When no areas are stored
the study area falls back to the hexagons with reports and their k rings (said in the method).

The statistic (Ord and Getis 1995), binary weights with the hexagon itself included:
    z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n sum_j w_ij^2 - W_i^2) / (n - 1)))
with W_i = sum_j w_ij, xbar and S the mean and standard deviation of all n hexagons' counts.
p is two-sided: from conditional permutations (`permutation.py`) when `permutations` is set,
otherwise from the normal approximation, which counts that are mostly zeros make far too bold.
`fdr` replaces it, for the classes, by the Benjamini-Hochberg adjusted p-value. Computed
here with scipy.sparse rather than PySAL's esda: the same formula, but esda takes seconds to
import and builds its weights object slowly, for one sparse product (tests check this module,
permutation p-values included, against esda).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, stats

from mapping.analysis.hotspots.permutation import conditional_p

LEVELS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))
CLASSES = ("hot-99", "hot-95", "hot-90", "cold-99", "cold-95", "cold-90", "none")


@dataclass(frozen=True, slots=True)
class GiStar:
    """Per hexagon: z, two-sided p, the p the class is read from (BH-adjusted with fdr), the
    neighbourhood sum and the class. `p_folded` is esda's one-sided `p_sim` when p comes
    from permutations, else the one-sided normal p."""

    z: np.ndarray
    p: np.ndarray
    p_class: np.ndarray
    local_sum: np.ndarray
    classes: np.ndarray
    p_folded: np.ndarray


def gi_star(
    counts: np.ndarray,
    focal: np.ndarray,
    neighbour: np.ndarray,
    *,
    fdr: bool = False,
    permutations: int = 0,
    seed: int = 0,
) -> GiStar:
    """Gi* of `counts` (one per hexagon) with binary weights given as index pairs (focal,
    neighbour) that include each hexagon itself; p from `permutations` conditional draws
    seeded by `seed`, or from the normal approximation when it is 0. Hexagons whose z is
    undefined (no variation at all, or a neighbourhood that is the whole study area) get z 0
    and p 1."""
    x = np.asarray(counts, dtype=float)
    n = len(x)
    if n == 0:
        empty = np.zeros(0)
        return GiStar(empty, empty, empty, empty, np.zeros(0, dtype=object), empty)
    weights = sparse.csr_matrix((np.ones(len(focal)), (focal, neighbour)), shape=(n, n))
    local = weights @ x
    w = np.asarray(weights.sum(axis=1)).ravel()
    w2 = np.asarray(weights.multiply(weights).sum(axis=1)).ravel()
    mean = x.mean()
    spread = np.sqrt(max((x**2).mean() - mean**2, 0.0))
    denominator = spread * np.sqrt(np.maximum(n * w2 - w**2, 0.0) / max(n - 1, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(denominator > 0, (local - mean * w) / denominator, 0.0)
    if permutations:
        sim = conditional_p(x, local, w, permutations=permutations, seed=seed)
        p = np.where(denominator > 0, sim.p, 1.0)
        p_folded = np.where(denominator > 0, sim.p_folded, 1.0)
    else:
        p_folded = stats.norm.sf(np.abs(z))
        p = 2.0 * p_folded
    p_class = stats.false_discovery_control(p, method="bh") if fdr else p
    return GiStar(z, p, p_class, local, classify(z, p_class), p_folded)


def classify(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """`hot-99` ... `cold-90` by the smallest level that p is below, `none` otherwise."""
    out = np.full(len(z), "none", dtype=object)
    for alpha, label in reversed(LEVELS):  # widest first, so the strictest level wins
        hit = p < alpha
        out[hit & (z > 0)] = f"hot-{label}"
        out[hit & (z < 0)] = f"cold-{label}"
    return out
