"""Promises about the codebase itself: layering, documented settings, CI running the README."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from mapping.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
WEB_LAYER = {"fastapi", "starlette", "jinja2", "folium", "uvicorn"}


def test_mapping_imports_no_web_framework() -> None:
    offenders = []
    for path in (ROOT / "mapping").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in WEB_LAYER]
    # `civicmap serve` starts uvicorn, and only inside that command.
    assert offenders == ["cli.py: uvicorn"]


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
