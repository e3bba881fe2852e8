"""Imports point inward: fronts never import each other; the core never imports a front."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# package -> top-level modules it must never import
FORBIDDEN = {
    "core": {"bot", "api", "cli", "aiogram", "fastapi", "starlette"},
    "knowledge": {"bot", "api", "cli", "retrieval", "aiogram", "fastapi"},
    "retrieval": {"bot", "api", "cli", "aiogram", "fastapi"},
    "bot": {"api", "cli", "fastapi"},
    "api": {"bot", "cli", "aiogram"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_inward(package: str) -> None:
    violations = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in sorted((REPO / package).rglob("*.py"))
        for name in _imports(path) & FORBIDDEN[package]
    ]
    assert violations == []


def test_the_rule_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from api.main import create_app\nimport aiogram\n", encoding="utf-8")
    assert _imports(bad) & FORBIDDEN["core"] == {"api", "aiogram"}
