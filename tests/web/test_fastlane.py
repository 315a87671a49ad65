"""The fast lane (kizuna.web.fastlane) answers its requests exactly as the full stack would, and
hands everything else to it untouched. Each GET is sent down both paths and the answers compared;
attempts are checked for what they store (once) and answer."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.services import event
from kizuna.storage import tables as t
from kizuna.web.fastlane import FastLane
from tests.conftest import auth, login

# Headers that must be equal; the CSP carries a fresh nonce each time, so only its presence counts.
COMPARED = (
    "content-type",
    "content-length",
    "content-encoding",
    "etag",
    "last-modified",
    "cache-control",
    "retry-after",
    "vary",
)
SECURITY = ("x-content-type-options", "x-frame-options", "referrer-policy", "content-security-policy")


@pytest.fixture
def lane(client: TestClient, app: Any) -> FastLane:
    client.get("/healthz")  # builds the middleware stack
    stack = app.middleware_stack
    assert isinstance(stack, FastLane)
    return stack


@pytest.fixture
def full(app: Any, lane: FastLane) -> TestClient:
    """A client of the full stack alone, as if the fast lane were not there."""

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        scope.setdefault("app", app)
        await lane.inner(scope, receive, send)

    return TestClient(inner)


def same(a: Any, b: Any) -> None:
    assert a.status_code == b.status_code, (a.text, b.text)
    if a.headers.get("content-type", "").startswith("text/html"):
        # An error page carries its own CSP nonce and CSRF nonce: the same page but for those.
        nonces = re.compile(rb'(nonce|content|value)="[^"]*"')
        assert nonces.sub(b"", a.content) == nonces.sub(b"", b.content)
    else:
        assert a.content == b.content
    for name in COMPARED:
        assert a.headers.get(name) == b.headers.get(name), name
    for name in SECURITY:
        assert a.headers.get(name) and b.headers.get(name), name


def test_static_files_match_and_revalidate(client: TestClient, full: TestClient, lane: FastLane) -> None:
    for path in ("/static/kizuna.css", "/static/kizuna-live.js"):
        fast, slow = client.get(path), full.get(path)
        same(fast, slow)
        assert fast.status_code == 200 and fast.content
        etag = fast.headers["etag"]
        same(
            client.get(path, headers={"If-None-Match": etag}), full.get(path, headers={"If-None-Match": etag})
        )
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
        head = client.head(path)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == fast.headers["content-length"]
    assert lane.served["static"] >= 6
    # Not ours: missing files, ranges and traversal go to the full stack.
    before = lane.served["static"]
    same(client.get("/static/nothing.css"), full.get("/static/nothing.css"))
    assert client.get("/static/../app.py").status_code == 404
    ranged = client.get("/static/kizuna.css", headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and len(ranged.content) == 10
    assert lane.served["static"] == before


def test_anonymous_scoreboard_and_top_match(
    client: TestClient, full: TestClient, lane: FastLane, make: Any, ctx: Any
) -> None:
    from tests.conftest import record_solve

    ch = make.challenge(value=300)
    for name in ("ayaka", "bran"):
        user, team = make.player_in_team(name)
        with ctx.write() as uow:
            record_solve(uow, ch.id, user, team.id, ctx.now())
    for path in ("/api/v1/scoreboard", "/api/v1/scoreboard/top/10", "/api/v1/scoreboard/top/1"):
        fast, slow = client.get(path), full.get(path)
        same(fast, slow)
        assert fast.json()["success"] is True
        etag = {"If-None-Match": fast.headers["etag"]}
        same(client.get(path, headers=etag), full.get(path, headers=etag))
        assert client.get(path, headers=etag).status_code == 304
    assert lane.served["scoreboard"] >= 2 and lane.served["top"] >= 4
    # Odd counts and callers with credentials take the full path.
    before = sum(lane.served.values())
    for path in ("/api/v1/scoreboard/top/abc", "/api/v1/scoreboard/top/-1", "/api/v1/scoreboard?x=1"):
        same(client.get(path), full.get(path))
    assert sum(lane.served.values()) == before


def test_a_players_challenge_list_matches_in_both_languages(
    client: TestClient, full: TestClient, lane: FastLane, make: Any
) -> None:
    user, _team = make.player_in_team()
    make.challenge(name="Alpha")
    make.challenge(name="Beta", state="hidden")
    headers = auth(make.token(user))
    for extra in ({}, {"Accept-Language": "ja"}, {"Accept-Language": "en-GB,en;q=0.8"}):
        fast = client.get("/api/v1/challenges", headers={**headers, **extra})
        same(fast, full.get("/api/v1/challenges", headers={**headers, **extra}))
        assert [c["name"] for c in fast.json()["data"]] == ["Alpha"]
    assert lane.served["challenges"] == 3


@pytest.mark.parametrize("case", ["bad token", "not started", "no team", "banned"])
def test_refusals_are_the_full_stacks(
    case: str, client: TestClient, full: TestClient, lane: FastLane, make: Any, ctx: Any
) -> None:
    from kizuna.services import accounts

    user, _team = make.player_in_team()
    make.challenge()
    token = make.token(user)
    if case == "bad token":
        token += "x"
    elif case == "not started":
        now = ctx.now()
        event.update_event(ctx, {"start_at": now + timedelta(hours=1), "end_at": now + timedelta(hours=2)})
    elif case == "no team":
        token = make.token(make.user())
    else:
        accounts.update_user(ctx, user.id, {"banned": True})
    for lang in ("en", "ja"):
        h = {**auth(token), "Accept-Language": lang}
        fast, slow = client.get("/api/v1/challenges", headers=h), full.get("/api/v1/challenges", headers=h)
        same(fast, slow)
        assert fast.status_code in (401, 403)
    assert lane.served["challenges"] == 0


def test_attempts_are_answered_here_and_stored_once(
    backend: str, client: TestClient, lane: FastLane, make: Any, ctx: Any
) -> None:
    user, _team = make.player_in_team()
    ch = make.challenge(flag="flag{fast}")
    h = auth(make.token(user))
    wrong = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "no"}, headers=h
    )
    assert wrong.json() == {"success": True, "data": {"status": "incorrect", "message": "Incorrect"}}
    assert wrong.headers["content-security-policy"]
    right = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "flag{fast}"}, headers=h
    )
    assert right.json()["data"]["status"] == "correct"
    hidden = client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": ch.id + 999, "submission": "x"},
        headers={**h, "Accept-Language": "ja"},
    )
    assert hidden.status_code == 404 and hidden.json()["success"] is False
    assert lane.served["attempt"] == 3
    with ctx.db.read() as s:
        assert [x.type for x in s.query(t.Submission).order_by(t.Submission.id)] == ["incorrect", "correct"]


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"challenge_id": "1", "submission": "x"}', b'{"challenge_id": 1}'],
)
def test_odd_attempt_bodies_reach_the_full_stack_whole(
    body: bytes, client: TestClient, full: TestClient, lane: FastLane, make: Any, ctx: Any
) -> None:
    """The fast lane reads the body, finds it unusual, and replays it to the full stack: the answer is
    the full stack's, as if the fast lane were not there."""
    user, _team = make.player_in_team()
    make.challenge(flag="flag{x}")
    h = auth(make.token(user))
    fast = client.post("/api/v1/challenges/attempt", content=body, headers=h)
    slow = full.post("/api/v1/challenges/attempt", content=body, headers=h)
    same(fast, slow)
    assert lane.served["attempt"] == 0


def test_a_browser_session_takes_the_full_path(client: TestClient, lane: FastLane, make: Any) -> None:
    user, _team = make.player_in_team("sessionplayer")
    make.challenge()
    csrf = login(client, "sessionplayer")
    r = client.get("/api/v1/challenges", headers={"CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["data"]
    assert lane.served["challenges"] == 0
    assert user.id


def test_a_big_scoreboard_is_sent_gzip_encoded_to_clients_that_accept_it(
    client: TestClient, full: TestClient, lane: FastLane, make: Any, ctx: Any
) -> None:
    import gzip
    import json

    from tests.conftest import record_solve

    ch = make.challenge(value=100)
    for i in range(12):
        user, team = make.player_in_team(f"gz{i:02d}")
        with ctx.write() as uow:
            record_solve(uow, ch.id, user, team.id, ctx.now())
    for c in (client, full):
        plain = c.get("/api/v1/scoreboard", headers={"Accept-Encoding": "identity"})
        packed = c.get("/api/v1/scoreboard", headers={"Accept-Encoding": "br, gzip;q=0.8"})
        refused = c.get("/api/v1/scoreboard", headers={"Accept-Encoding": "gzip;q=0"})
        assert len(plain.content) >= 1024 and "content-encoding" not in plain.headers
        assert refused.headers["etag"] == plain.headers["etag"]
        assert packed.headers["content-encoding"] == "gzip"
        assert packed.headers["vary"] == plain.headers["vary"] == "Accept-Encoding, Cookie"
        assert packed.json() == plain.json() == json.loads(gzip.decompress(gzip.compress(plain.content)))
        assert packed.headers["etag"] != plain.headers["etag"]
        assert int(packed.headers["content-length"]) < len(plain.content) / 3
        for r, enc in ((plain, "identity"), (packed, "gzip")):
            again = c.get(
                "/api/v1/scoreboard", headers={"Accept-Encoding": enc, "If-None-Match": r.headers["etag"]}
            )
            assert again.status_code == 304 and again.headers["etag"] == r.headers["etag"]
    same(
        client.get("/api/v1/scoreboard", headers={"Accept-Encoding": "gzip"}),
        full.get("/api/v1/scoreboard", headers={"Accept-Encoding": "gzip"}),
    )
    assert lane.served["scoreboard"] >= 6


def test_a_request_never_holds_two_pooled_connections(
    backend: str, client: TestClient, lane: FastLane, make: Any, ctx: Any
) -> None:
    """A read that loads a typed row (a token seen for the first time, a changed event, a snapshot to
    rebuild) opens a session of its own; holding another connection meanwhile let forty threads
    exhaust a PostgreSQL pool of twenty (3 req/s behind nginx). Counted per thread, with the pool's
    own events."""
    import threading
    from collections import Counter

    from sqlalchemy import event as sa_event

    held: Counter[int] = Counter()
    most: Counter[int] = Counter()

    def out(*_a: Any) -> None:
        me = threading.get_ident()
        held[me] += 1
        most[me] = max(most[me], held[me])

    def back(*_a: Any) -> None:
        held[threading.get_ident()] -= 1

    user, _team = make.player_in_team()
    make.challenge(name="Pool")
    headers = auth(make.token(user))
    engine = ctx.db.engine
    sa_event.listen(engine, "checkout", out)
    sa_event.listen(engine, "checkin", back)
    try:
        for _ in range(2):  # the first misses every cache (token, event, snapshots), the second hits
            r = client.get("/api/v1/challenges", headers=headers)
            assert r.status_code == 200 and r.json()["data"][0]["name"] == "Pool"
            event.update_event(ctx, {"description": "changed"})  # the event's fingerprint changes
    finally:
        sa_event.remove(engine, "checkout", out)
        sa_event.remove(engine, "checkin", back)
    assert lane.served["challenges"] == 2
    assert most and max(most.values()) == 1, dict(most)


def test_built_answers_come_from_the_event_loop_and_a_change_shows_at_once(
    backend: str,
    client: TestClient,
    full: TestClient,
    lane: FastLane,
    make: Any,
    ctx: Any,
    settings_and_ctx: Any,
) -> None:
    """On SQLite a scoreboard or challenge list already built is answered on the event loop (no
    thread); another process's solve is in the very next answer (built again on a thread), and the
    answers stay the full stack's. On PostgreSQL every read goes to a worker thread."""
    from kizuna.storage.db import Database, bump
    from kizuna.web.app import build_context
    from tests.conftest import record_solve

    user, team = make.player_in_team("looping")
    ch = make.challenge(name="Loop", value=200)
    h = auth(make.token(user))
    for _ in range(2):
        assert client.get("/api/v1/scoreboard").status_code == 200
        assert client.get("/api/v1/challenges", headers=h).json()["data"][0]["solved_by_me"] is False
    on_loop = lane.served["on loop"]
    assert on_loop == (2 if backend == "sqlite" else 0)
    other = build_context(settings_and_ctx[0], Database(ctx.db.url))  # another process
    try:
        with other.write() as uow:
            record_solve(uow, ch.id, user, team.id, other.now())
            bump(uow.session, "scoreboard")
    finally:
        other.db.dispose()
    board = client.get("/api/v1/scoreboard")
    same(board, full.get("/api/v1/scoreboard"))
    assert [r["score"] for r in board.json()["data"]] == [200]
    listed = client.get("/api/v1/challenges", headers=h)
    same(listed, full.get("/api/v1/challenges", headers=h))
    assert listed.json()["data"][0]["solved_by_me"] is True
    assert lane.served["on loop"] == on_loop  # both built again, on a thread
    assert client.get("/api/v1/scoreboard").status_code == 200
    assert client.get("/api/v1/challenges", headers=h).status_code == 200
    assert lane.served["on loop"] == on_loop + (2 if backend == "sqlite" else 0)


def test_assets_carry_the_download_policy_on_both_paths(
    client: TestClient, full: TestClient, lane: FastLane
) -> None:
    from kizuna.web.headers import DOWNLOAD_CSP

    for c in (client, full):
        answer = c.get("/static/kizuna.css")
        assert answer.status_code == 200
        assert answer.headers["content-security-policy"] == DOWNLOAD_CSP
        again = c.get("/static/kizuna.css", headers={"If-None-Match": answer.headers["etag"]})
        assert again.status_code == 304 and again.headers["content-security-policy"] == DOWNLOAD_CSP
    assert client.get("/static/missing.css").headers["content-security-policy"] != DOWNLOAD_CSP  # our page


def test_an_asset_changed_on_disk_is_served_anew(tmp_path: Any) -> None:
    import os

    from kizuna.web.fastlane import StaticCache

    asset = tmp_path / "site.css"
    asset.write_text("a{}")
    cache = StaticCache(tmp_path, [(b"x-extra", b"1")])
    first = cache.get("/site.css")
    assert first is not None and first.body == b"a{}" and (b"x-extra", b"1") in first.headers
    asset.write_text("b{color:red}")
    os.utime(asset, (first.mtime + 5, first.mtime + 5))
    cache._checked["/site.css"] = 0.0  # as if a second had passed
    second = cache.get("/site.css")
    assert second is not None and second.body == b"b{color:red}" and second.etag != first.etag
    asset.unlink()
    cache._checked["/site.css"] = 0.0
    assert cache.get("/site.css") is None
    assert cache.get("/other.css") is None


def test_partial_pending_and_a_second_waiting_answer_match_the_full_stack(
    client: TestClient, full: TestClient, lane: FastLane, make: Any, ctx: Any
) -> None:
    """A flag of a challenge that needs every flag (``partial``), an answer for a judge (``pending``)
    and a second answer while one waits (409, in the reader's language): the fast lane answers each
    as the full stack does."""
    from kizuna.services import content

    both_flags = make.challenge(flag="flag{one}", logic="all")
    content.create_flag(ctx, both_flags.id, "static", "flag{two}", "")
    judged = make.challenge(flag=None, type="manual")
    answers = {}
    for label, path in (("fast", client), ("full", full)):
        user, _team = make.player_in_team()
        h = {**auth(make.token(user)), "Accept-Language": "ja"}
        answers[label] = [
            path.post("/api/v1/challenges/attempt", json={"challenge_id": ch, "submission": guess}, headers=h)
            for ch, guess in ((both_flags.id, "flag{one}"), (judged.id, "essay"), (judged.id, "again"))
        ]
    assert lane.served["attempt"] == 3
    for fast, slow in zip(answers["fast"], answers["full"], strict=True):
        same(fast, slow)
    assert [r.status_code for r in answers["fast"]] == [200, 200, 409]
    assert [r.json().get("data", {}).get("status") for r in answers["fast"][:2]] == ["partial", "pending"]
