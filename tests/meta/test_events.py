"""Every event appended anywhere in ``src`` (``uow.emit("type", {...})``) is declared in
``domain.events.EVENT_TYPES`` with exactly the keys it carries, and documented in
docs/architecture.md; nothing publishes on the bus except the unit of work."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kizuna.domain.events import EVENT_TYPES
from kizuna.storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "kizuna"


def calls(attr: str) -> list[tuple[str, ast.Call]]:
    """Every ``<something>.<attr>(...)`` call outside the bus package itself."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.parent.name == "bus":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attr:
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


def literal_event(call: ast.Call) -> tuple[str, set[str]] | None:
    """The event's type and keys, when emitted as ``emit("type", {constant keys})``."""
    if len(call.args) != 2 or not isinstance(call.args[0], ast.Constant):
        return None
    kind, data = call.args[0].value, call.args[1]
    if not isinstance(kind, str) or not isinstance(data, ast.Dict):
        return None
    keys: set[str] = set()
    for key in data.keys:
        if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
            return None
        keys.add(key.value)
    return kind, keys


def test_emit_calls_are_found() -> None:
    assert len(calls("emit")) >= 15


def test_every_emitted_event_is_declared_with_its_keys() -> None:
    problems = []
    for where, call in calls("emit"):
        if where.startswith("src/kizuna/storage/uow.py"):
            continue  # the scoreboard event, emitted by the unit of work itself
        found = literal_event(call)
        if found is None:
            problems.append(f"{where}: emit a constant type and a dict literal so it can be checked")
            continue
        kind, keys = found
        if kind not in EVENT_TYPES:
            problems.append(f"{where}: event type {kind!r} is not in EVENT_TYPES")
        elif keys != set(EVENT_TYPES[kind]):
            problems.append(
                f"{where}: {kind!r} carries {sorted(keys)}, EVENT_TYPES says {list(EVENT_TYPES[kind])}"
            )
    assert not problems, "\n".join(problems)


def test_only_the_unit_of_work_publishes() -> None:
    # Publishing outside the unit of work would skip the stored log, and streams would miss it.
    where = [w for w, _call in calls("publish") if not w.startswith("src/kizuna/services/context.py")]
    assert not where, f"publish events with uow.emit inside ctx.write(): {where}"


def test_undeclared_events_are_refused_at_run_time() -> None:
    uow = UnitOfWork(session=None, now=lambda: None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        uow.emit("made_up", {})
    with pytest.raises(ValueError):
        uow.emit("solve", {"challenge_id": 1})


def test_every_event_type_is_documented() -> None:
    docs = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [kind for kind in EVENT_TYPES if f"`{kind}`" not in docs]
    assert not missing, f"docs/architecture.md does not describe events {missing}"


def test_event_keys_are_data_not_sentences() -> None:
    # Events are rendered in each reader's language: no prose fields.
    for kind, keys in EVENT_TYPES.items():
        assert not {"message", "text", "title", "html"} & set(keys), kind
