"""From a client's JSON to stored rows: one report, a batch, and placing stored reports again.

A report is checked in full before anything is written, so bad input stores nothing; a batch
stores its valid features and says, feature by feature, why the others were refused. The rows
come from mapping.reports.rows, and every write goes through mapping.reports.write.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Connection, Engine

from mapping.alerts import webhooks
from mapping.areas.index import AreaIndex
from mapping.disclosure.publish import public_place
from mapping.errors import ErrorItem, InvalidInput, error_items
from mapping.photos.upload import PhotoUpload
from mapping.reports import beaches, campaigns
from mapping.reports.batch_rows import BatchRows
from mapping.reports.rows import (
    Limits,
    client_id_for,
    content_hash,
    hash_secret,
    place_in_areas,
    to_row,
    validate_feature,
)
from mapping.reports.write import Submission, reused, same_submission, settle, write_once
from mapping.schemas import ReportCollection
from mapping.storage import dialect
from mapping.storage import photos as photo_store
from mapping.storage import reports as store
from mapping.storage.duplicates import flag_possible_duplicates
from mapping.storage.turns import turns

# A batch is written WRITE_STEP features at a time, and committed whenever its transaction has
# written for WRITE_BUDGET_S: SQLite's write lock is never held much longer than that, and the
# short writers waiting meanwhile go first (mapping.storage.turns), so a moderator's PATCH sent
# during a survey import answers within a second (bench/ingest.py --survey), while a batch
# still writes hundreds of rows per commit.
WRITE_STEP = 100
WRITE_BUDGET_S = 0.15
# PostgreSQL has no lock on the whole database, though writers of reports take turns at the
# tallies' lock until they commit (mapping.storage.tallies), so the budget ends its
# transactions too; its steps grow up to POSTGRES_WRITE_STEP as far as the budget allows,
# since one COPY of a thousand rows (and one run of the tallies' statement trigger, and one
# duplicate check) costs much less than ten of a hundred.
POSTGRES_WRITE_STEP = 1000


@dataclass(slots=True)
class BatchResult:
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)


def submit_report(
    engine: Engine,
    obj: Any,
    *,
    limits: Limits,
    idempotency_key: str | None = None,
    areas: AreaIndex | None = None,
    submitter: str | None = None,
    now: datetime | None = None,
    photos: PhotoUpload | None = None,
) -> Submission:
    """Store one report, or find it again when the same submission is replayed.

    Raises InvalidInput when the report breaks a rule, Conflict when its client id was used for
    other content. A new report comes back with its receipt, which is stored only as a hash.
    With `photos`, the report is stored with all its photos or not at all (mapping.photos.upload).
    """
    now = now or datetime.now(UTC)
    report = validate_feature(obj, limits=limits, now=now)
    beaches.check_named(engine, report.attributes)
    client_id = client_id_for(report, idempotency_key)
    row = to_row(report, client_id=client_id, received_at=now, limits=limits, submitter=submitter)
    place_in_areas(
        [row],
        [(report.feature.lon, report.feature.lat)],
        areas,
        public_resolution=limits.public_resolution,
    )
    receipt = secrets.token_urlsafe(24)
    row["receipt_hash"] = hash_secret(receipt)
    if photos is not None:
        row["content_hash"] = content_hash(report, photos.digests())
        row["photo_count"] = len(photos.files)
        # A replay is answered before any photo is decoded or written.
        with engine.connect() as conn:
            earlier = store.get_by_client_id(conn, client_id)
        if earlier is not None:
            return settle(earlier, row["content_hash"], created=False)
        photos.save(row["id"])

    def insert(conn: Connection) -> bool:
        campaigns.flag_reports(conn, [row])
        inserted = list(store.insert_rows(conn, [row]).values())
        if inserted and photos is not None:
            photo_store.insert_photos(conn, photos.rows(row["id"], now))
        flag_after_insert(conn, inserted, limits)
        if inserted and submitter is not None:
            since = now - timedelta(seconds=limits.burst_window_s)
            if store.recent_from(conn, submitter, since) > limits.burst_reports:
                store.add_flag(conn, inserted, "burst")
        webhooks.enqueue_reports(conn, [row] if inserted else [], now=now)
        return bool(inserted)

    try:
        result = write_once(
            engine,
            client_id=client_id,
            content_hash=row["content_hash"],
            insert=insert,
            read=store.get_by_client_id,
            receipt=receipt,
        )
    except BaseException:
        if photos is not None:
            photos.discard()
        raise
    if result.outcome == "duplicate" and photos is not None:
        photos.discard()
    return result


def submit_batch(
    engine: Engine,
    obj: Any,
    *,
    limits: Limits,
    areas: AreaIndex | None = None,
    submitter: str | None = None,
    now: datetime | None = None,
    source: str | None = None,
) -> BatchResult:
    """Store the valid features of a FeatureCollection; report on each. `source` names the
    recorded source of an import (None: reports sent here).

    They are written in several transactions of about WRITE_BUDGET_S each, so that a big batch
    never keeps other writers (a moderator, a volunteer's single report) waiting behind it for
    long; on PostgreSQL the features are checked and made into rows meanwhile, in a thread of
    their own (mapping.reports.batch_rows). A batch cut short by an error has stored whole
    transactions' worth; sent again, their features come back as duplicates, since every
    feature has its client id.

    A client id seen twice in one batch counts once: the repeat is a duplicate when its content
    is the same, and rejected otherwise, as it would be in two requests.
    """
    now = now or datetime.now(UTC)
    try:
        collection = ReportCollection.model_validate(obj)
    except ValidationError as exc:
        raise InvalidInput(
            "The batch is not a GeoJSON FeatureCollection.", error_items(exc)
        ) from None
    if len(collection.features) > limits.max_batch_features:
        raise InvalidInput(
            f"The batch has {len(collection.features)} features; "
            f"at most {limits.max_batch_features} are allowed, so split it.",
            [{"loc": ["features"], "msg": f"more than {limits.max_batch_features} features"}],
        )
    made = BatchRows(
        collection.features,
        limits=limits,
        areas=areas,
        submitter=submitter,
        now=now,
        source=source,
        unknown_beaches=beaches.unknown_codes(engine, beaches.batch_codes(collection.features)),
        # Not beside SQLite's writer: it holds the database's lock while it waits for Python's.
        parallel=not dialect.is_sqlite(engine),
    )
    with made:
        inserted, earlier = _write_in_turns(engine, made, limits, now)
    results, rows = made.results, made.rows

    for client_id, (index, row) in rows.items():
        stored = earlier.get(client_id)
        if client_id in inserted:
            results[index].update(id=str(row["id"]), outcome="created")
        elif stored is not None and same_submission(stored[1], row["content_hash"]):
            results[index].update(id=str(stored[0]), outcome="duplicate")
        else:
            results[index]["errors"] = [client_id_reused(index)]
    for index, client_id, digest in made.repeats:
        first_index, first_row = rows[client_id]
        first = results[first_index]
        if same_submission(digest, first_row["content_hash"]) and first["outcome"] != "rejected":
            results[index].update(id=first["id"], outcome="duplicate")
        else:
            results[index]["errors"] = [client_id_reused(index)]

    outcomes = Counter(r["outcome"] for r in results)
    return BatchResult(
        created=outcomes["created"],
        duplicates=outcomes["duplicate"],
        rejected=outcomes["rejected"],
        results=results,
    )


def _write_in_turns(
    engine: Engine, made: BatchRows, limits: Limits, now: datetime
) -> tuple[dict[uuid.UUID, int], dict[uuid.UUID, tuple[uuid.UUID, str]]]:
    """Store the rows of `made` as they come, a step at a time (`StepSize`), committing
    whenever a transaction has written for WRITE_BUDGET_S, or has written every row made so
    far: the client ids stored now with their seq, and the earlier reports of the other client
    ids.

    Each step's new rows are checked for possible duplicates in the transaction that stores
    them; on SQLite that is inside the time the budget measures (it holds the write lock)."""
    inserted: dict[uuid.UUID, int] = {}
    earlier: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
    sqlite = dialect.is_sqlite(engine)
    steps = StepSize(engine)
    written = False
    while step := made.take(steps.size, wait=True):
        if written and sqlite:
            turns(engine).let_short_writers_go()
        with engine.begin() as conn:
            started = time.monotonic()
            while step:
                step_started = time.monotonic()
                campaigns.flag_reports(conn, step)
                stored_now = store.insert_rows(conn, step)
                others = [row["client_id"] for row in step if row["client_id"] not in stored_now]
                earlier |= store.ids_by_client_id(conn, others)
                flag_after_insert(conn, list(stored_now.values()), limits)
                new_rows = [row for row in step if row["client_id"] in stored_now]
                webhooks.enqueue_reports(conn, new_rows, now=now)
                inserted |= stored_now
                written = True
                steps.took(len(step), time.monotonic() - step_started)
                if time.monotonic() - started >= WRITE_BUDGET_S:
                    break
                step = made.take(steps.size, wait=False)
    return inserted, earlier


class StepSize:
    """How many features a batch writes at once: WRITE_STEP on SQLite; on PostgreSQL as many
    as this machine wrote in WRITE_BUDGET_S in the step before, from WRITE_STEP up to
    POSTGRES_WRITE_STEP. A step is never cut, so a busy machine gets smaller steps and its
    transactions stay about as short as the budget says: others wait for their commit."""

    def __init__(self, bind: Engine | Connection) -> None:
        self._fixed = dialect.is_sqlite(bind)
        self.size = WRITE_STEP if self._fixed else min(WRITE_STEP, POSTGRES_WRITE_STEP)

    def took(self, rows: int, seconds: float) -> None:
        if self._fixed or rows < self.size:
            return  # a batch's last, short step says little
        fits = int(rows * WRITE_BUDGET_S / max(seconds, 1e-6))
        self.size = max(min(WRITE_STEP, POSTGRES_WRITE_STEP), min(POSTGRES_WRITE_STEP, fits))


def flag_after_insert(conn: Connection, seqs: list[int], limits: Limits) -> None:
    flag_possible_duplicates(
        conn, seqs, distance_m=limits.duplicate_distance_m, window_s=limits.duplicate_window_s
    )


def client_id_reused(index: int) -> ErrorItem:
    return reused(["features", index, "properties", "client_id"])


def reassign_areas(
    engine: Engine,
    index: AreaIndex | None,
    *,
    public_resolution: int,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Place every stored report again: its areas, and its public columns at
    `public_resolution` (after boundaries or that setting changed).

    Works through the reports in batches of `batch_size`, each in its own transaction, so it
    can run beside a live service; returns how many reports it placed.
    """
    done, after = 0, 0
    while True:
        with engine.begin() as conn:
            batch = store.located_batch(conn, after=after, size=batch_size)
            if not batch:
                return done
            rows = [_placed_again(r, public_resolution) for r in batch]
            place_in_areas(
                rows,
                [(r["lon"], r["lat"]) for r in batch],
                index,
                public_resolution=public_resolution,
            )
            store.update_placement(conn, rows)
        done += len(batch)
        after = batch[-1]["seq"]
        if progress:
            progress(len(batch))


def _placed_again(stored: Mapping[Any, Any], public_resolution: int) -> dict[str, Any]:
    place = public_place(
        stored["lon"],
        stored["lat"],
        stored["observed_at"],
        sensitive=stored["sensitive"],
        resolution=public_resolution,
    )
    row: dict[str, Any] = {
        "seq": stored["seq"],
        "sensitive": stored["sensitive"],
        "h3": stored["h3"],
        "quality": [flag for flag in stored["quality"] if flag != "outside_areas"],
        "public_geom": dialect.point_ewkt(place.lon, place.lat),
        "public_h3": place.h3,
        "public_observed_at": place.observed_at,
    }
    row.update(dict.fromkeys(store.PLACEMENT_COLUMNS[4:]))
    return row


def republish_if_needed(engine: Engine, index: AreaIndex | None, public_resolution: int) -> bool:
    """Place every report again if its public columns were made at another public resolution
    than `public_resolution` (or not yet: a new schema); whether it did.

    Until then a sensitive report would be shown as made public at another resolution, or (after
    the migration that added the public columns) nowhere, so the service does this before it
    answers anyone.
    """
    with engine.connect() as conn:
        if store.public_resolution_made(conn) == public_resolution:
            return False
    reassign_areas(engine, index, public_resolution=public_resolution)
    with engine.begin() as conn:
        store.set_public_resolution_made(conn, public_resolution)
    return True
