"""Moderation: status changes with a note, each kept in an audit log of who, what, when, why."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.engine import Connection, Engine, RowMapping

from mapping.alerts import webhooks
from mapping.errors import InvalidInput, NotFound, error_items
from mapping.keys import Principal
from mapping.schemas import Text
from mapping.storage import reports as report_store
from mapping.storage import trust as trust_store
from mapping.storage.reports import EXACT, PUBLIC, Placement
from mapping.storage.tables import AREA_LEVELS, reports

Status = Literal["pending", "verified", "rejected", "duplicate", "hidden"]


class ModerationChange(BaseModel):
    """What a moderator may change; anything else in the body is refused."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    note: Annotated[Text, Field(max_length=2000)] | None = None
    duplicate_of: uuid.UUID | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ModerationChange:
        if self.status is None and self.note is None:
            raise ValueError("give a status, a note, or both")
        if self.duplicate_of is not None and self.status not in ("duplicate", None):
            raise ValueError("duplicate_of goes with status 'duplicate'")
        if self.status == "duplicate" and self.duplicate_of is None:
            raise ValueError("status 'duplicate' needs duplicate_of, the id of the original")
        return self


def parse_change(obj: Any) -> ModerationChange:
    try:
        return ModerationChange.model_validate(obj)
    except ValidationError as exc:
        raise InvalidInput("The moderation change is not valid.", error_items(exc)) from None


def moderate(
    engine: Engine,
    report_id: uuid.UUID,
    change: ModerationChange,
    *,
    actor: Principal,
    placement: Placement,
) -> RowMapping:
    """Apply `change` to the report and log it; the report as it now is, read with
    `placement` (the moderator's view)."""
    with engine.begin() as conn:
        row = report_store.get_report(conn, report_id, placement=EXACT)
        if row is None:
            raise NotFound(f"There is no report with id {report_id}.")
        values: dict[str, Any] = {}
        changes: dict[str, Any] = {}
        if change.status is not None and change.status != row["status"]:
            values["status"] = change.status
            changes["status"] = {"from": row["status"], "to": change.status}
        if change.duplicate_of is not None:
            original = report_store.get_report(conn, change.duplicate_of, placement=EXACT)
            if change.duplicate_of == report_id or original is None:
                raise InvalidInput(
                    "duplicate_of must be the id of another stored report.",
                    [{"loc": ["duplicate_of"], "msg": "no such other report"}],
                )
            if change.duplicate_of != row["duplicate_of"]:
                values["duplicate_of"] = change.duplicate_of
                previous = row["duplicate_of"] and str(row["duplicate_of"])
                changes["duplicate_of"] = {"from": previous, "to": str(change.duplicate_of)}
        if change.note is not None and change.note != row["status_note"]:
            values["status_note"] = change.note
            changes["note"] = {"from": row["status_note"], "to": change.note}
        if values:
            conn.execute(sa.update(reports).where(reports.c.id == report_id).values(**values))
        trust_store.add_audit(
            conn,
            report_id=report_id,
            actor_id=actor.key_id,
            actor_name=actor.name,
            changes=changes,
            note=change.note,
        )
        updated = report_store.get_report(conn, report_id, placement=EXACT)
        assert updated is not None
        # Subscribers see status and duplicate_of, not the note: only those changes are news.
        if "status" in values or "duplicate_of" in values:
            # Subscribers are the public: their filters match the public areas.
            before = {**row, **_public_areas(conn, report_id)}
            webhooks.enqueue_change(
                conn, before, {**updated, **_public_areas(conn, report_id)}, now=datetime.now(UTC)
            )
        if placement is not EXACT:
            updated = report_store.get_report(conn, report_id, placement=placement)
            assert updated is not None
    return updated


def _public_areas(conn: Connection, report_id: uuid.UUID) -> dict[str, Any]:
    public = report_store.get_report(conn, report_id, placement=PUBLIC)
    assert public is not None
    return {f"public_area_{level}": public[f"area_{level}"] for level in AREA_LEVELS}
