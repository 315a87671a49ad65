"""Dependencies point inward: the domain, the challenge types and the services import no framework.

Walks the syntax tree of every module (so imports inside functions and ``TYPE_CHECKING`` blocks are
seen too) and fails on a direct import of a web framework, the ORM, Redis, templates, Babel or the
web layer. ``services`` importing ``kizuna.storage`` is an allowed, documented exception (see
docs/architecture.md: services hold ORM rows but never import SQLAlchemy themselves).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "kizuna"
FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "redis", "jinja2", "babel", "kizuna.web")
# Inner layers must not reach outward either.
OUTWARD = {
    "domain": ("kizuna.challenge_types", "kizuna.services", "kizuna.storage", "kizuna.bus", "kizuna.cli"),
    "challenge_types": ("kizuna.services", "kizuna.storage", "kizuna.bus", "kizuna.cli"),
    "services": ("kizuna.cli", "kizuna.demo"),
}
LAYERS = tuple(OUTWARD)


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, root: Path = SRC) -> list[tuple[int, str]]:
    """Every module this file imports, as absolute dotted names, with line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # ``from kizuna import web`` imports kizuna.web.
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def matches(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_has_modules(layer: str) -> None:
    assert modules(layer), f"src/kizuna/{layer} has no modules: is the walk looking in the right place?"


@pytest.mark.parametrize("layer", LAYERS)
def test_inner_layers_import_no_framework(layer: str) -> None:
    bad = [
        f"{path.relative_to(SRC)}:{line} imports {name}"
        for path in modules(layer)
        for line, name in imports(path)
        if matches(name, FORBIDDEN)
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("layer", LAYERS)
def test_inner_layers_do_not_reach_outward(layer: str) -> None:
    bad = [
        f"{path.relative_to(SRC)}:{line} imports {name}"
        for path in modules(layer)
        for line, name in imports(path)
        if matches(name, OUTWARD[layer])
    ]
    assert not bad, "\n".join(bad)


def test_the_walk_sees_every_kind_of_import(tmp_path: Path) -> None:
    pkg = tmp_path / "kizuna" / "services"
    pkg.mkdir(parents=True)
    probe = pkg / "probe.py"
    probe.write_text(
        "import sqlalchemy.orm\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from fastapi import Request\n"
        "def f():\n"
        "    from ..web import app\n"
        "    from kizuna import web\n",
        encoding="utf-8",
    )
    flagged = {n for _line, n in imports(probe, root=tmp_path) if matches(n, FORBIDDEN)}
    assert flagged == {"sqlalchemy.orm", "fastapi", "fastapi.Request", "kizuna.web", "kizuna.web.app"}
