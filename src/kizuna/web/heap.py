"""The serving process's heap: settled once it has started, so the garbage collector's full passes
stay short under load.

CPython's cyclic collector walks every tracked object of the generation it collects. After start-up
a worker holds about a million of them that live as long as the process (modules, SQLAlchemy's
mappers and compiled statements, Jinja2's templates, the catalogs), all in the oldest generation,
so every full collection walks them all. Measured in issue 9 (W4, 2 workers, 64 connections, a
probe on ``gc.callbacks``): one full collection per worker in a 10 s run, 115–123 ms each, during
which every request queued on that worker waited; that pause was most of W4's p99 (194–230 ms).
After :func:`settle` the same collection takes 6–9 ms and W4's p99 was 79–128 ms in four runs of
the same half hour (docs/performance.md, item 14).

:func:`settle` collects once, then moves every object that survived into the collector's permanent
generation (``gc.freeze``), which later passes skip. Frozen objects are still freed by reference
counting when nothing refers to them; only a reference cycle among them would stay until exit, and
these are objects the process keeps anyway. Objects made later (the caches) are collected as usual.

It runs in the serving processes only (:func:`kizuna.web.asgi.create` asks for it through
``app.state.settle_heap``), not in the test suite's many applications in one process.
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Collect, then freeze what survived; returns how many objects are now frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
