"""The ingest benchmark's figures (bench/ingest.py): the rates of each side per repetition, and
the table and target lines printed from them."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench import common

BATCH = 5000  # the API's default batch limit, and the chunk of the bare insert
TARGET_RATIO = 0.40
TARGET_COPY_RATIO = 0.60  # PostGIS: full path against a bare COPY
TARGET_POSTGIS_RATE = 5000.0
TARGET_SURVEY_S = 3.0  # a 5,000-report survey batch on SpatiaLite
TARGET_WAIT_S = 1.0  # a moderator's PATCH sent during it
TARGET_HOLD_S = 0.25  # the longest a write transaction holds SQLite's lock, about


@dataclass
class Result:
    backend: str
    full: list[float]  # reports/s per repetition
    bare: list[float]
    copy: list[float] = field(default_factory=list)  # PostGIS only
    seconds: list[float] = field(default_factory=list)  # of the full path, per repetition
    waits: list[float] = field(default_factory=list)  # of the moderator's PATCHes meanwhile
    holds: list[float] = field(default_factory=list)  # write transactions, first write to commit

    @property
    def full_rate(self) -> float:
        return statistics.median(self.full)

    @property
    def bare_rate(self) -> float:
        return statistics.median(self.bare)

    @property
    def ratio(self) -> float:
        # Paired by repetition, so that a slow moment of the machine hits both sides alike.
        return common.paired_ratio(self.full, self.bare)

    @property
    def copy_rate(self) -> float | None:
        return statistics.median(self.copy) if self.copy else None

    @property
    def copy_ratio(self) -> float | None:
        return common.paired_ratio(self.full, self.copy) if self.copy else None


def print_table(results: Sequence[Result], *, count: int, repeat: int, seed: int) -> None:
    print(f"\ningest: {count:,} reports, batches of {BATCH:,}, median of {repeat} (seed {seed})")
    header = (
        f"{'backend':<11}{'full path/s':>12}{'bare insert/s':>15}{'full/bare':>11}"
        f"{'bare COPY/s':>13}{'full/COPY':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        copy_columns = f"{'-':>13}{'-':>11}"
        if r.copy_rate is not None and r.copy_ratio is not None:
            copy_columns = f"{r.copy_rate:>13,.0f}{r.copy_ratio:>11.1%}"
        print(
            f"{r.backend:<11}{r.full_rate:>12,.0f}{r.bare_rate:>15,.0f}{r.ratio:>11.1%}"
            f"{copy_columns}"
        )
    print("\ntargets (measured, target: verdict)")
    for r in results:
        _target(
            r.backend,
            "full path / bare insert",
            f"{r.ratio:.1%}",
            f">= {TARGET_RATIO:.0%}",
            r.ratio >= TARGET_RATIO,
        )
        if r.backend == "postgis":
            _target(
                r.backend,
                "full path",
                f"{r.full_rate:,.0f}/s",
                f">= {TARGET_POSTGIS_RATE:,.0f}/s",
                r.full_rate >= TARGET_POSTGIS_RATE,
            )
        if r.copy_ratio is not None:
            _target(
                r.backend,
                "full path / bare COPY",
                f"{r.copy_ratio:.1%}",
                f">= {TARGET_COPY_RATIO:.0%}",
                r.copy_ratio >= TARGET_COPY_RATIO,
            )
        if not r.waits:
            continue
        # The batches of a run are timed together; each is BATCH reports but maybe the last.
        per_batch = statistics.median(r.seconds) * min(BATCH, count) / count
        slowest = max(r.waits)
        print(
            f"  {r.backend:<11}survey: {len(r.waits)} PATCHes meanwhile, median "
            f"{statistics.median(r.waits):.3f} s; {len(r.holds)} batch transactions"
        )
        if r.backend == "spatialite" and count >= BATCH:
            _target(
                r.backend,
                f"survey batch of {min(BATCH, count):,}",
                f"{per_batch:.2f} s",
                f"< {TARGET_SURVEY_S:.0f} s",
                per_batch < TARGET_SURVEY_S,
            )
        _target(
            r.backend,
            "slowest PATCH during it",
            f"{slowest:.3f} s",
            f"<= {TARGET_WAIT_S:.0f} s",
            slowest <= TARGET_WAIT_S,
        )
        if r.backend == "spatialite":
            held = max(r.holds)
            _target(
                r.backend,
                "longest write-lock hold",
                f"{held * 1000:.0f} ms",
                f"<= {TARGET_HOLD_S * 1000:.0f} ms",
                held <= TARGET_HOLD_S,
            )


def _target(backend: str, what: str, measured: str, target: str, ok: bool) -> None:
    print(f"  {backend:<11}{what:<28}{measured:>12}  {target:<12}{_verdict(ok)}")


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"
