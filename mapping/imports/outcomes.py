"""What an import did with each row: created, duplicate, or refused with the reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RowOutcome:
    row: int
    outcome: str
    id: str | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    refused: int = 0
    outcomes: list[RowOutcome] = field(default_factory=list)

    def add(self, outcome: RowOutcome) -> None:
        self.rows += 1
        self.outcomes.append(outcome)
        if outcome.outcome == "created":
            self.created += 1
        elif outcome.outcome == "duplicate":
            self.duplicates += 1
        else:
            self.refused += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "duplicates": self.duplicates,
            "refused": self.refused,
            "results": [
                {"row": o.row, "outcome": o.outcome, "id": o.id, "reasons": o.reasons}
                for o in self.outcomes
            ],
        }
