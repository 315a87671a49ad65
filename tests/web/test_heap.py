"""A serving process settles its heap once started (kizuna.web.heap): the collector's full passes
then skip what start-up made; the test suite's own applications are left alone."""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.web import asgi, heap


@pytest.fixture
def unfreeze() -> Iterator[None]:
    yield
    gc.unfreeze()


class Survivor:
    """An object in a reference cycle that something still refers to."""

    def __init__(self) -> None:
        self.me = self


def test_settle_moves_the_survivors_out_of_the_collectors_passes(unfreeze: None) -> None:
    kept = Survivor()
    gc.collect()
    assert any(o is kept for o in gc.get_objects(generation=2))
    frozen = heap.settle()
    assert frozen == gc.get_freeze_count() > 0
    # A full pass no longer walks it, and it is not freed either.
    assert not any(o is kept for o in gc.get_objects(generation=2))
    gc.collect()
    assert kept.me is kept


def test_settle_still_collects_garbage_made_before_it(unfreeze: None) -> None:
    import weakref

    garbage = Survivor()
    gone = weakref.ref(garbage)
    del garbage
    heap.settle()
    assert gone() is None


def test_only_a_serving_process_settles_its_heap(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(heap, "settle", lambda: calls.append(1) or 0)
    with TestClient(app):
        pass
    assert calls == []  # the suite's applications
    app.state.settle_heap = True
    with TestClient(app) as client:
        assert calls == [1]  # once started, before the first request
        assert client.get("/healthz").status_code == 200
    assert calls == [1]


def test_the_workers_factory_asks_for_it(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(sqlite_template, tmp_path / "kizuna.db")
    for name in list(os.environ):
        if name.startswith("KIZUNA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KIZUNA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIZUNA_DATABASE_URL", f"sqlite:///{tmp_path / 'kizuna.db'}")
    monkeypatch.setenv("KIZUNA_SECRET_KEY", "test-secret-key-not-for-production")
    monkeypatch.setenv("KIZUNA_ENVIRONMENT", "test")
    app = asgi.create()
    try:
        assert app.state.settle_heap is True
    finally:
        app.state.ctx.db.dispose()
