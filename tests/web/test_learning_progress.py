"""The progress API, the player page's progress section and the learning leaderboards: what they
show comes from the statistics job's tables; hidden, banned and staff accounts stay off the boards
and hidden users' progress answers as missing; periods and tracks select the right XP; malformed
input is refused in the reader's language."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.services import accounts, learning_stats, tracks
from kizuna.storage import tables as t
from tests.conftest import auth, login
from tests.unit.test_learning_stats_job import Clock, emit

FIXTURE_TRACKS = Path(__file__).resolve().parents[1] / "fixtures" / "tracks"
TITLE = {"en": "Sample track", "ja": "サンプルコース"}


@pytest.fixture
def world(ctx: Any, make: Any) -> dict[str, Any]:
    clock = Clock(datetime(2026, 11, 20, 12, 0))
    ctx.now = clock
    ana = make.user("ana", affiliation="Cyber Wales")
    ben = make.user("ben", affiliation="cyber wales")
    kei = make.user("kei", affiliation="Hiroshima U")
    ghost = make.user("ghostly", affiliation="Phantoms")
    judge = make.user("jude", role="judge", affiliation="Staff crew")
    ch = make.challenge(name="Warm-up")
    # Last month (October): ben solves a 500-point challenge (60 XP).
    emit(ctx, clock, datetime(2026, 10, 10, 9, 0), "solve", ben.id, challenge_id=ch.id, value=500)
    # This week (Mon 16 Nov onwards): ana completes web tasks; kei a crypto track.
    emit(ctx, clock, datetime(2026, 11, 16, 9, 0), "task_completed", ana.id, track="web", required=True)
    emit(ctx, clock, datetime(2026, 11, 17, 9, 0), "lesson_completed", ana.id, track="web")
    emit(ctx, clock, datetime(2026, 11, 18, 9, 0), "track_completed", kei.id, track="crypto")
    # Earlier this month (3 Nov): ana's practice solve.
    emit(ctx, clock, datetime(2026, 11, 3, 9, 0), "practice_solve", ana.id, challenge_id=ch.id)
    # Hidden player and a judge with lots of XP: never on a board.
    emit(ctx, clock, datetime(2026, 11, 18, 9, 0), "track_completed", ghost.id, track="web")
    emit(ctx, clock, datetime(2026, 11, 18, 9, 0), "track_completed", judge.id, track="web")
    accounts.update_user(ctx, ghost.id, {"hidden": True})
    clock.now = datetime(2026, 11, 20, 12, 0)
    learning_stats.catch_up(ctx)
    return {"ana": ana, "ben": ben, "kei": kei, "ghost": ghost, "judge": judge, "make": make}


def _names(client: TestClient, query: str) -> list[tuple[str, int]]:
    r = client.get(f"/api/v1/learning/leaderboard{query}")
    assert r.status_code == 200, r.text
    return [(e["name"], e["xp"]) for e in r.json()["data"]]


def test_leaderboards_per_period_and_track_without_hidden_or_staff(client: TestClient, world: dict) -> None:
    # All time: kei 100 (a track), ben 60 (a 500-point solve), ana 40 (task 10, lesson 20, practice 10).
    assert _names(client, "") == [("kei", 100), ("ben", 60), ("ana", 40)]
    assert _names(client, "?period=month") == [("kei", 100), ("ana", 40)]
    assert _names(client, "?period=week") == [("kei", 100), ("ana", 30)]
    assert _names(client, "?period=all&track=web") == [("ana", 30)]
    assert _names(client, "?track=nothing-here") == []
    r = client.get("/api/v1/learning/leaderboard?period=week")
    meta = r.json()["meta"]
    assert meta["scope"] == "W2026-47" and meta["pagination"]["total"] == 2
    crews = client.get("/api/v1/learning/crews").json()["data"]
    # "Cyber Wales" and "cyber wales" are one crew: 40 + 60; the hidden one's and staff's are not there.
    assert [(c["affiliation"], c["xp"], c["members"], c["mean_xp"]) for c in crews] == [
        ("Cyber Wales", 100, 2, 50),
        ("Hiroshima U", 100, 1, 100),
    ]  # a tie on XP: more members first


def test_malformed_board_parameters_are_refused_in_the_readers_language(
    client: TestClient, world: dict
) -> None:
    for query in ("?period=year", "?track=" + "x" * 101, "?page=0", "?page=100000"):
        r = client.get(f"/api/v1/learning/leaderboard{query}", headers={"Accept-Language": "ja"})
        assert r.status_code == 400, (query, r.text)
        assert r.json()["success"] is False and any("\u3040" <= ch <= "\u30ff" for ch in r.text)
    page = client.get("/learn/leaderboard?period=year")
    assert page.status_code == 400 and 'role="alert"' in page.text


def test_the_leaderboard_page_shows_periods_tracks_and_crews(
    client: TestClient, world: dict, ctx: Any
) -> None:
    tracks.import_tracks(ctx, FIXTURE_TRACKS)
    page = client.get("/learn/leaderboard?period=week")
    assert page.status_code == 200
    assert "kei" in page.text and "ana" in page.text and "ben" not in page.text
    assert "ghostly" not in page.text and "jude" not in page.text and "Phantoms" not in page.text
    assert 'aria-current="page">This week' in page.text
    assert "Hiroshima U" in page.text
    # The track filter names the stored tracks the reader may see, in the reader's language.
    assert '<option value="sample-track">' + TITLE["en"] + "</option>" in page.text
    ja = client.get("/learn/leaderboard", headers={"Accept-Language": "ja"})
    assert "学習" in ja.text and '<option value="sample-track">' + TITLE["ja"] + "</option>" in ja.text
    with ctx.write() as uow:
        row = uow.session.query(t.LearningTrack).filter_by(key="sample-track").one()
        row.closes_at = datetime(2026, 11, 1)  # closed before the (test clock's) now
    assert 'value="sample-track"' not in client.get("/learn/leaderboard").text


def test_progress_api_and_player_page(client: TestClient, world: dict, ctx: Any) -> None:
    ana = world["ana"]
    r = client.get(f"/api/v1/users/{ana.id}/progress")
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["xp"] == 40 and data["level"]["number"] == 1 and data["level"]["to_next"] == 60
    # Active on 3, 16 and 17 Nov; today is 20 Nov: the current streak is over, the longest was 2.
    assert data["streak"] == {"current": 0, "longest": 2, "last_active": "2026-11-17"}
    assert [d["date"] for d in data["calendar"]["days"]] == ["2026-11-03", "2026-11-16", "2026-11-17"]
    assert data["calendar"]["end"] == "2026-11-20"
    page = client.get(f"/users/{ana.id}")
    assert page.status_code == 200
    assert "1 activity on 2026-11-16" in page.text and "0 activities on 2026-11-15" in page.text
    assert page.text.count("<rect") >= 365 and 'style="' not in page.text.split('id="h-progress"')[1]
    ja = client.get(f"/users/{ana.id}", headers={"Accept-Language": "ja"})
    assert "2026-11-16：1件の活動" in ja.text and "学習の進捗" in ja.text
    both = client.get(f"/users/{ana.id}?display=both")
    assert "1 activity on 2026-11-16" in both.text and "2026-11-16：1件の活動" in both.text
    api = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/users/{user_id}/progress", "/api/v1/users/me/progress"} <= set(api)
    assert {"/api/v1/learning/leaderboard", "/api/v1/learning/crews"} <= set(api)


def test_own_progress_and_hidden_users_answer_as_missing(client: TestClient, world: dict, ctx: Any) -> None:
    ghost = world["ghost"]
    hidden = client.get(f"/api/v1/users/{ghost.id}/progress")
    missing = client.get("/api/v1/users/987654/progress")
    assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()
    token = world["make"].token(world["ana"])
    mine = client.get("/api/v1/users/me/progress", headers=auth(token))
    assert mine.status_code == 200 and mine.json()["data"]["user_id"] == world["ana"].id
    assert client.get("/api/v1/users/me/progress").status_code == 401
    with ctx.db.read() as s:  # a GET never writes: the derived rows are the job's alone
        before = s.query(t.LearnerStats).count()
    login(client, "ana")
    assert client.get("/learn/leaderboard").status_code == 200
    with ctx.db.read() as s:
        assert s.query(t.LearnerStats).count() == before
