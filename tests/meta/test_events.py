"""Every event published anywhere in ``src`` is declared in ``bus.EVENT_TYPES`` with exactly the keys
it carries, and documented in docs/architecture.md."""

from __future__ import annotations

import ast
from pathlib import Path

from kizuna.bus import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "kizuna"


def publish_calls() -> list[tuple[str, ast.Call]]:
    """Every ``<something>.publish(...)`` call outside the bus package itself."""
    calls = []
    for path in sorted(SRC.rglob("*.py")):
        if path.parent.name == "bus":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "publish"
            ):
                calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return calls


def literal_event(call: ast.Call) -> tuple[str, set[str]] | None:
    """The event's type and keys, when it is published as a dict literal with constant keys."""
    if len(call.args) != 1 or not isinstance(call.args[0], ast.Dict):
        return None
    keys: set[str] = set()
    kind = None
    for key, value in zip(call.args[0].keys, call.args[0].values, strict=True):
        if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
            return None
        keys.add(key.value)
        if key.value == "type" and isinstance(value, ast.Constant):
            kind = value.value
    return (kind, keys - {"type"}) if isinstance(kind, str) else None


def test_publish_calls_are_found() -> None:
    assert len(publish_calls()) >= 10


def test_every_published_event_is_declared_with_its_keys() -> None:
    problems = []
    for where, call in publish_calls():
        found = literal_event(call)
        if found is None:
            problems.append(f"{where}: publish a dict literal with a constant 'type' so it can be checked")
            continue
        kind, keys = found
        if kind not in EVENT_TYPES:
            problems.append(f"{where}: event type {kind!r} is not in bus.EVENT_TYPES")
        elif keys != set(EVENT_TYPES[kind]):
            problems.append(
                f"{where}: {kind!r} carries {sorted(keys)}, EVENT_TYPES says {list(EVENT_TYPES[kind])}"
            )
    assert not problems, "\n".join(problems)


def test_every_event_type_is_documented() -> None:
    docs = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [kind for kind in EVENT_TYPES if f"`{kind}`" not in docs]
    assert not missing, f"docs/architecture.md does not describe events {missing}"


def test_event_keys_are_data_not_sentences() -> None:
    # Events are rendered in each reader's language: no prose fields.
    for kind, keys in EVENT_TYPES.items():
        assert not {"message", "text", "title", "html"} & set(keys), kind
