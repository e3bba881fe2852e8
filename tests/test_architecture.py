"""Imports point inward.

Fronts never import each other and the core never imports a front. Inside the back end the
layers are, bottom up (a module may import its own layer and the ones below, never above):

0. infrastructure: config, db, migrations runner, errors, text normalisation, input checks,
   audit log, outbox records
1. identity: users, units, roles
2. knowledge base
3. retrieval engine
4. use cases and the other domains (cases, initiatives, answers, feedback, ...), which the
   fronts call
"""

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

# Dotted module prefixes per layer; anything in core/ not listed is a use case (top layer).
LAYERS: list[tuple[str, ...]] = [
    (
        "core.config",
        "core.clock",
        "core.periodic",
        "core.db",
        "core.errors",
        "core.migrate",
        "core.text",
        "core.inputs",
        "core.files",
        "core.audit",
        "core.outbox.models",
        "core.outbox.buttons",
        "core.outbox.service",
    ),
    ("core.users",),
    ("knowledge",),
    ("retrieval",),
]
TOP = len(LAYERS)


def _imports(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _modules(path)}


def _modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def layer_of(module: str) -> int | None:
    """The layer of a back-end module (None: not part of the back end, e.g. a library)."""
    for level, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    return TOP if module == "core" or module.startswith("core.") else None


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_inward(package: str) -> None:
    violations = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in sorted((REPO / package).rglob("*.py"))
        for name in _imports(path) & FORBIDDEN[package]
    ]
    assert violations == []


@pytest.mark.parametrize("package", ["core", "knowledge", "retrieval"])
def test_layers_import_only_downward(package: str) -> None:
    violations = []
    for path in sorted((REPO / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        own = layer_of(_module_name(path))
        assert own is not None
        for name in _modules(path):
            level = layer_of(name)
            if level is not None and level > own:
                violations.append(f"{path.relative_to(REPO)} (layer {own}) imports {name}")
    assert violations == []


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from api.main import create_app\nimport aiogram\nfrom knowledge.models import Chunk\n",
        encoding="utf-8",
    )
    assert _imports(bad) & FORBIDDEN["core"] == {"api", "aiogram"}
    assert layer_of("core.db") == 0 and layer_of("knowledge.models") == 2
    assert max(layer_of(m) or 0 for m in _modules(bad)) > layer_of("core.users.service")  # type: ignore[operator]
