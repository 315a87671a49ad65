"""A GET never writes: every GET route of the app, requested as a visitor, a player and an admin
with real ids (the policy matrix's fixture database), leaves every table as it was and opens no unit
of work. Only bookkeeping a reader cannot see is exempt: a session's "last seen" time (written at
most once a minute, outside the unit of work) and the throttling counters.

So a link (``<img src="/lang/ja">`` on another site, a prefetch, a crawler) cannot change anything
stored — ``GET /lang/{code}`` included, which changes this browser's language only.

One kind of GET is an audited read: a results export (``GET /api/v1/exports/{kind}``) appends one
``results.exported`` entry to the audit trail — who read the results, and when, is the point of the
trail — and nothing else; the walk checks exactly that."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kizuna.storage import tables as t
from tests.conftest import _csrf_from, login
from tests.meta.test_policy_matrix import ROLES, World, _build, _url, app_routes

EXEMPT_TABLES = {"web_sessions", "rate_buckets"}
SKIPPED = {"/events"}  # the live stream never ends by itself; it reads the event log only
# Reads recorded in the audit trail: (route, the one audit action each successful request appends).
AUDITED_READS = {
    "/api/v1/exports/{kind}": "results.exported",
    "/api/v1/recruiting/export": "recruiting.exported",
}


def _audit_actions(w: World) -> list[str]:
    with w.ctx.db.read() as s:
        return list(s.scalars(select(t.AuditEntry.action).order_by(t.AuditEntry.id)))


def dump(w: World) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with w.ctx.db.read() as s:
        for table in t.Base.metadata.sorted_tables:
            if table.name in EXEMPT_TABLES:
                continue
            out[table.name] = sorted(repr(tuple(row)) for row in s.execute(select(table)))
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[World]:
    w = _build(tmp_path_factory.mktemp("get-writes"), sqlite_template)
    yield w
    w.ctx.db.dispose()


@contextmanager
def counting_writes(w: World) -> Iterator[list[str]]:
    calls: list[str] = []
    real = w.ctx.write

    @contextmanager
    def write() -> Iterator[Any]:
        calls.append("write")
        with real() as uow:
            yield uow

    w.ctx.write = write  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        w.ctx.write = real  # type: ignore[method-assign]


@pytest.mark.parametrize("role", ["anonymous", "player", "admin"])
def test_no_get_route_writes(world: World, role: str) -> None:
    assert role in ROLES
    client = TestClient(world.app)  # no lifespan: no clock or stream writing in the background
    if role != "anonymous":
        login(client, world.users[role].name)
    else:
        _csrf_from(client.get("/login").text)
    headers = {"Authorization": f"Token {world.tokens[role]}"} if role != "anonymous" else {}
    routes = sorted(path for method, path in app_routes(world.app) if method == "GET" and path not in SKIPPED)
    assert "/lang/{code}" in routes and len(routes) > 40
    problems: list[str] = []
    for path in routes:
        url = _url(world, role, "GET", path)
        before = dump(world)
        trail = _audit_actions(world)
        with counting_writes(world) as calls:
            api = path.startswith("/api/")
            r = client.get(url, headers=headers if api else {}, follow_redirects=False)
        after = dump(world)
        changed = [name for name in before if before[name] != after[name]]
        if path in AUDITED_READS and r.status_code == 200:
            # One unit of work, whose only change is one entry of the expected action.
            appended = _audit_actions(world)[len(trail) :]
            if len(calls) == 1 and changed == ["audit_log"] and appended == [AUDITED_READS[path]]:
                continue
        if calls or changed:
            problems.append(
                f"GET {url} ({r.status_code}): units of work {len(calls)}, tables changed {changed}"
            )
    assert not problems, "\n".join(problems)


def test_the_walk_sees_a_write(world: World) -> None:
    """The detector works: a request that writes is seen (a POST, through the same helpers)."""
    client = TestClient(world.app)
    csrf = login(client, world.users["player"].name)
    before = dump(world)
    with counting_writes(world) as calls:
        r = client.post(
            "/account/language", data={"locale": "ja", "csrf_token": csrf}, follow_redirects=False
        )
    assert r.status_code == 303
    assert calls and dump(world)["users"] != before["users"]
