"""A PostgreSQL streaming replica of the test cluster, for tests of CIVICMAP_READ_DATABASE_URL:
copied with `pg_basebackup -R` into a temporary folder and run with pg_ctl on a free port of this
machine, as the `postgres` OS user when the tests run as root (PostgreSQL refuses root).

The replica streams through a replication slot of its own, so that the primary keeps the WAL it
has not received yet: other test modules and benchmarks write a lot, and a checkpoint would
otherwise remove WAL the new replica still needs. The slot is dropped with the replica; a slot
left by a run that was killed is dropped by the next run, once an hour old and unused.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import IN_CI
from tests.live import free_port

SLOT_PREFIX = "civicmap_test_replica_"
STALE_SLOT_S = 3600


def unavailable(message: str) -> None:
    """A skip, but in CI, where the replica test must run: a failure."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


class Standby:
    """A streaming replica of the cluster at `admin_url`, in a temporary folder."""

    def __init__(self, admin_url: str) -> None:
        self.admin = make_url(admin_url)
        self.as_server = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.bin = self._bindir()
        self.slot = f"{SLOT_PREFIX}{int(time.time())}_{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="civicmap-replica-"))
        self.data = self.folder / "data"
        if self.as_server:
            shutil.chown(self.folder, "postgres")

    def _admin(self, statement: str, **params: str) -> list[str]:
        engine = sa.create_engine(self.admin, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                return [str(v) for v in conn.execute(sa.text(statement), params).scalars()]
        finally:
            engine.dispose()

    def _bindir(self) -> Path:
        major = int(self._admin("SHOW server_version_num")[0]) // 10000
        debian = Path(f"/usr/lib/postgresql/{major}/bin")
        if debian.is_dir():
            return debian
        found = shutil.which("pg_ctl")
        if found is None:
            unavailable("pg_ctl is not installed; scripts/setup --test installs PostgreSQL")
        return Path(str(found)).parent

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.as_server, *command], capture_output=True, text=True, check=False, timeout=300
        )

    def _unused_slots(self) -> list[str]:
        return self._admin(
            "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE :like AND NOT active",
            like=SLOT_PREFIX.replace("_", r"\_") + "%",
        )

    def _drop_slot(self, name: str) -> None:
        self._admin("SELECT pg_drop_replication_slot(:name)", name=name)

    def _drop_stale_slots(self) -> None:
        for name in self._unused_slots():
            made = name.removeprefix(SLOT_PREFIX).split("_")[0]
            if made.isdigit() and time.time() - int(made) > STALE_SLOT_S:
                self._drop_slot(name)

    def start(self) -> None:
        self._drop_stale_slots()
        copy = self._run(
            "env",
            f"PGPASSWORD={self.admin.password or ''}",
            str(self.bin / "pg_basebackup"),
            f"--host={self.admin.host or '127.0.0.1'}",
            f"--port={self.admin.port or 5432}",
            f"--username={self.admin.username}",
            f"--pgdata={self.data}",
            "--write-recovery-conf",
            "--checkpoint=fast",
            "--wal-method=stream",
            "--create-slot",
            f"--slot={self.slot}",
            "--no-password",
        )
        if copy.returncode != 0:
            unavailable(
                "pg_basebackup could not copy the test cluster (`scripts/setup --test` lets "
                f"{self.admin.username} replicate from 127.0.0.1): {copy.stderr.strip()}"
            )
        # Debian keeps these beside the cluster, not in it: the copy needs its own.
        settings = (
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.folder}'\nhot_standby = on\n"
        )
        files = {
            "postgresql.conf": settings,
            "pg_hba.conf": "host all all 127.0.0.1/32 scram-sha-256\n",
            "pg_ident.conf": "",
        }
        for name, text in files.items():
            (self.data / name).write_text(text)
            if self.as_server:
                shutil.chown(self.data / name, "postgres")
        started = self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"),
            "-w", "-t", "120", "start",
        )  # fmt: skip
        if started.returncode != 0:
            log = (self.folder / "log").read_text() if (self.folder / "log").exists() else ""
            pytest.fail(f"the replica did not start: {started.stderr}{started.stdout}{log}")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
        # The primary's sender lets go of the slot a moment after the replica stops.
        deadline = time.monotonic() + 30
        while self._admin("SELECT 1 FROM pg_replication_slots WHERE slot_name = :n", n=self.slot):
            if self.slot in self._unused_slots():
                self._drop_slot(self.slot)
            elif time.monotonic() > deadline:
                pytest.fail(f"the replication slot {self.slot} stays in use; drop it")
            else:
                time.sleep(0.2)

    def url(self, database_url: str) -> str:
        return (
            make_url(database_url)
            .set(host="127.0.0.1", port=self.port)
            .render_as_string(hide_password=False)
        )
