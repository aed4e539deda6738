"""A real `civicmap serve` in a subprocess, for tests that need the service as users run it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

HOST = "127.0.0.1"
READY_TIMEOUT_S = 60.0  # the app imports for a few seconds; CI machines are slow
EXIT_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 20.0
CIVICMAP = Path(sys.executable).with_name("civicmap")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


@dataclass
class Server:
    """One running `civicmap serve` process."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def client(self, headers: dict[str, str] | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers=headers, timeout=REQUEST_TIMEOUT_S, trust_env=False
        )

    def kill(self) -> None:
        """SIGKILL, then wait until the process is gone."""
        os.kill(self.pid, signal.SIGKILL)
        try:
            self.process.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
            pytest.fail(f"server {self.pid} still running {EXIT_TIMEOUT_S} s after SIGKILL")
        assert self.process.returncode == -signal.SIGKILL


@dataclass
class ServerFactory:
    """Starts servers on one database and stops them all at the end."""

    database_url: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    started: list[Server] = field(default_factory=list)

    def start(self, *options: str) -> Server:
        """Start `civicmap serve` (with `options`, such as `--workers 2`) on a free port and
        wait until /readyz answers 200."""
        port = free_port()
        log = self.workdir / f"server-{len(self.started)}-{port}.log"
        env = {
            **os.environ,
            "CIVICMAP_DATABASE_URL": self.database_url,
            # Tests write a lot in a short time: keep the write quotas out of the way.
            "CIVICMAP_ANONYMOUS_WRITES_PER_MINUTE": "1000000",
            "CIVICMAP_KEY_WRITES_PER_MINUTE": "1000000",
            **self.env,
        }
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(CIVICMAP), "serve", "--host", HOST, "--port", str(port), *options],
                env=env,
                cwd=self.workdir,  # no stray `.env` from the working directory
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(process, f"http://{HOST}:{port}", log)
        self.started.append(server)
        self._wait_ready(server)
        return server

    def _wait_ready(self, server: Server) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        last = "no answer"
        with server.client() as client:
            while time.monotonic() < deadline:
                if server.process.poll() is not None:
                    pytest.fail(
                        f"civicmap serve exited with {server.process.returncode} before it was "
                        f"ready; log {server.log}:\n{tail(server.log)}"
                    )
                try:
                    response = client.get("/readyz", timeout=2.0)
                except httpx.TransportError as exc:
                    last = repr(exc)
                else:
                    if response.status_code == 200:
                        return
                    last = f"{response.status_code} {response.text[:300]}"
                time.sleep(0.1)
        pytest.fail(
            f"civicmap serve not ready after {READY_TIMEOUT_S} s (last: {last}); "
            f"log {server.log}:\n{tail(server.log)}"
        )

    def cleanup(self) -> None:
        for server in self.started:
            if server.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.process.wait(timeout=EXIT_TIMEOUT_S)
