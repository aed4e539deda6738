"""The cell key method, as the ONS, ABS and Destatis publish flexible tables of people.

Every report gets a random record key (0-255) at ingest, stored and never published. A cell of
a table (a group of people counted together) has a cell key: the sum of its records' keys,
modulo 256. The published count is the true count plus the noise the perturbation table gives
for that count and cell key. So the same records always give the same answer, however often or
however worded the question, and two answers that differ by one person differ by noise, not by
that person. The table (ptables/, made by scripts/make_ptable) is documented in its README.

Counts above 750 reuse the table's rows 501-750, as ONS's `cell-key-perturbation` does; our
results equal that package's on the same records and table (tests/mapping/disclosure).
"""

from __future__ import annotations

import csv
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RECORD_KEY_MODULUS = 256
VERSION = "civicmap-ptable-v1"
TABLES = Path(__file__).with_name("ptables")
_LARGEST = 750


def new_record_key() -> int:
    """A record key for a new report: uniform on 0-255, from the OS's random source."""
    return secrets.randbelow(RECORD_KEY_MODULUS)


@dataclass(frozen=True, slots=True)
class PTable:
    """A perturbation table: noise by (count, cell key), for counts 1-750."""

    version: str
    noise: tuple[tuple[int, ...], ...]  # noise[count - 1][ckey]

    @classmethod
    def load(cls, version: str = VERSION) -> PTable:
        rows: dict[int, dict[int, int]] = {}
        with (TABLES / f"{version}.csv").open(newline="") as f:
            for row in csv.DictReader(f):
                rows.setdefault(int(row["pcv"]), {})[int(row["ckey"])] = int(row["pvalue"])
        noise = tuple(
            tuple(rows[pcv][ckey] for ckey in range(RECORD_KEY_MODULUS))
            for pcv in range(1, _LARGEST + 1)
        )
        return cls(version, noise)

    @property
    def max_noise(self) -> int:
        return max(abs(v) for row in self.noise for v in row)

    @property
    def variance_max(self) -> float:
        return max(sum(v * v for v in row) / RECORD_KEY_MODULUS for row in self.noise)

    def perturb(self, count: int, key_sum: int) -> int:
        """The published count of a cell of `count` records whose keys add up to `key_sum`."""
        if count <= 0:
            return 0
        pcv = count if count <= _LARGEST else (count - 1) % 250 + 501
        return max(0, count + self.noise[pcv - 1][key_sum % RECORD_KEY_MODULUS])


@cache
def default_ptable() -> PTable:
    return PTable.load()


def perturb(count: int, key_sum: int) -> int:
    """`count` through the default table."""
    return default_ptable().perturb(count, key_sum)


def protect(count: int, key_sum: int, threshold: int) -> int | None:
    """The published count, or None (suppressed) where the perturbed count is below
    `threshold`: ONS's publication threshold, applied after the noise."""
    published = perturb(count, key_sum)
    return None if threshold > 0 and published < threshold and count > 0 else published


def method(threshold: int) -> str:
    """The `method` words of an answer with protected counts."""
    table = default_ptable()
    return (
        f"Counts of people are perturbed by the cell key method (table {table.version}: noise "
        f"of at most {table.max_noise}, zero on average, no count published as 1 or 2); "
        f"perturbed counts below {threshold} are suppressed."
    )
