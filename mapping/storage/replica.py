"""A PostgreSQL streaming replica beside the primary: whether a read may go to it.

A read may go to the replica when the replica is reachable, is no further behind the primary
than `max_lag_s`, and has replayed the WAL position the reader names (the primary's position
just after the reader's own last write), if any.

How far behind: every check notes the primary's flushed WAL position and the time, then asks the
replica how far it has replayed. The replica holds everything the primary had at the latest
noted time whose position it has replayed; the lag is the time since then. This measures what
a reader would miss, whatever the clocks of the two machines say: an idle primary makes no lag,
and a replica cut off from a busy primary falls behind even though it has replayed all it
received. A check is made every quarter of `max_lag_s`, or every second if that is sooner, in a
thread started by the read that finds the last one that old; reads decide on the last one,
which errs toward the primary, since the lag is counted up to the moment of each decision.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")
# After a failed check, the next waits this long, so that an unreachable replica costs one
# connection attempt per process now and then, not one per request.
RETRY_DOWN_S = 5.0


def parse_lsn(text: str | None) -> int | None:
    """A WAL position written as PostgreSQL writes it (`16/B374D848`), as a number; None for
    anything else."""
    match = _LSN.fullmatch(text or "")
    return (int(match[1], 16) << 32) + int(match[2], 16) if match else None


def format_lsn(position: int) -> str:
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


def wal_position(conn: Connection) -> int:
    """The primary's WAL insert position now: past the end of every committed transaction."""
    return int(conn.exec_driver_sql("SELECT pg_current_wal_insert_lsn() - '0/0'").scalar_one())


def _flushed(conn: Connection) -> int:
    """How far the primary's WAL is on disk, and so can be streamed to the replica."""
    return int(conn.exec_driver_sql("SELECT pg_current_wal_flush_lsn() - '0/0'").scalar_one())


def _replayed(conn: Connection) -> int | None:
    """How far the replica has replayed the primary's WAL; None when it is not a replica."""
    value = conn.exec_driver_sql("SELECT pg_last_wal_replay_lsn() - '0/0'").scalar()
    return None if value is None else int(value)


@dataclass(frozen=True, slots=True)
class _Seen:
    """What the last check found."""

    at: float  # when it was made (monotonic clock)
    replayed: int | None  # None: the replica could not be asked, or is none
    fresh_as_of: float | None  # the replica holds all the primary had then


class ReplicaMonitor:
    """Says whether a read may go to `replica` rather than `primary` (both PostgreSQL)."""

    def __init__(
        self,
        *,
        primary: Engine,
        replica: Engine,
        max_lag_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary, self.replica, self.max_lag_s, self.clock = primary, replica, max_lag_s, clock
        self.interval_s = min(1.0, max_lag_s / 4)
        self._seen = _Seen(at=-float("inf"), replayed=None, fresh_as_of=None)
        # The primary's positions noted by the checks, oldest first, as (time, position).
        self._noted: deque[tuple[float, int]] = deque()
        self._checking = threading.Lock()

    def due(self) -> bool:
        """Whether the last check is old enough for another (`check_soon`)."""
        seen = self._seen
        wait = self.interval_s if seen.replayed is not None else RETRY_DOWN_S
        return self.clock() - seen.at >= wait

    def usable(self, *, after: int | None = None) -> bool:
        """Whether a read may go to the replica: it answered the last check, lags at most
        `max_lag_s`, and has replayed WAL position `after` (the reader's last write), if given."""
        seen = self._seen
        if seen.replayed is None or seen.fresh_as_of is None:
            return False
        if after is not None and after > seen.replayed:
            return False
        return self.clock() - seen.fresh_as_of <= self.max_lag_s

    def forget(self) -> None:
        """Read the primary until the next check, which the next read makes (a read on the
        replica just failed)."""
        self._seen = _Seen(at=-float("inf"), replayed=None, fresh_as_of=self._seen.fresh_as_of)

    def check_soon(self) -> None:
        """Check in a thread of its own, unless a check is under way: the read that asks goes
        on with the last check, so that no read waits for an unreachable replica."""
        if self._checking.acquire(blocking=False):
            threading.Thread(target=self._check, name="replica check", daemon=True).start()

    def _check(self) -> None:
        """Note the primary's position, then ask the replica how far it has replayed."""
        try:
            self._seen = self._look()
        finally:
            self._checking.release()

    def _look(self) -> _Seen:
        now = self.clock()
        previous = self._seen.fresh_as_of
        try:
            with self.primary.connect() as conn:
                position = _flushed(conn)
            with self.replica.connect() as conn:
                replayed = _replayed(conn)
        except sa.exc.SQLAlchemyError as exc:
            log.warning(
                "read replica unreachable, reading the primary: %s", str(exc).split("\n")[0]
            )
            return _Seen(at=now, replayed=None, fresh_as_of=previous)
        if replayed is None:
            log.warning("the read database is not a replica (not in recovery); not reading it")
            return _Seen(at=now, replayed=None, fresh_as_of=None)
        self._noted.append((now, position))
        fresh_as_of = previous
        while self._noted and self._noted[0][1] <= replayed:
            fresh_as_of = self._noted.popleft()[0]
        # A position noted longer ago than the limit can no longer make the lag acceptable.
        while self._noted and self._noted[0][0] < now - self.max_lag_s - self.interval_s:
            self._noted.popleft()
        return _Seen(at=now, replayed=replayed, fresh_as_of=fresh_as_of)
