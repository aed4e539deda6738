"""Promises about the codebase itself: its rooms and layers, documented settings, CI running the
README."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from mapping.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
LONGEST_MODULE = 400


def test_import_contracts_hold() -> None:
    """The layers declared in pyproject.toml ([tool.importlinter]), checked by import-linter."""
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_every_room_says_what_it_holds() -> None:
    rooms = [p for p in (ROOT / "mapping").iterdir() if p.name != "__pycache__"]
    assert len(rooms) <= 20, sorted(p.name for p in rooms)
    for init in (ROOT / "mapping").rglob("__init__.py"):
        if "migrations" in init.parts:
            continue
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc, f"{init.relative_to(ROOT)} has no docstring saying what lives there"


def test_no_module_is_too_long_to_read() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {n} lines"
        for package in ("mapping", "api", "web")
        for path in (ROOT / package).rglob("*.py")
        if "versions" not in path.parts
        and (n := len(path.read_text().splitlines())) > LONGEST_MODULE
    ]
    assert long == []


def test_settings_are_read_only_where_the_app_and_cli_are_built() -> None:
    readers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "mapping").rglob("*.py")
        if re.search(r"\bSettings\(", path.read_text())
    )
    assert readers == ["mapping/cli/main.py", "mapping/settings.py"]


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        f"CIVICMAP_{name.upper()}"
        for name in Settings.model_fields
        if f"CIVICMAP_{name.upper()}" not in readme
    ]
    assert missing == []


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:sh|bash)?\n(.*?)```", readme, re.S)
    assert block, "README.md opens with a command block"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_ci_runs_the_readme_test_command() -> None:
    run, test = _readme_commands()[:2]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "serve" in run
    assert test in ci.splitlines(), f"{test!r} is not a line of .ci/run"
