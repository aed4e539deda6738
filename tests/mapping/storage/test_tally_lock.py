"""Writers of reports on PostgreSQL take the tallies' lock before any report row: a transaction
that changes reports in several statements (republishing, area assignment) and a moderator's
change to one of its later reports wait for each other instead of deadlocking."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from tests.conftest import make_report


def test_two_writers_of_the_same_reports_wait_instead_of_deadlocking(client, engine):
    for i in range(2):
        sent = client.post("/api/v1/reports", json=make_report(lon=-0.18 + 0.01 * i))
        assert sent.status_code == 201, sent.text
    with engine.connect() as conn:
        first, second = conn.scalars(sa.text("SELECT seq FROM reports ORDER BY seq")).all()[-2:]
    update = "UPDATE reports SET status = :status WHERE seq = :seq"
    failures: list[Exception] = []

    def moderator() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(update), {"status": "hidden", "seq": second})
        except Exception as exc:
            failures.append(exc)

    with engine.connect() as conn, conn.begin():
        conn.execute(sa.text(update), {"status": "verified", "seq": first})
        other = threading.Thread(target=moderator)
        other.start()
        time.sleep(1)  # the moderator's change now waits for this transaction
        try:
            conn.execute(sa.text(update), {"status": "verified", "seq": second})
        except Exception as exc:
            failures.append(exc)
    other.join()
    assert failures == []
