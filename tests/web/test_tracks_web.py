"""Learning tracks through the API and the pages: browsing as anyone, answering with an account (401
JSON in the reader's language otherwise), forms without JavaScript and with htmx, both-languages
mode, fallbacks, the organisers' list, and no answer or flag ever in what players receive."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from kizuna.services import tracks
from kizuna.services.context import Context
from tests.conftest import Factory, _csrf_from, auth, login

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tracks" / "sample-track"
JA = {"Accept-Language": "ja"}
SECRETS = ("kizuna{reversed}", "solution", '"answers"', '"answer":', '"flag":', '"index"', "case_sensitive")


@pytest.fixture
def imported(ctx: Context) -> None:
    tracks.import_tracks(ctx, FIXTURE)


def no_secrets(text: str) -> None:
    found = [s for s in SECRETS if s in text]
    assert not found, f"answers leak: {found}"


def test_anyone_browses_and_answering_needs_an_account(client: Any, imported: None) -> None:
    listing = client.get("/api/v1/tracks")
    assert listing.status_code == 200
    [track] = listing.json()["data"]
    assert track["id"] == "sample-track" and track["progress"] == {
        "done": 0,
        "total": 4,
        "percent": 0,
        "complete": False,
    }
    detail = client.get("/api/v1/tracks/sample-track", headers=JA).json()["data"]
    assert detail["title"] == "サンプルコース"
    assert [m["unlocked"] for m in detail["modules"]] == [True, False]
    assert detail["modules"][0]["lessons"][0]["tasks"][0]["choices"] == ["16 進数", "Base64", "ROT13"]
    lesson = client.get("/api/v1/tracks/sample-track/lessons/encodings", headers=JA).json()["data"]
    assert lesson["body"].startswith("# エンコーディング") and lesson["body_fallback"] is False
    assert lesson["video"] == "https://example.com/videos/encodings"
    locked = client.get("/api/v1/tracks/sample-track/lessons/first-flag", headers=JA)
    assert locked.status_code == 403
    assert (
        locked.json()["message"]
        == "このモジュールはロックされています。先に前のモジュールを完了してください。"
    )
    refused = client.post(
        "/api/v1/tracks/sample-track/tasks/base64-name/answer", json={"answer": 1}, headers=JA
    )
    assert refused.status_code == 401 and refused.json()["success"] is False
    assert refused.json()["message"] == "先にログインしてください。"
    for url in (
        "/api/v1/tracks",
        "/api/v1/tracks/sample-track",
        "/api/v1/tracks/sample-track/lessons/encodings",
    ):
        no_secrets(client.get(url).text)
    for url in ("/tracks", "/tracks/sample-track", "/tracks/sample-track/lessons/encodings"):
        page = client.get(url)
        assert page.status_code == 200
        no_secrets(page.text)
    page = client.get("/tracks/sample-track/lessons/encodings")
    assert 'href="/tracks/sample-track/files/notes.txt"' in page.text  # the attachment link, rewritten
    form = client.post(
        "/tracks/sample-track/tasks/base64-name/answer",
        data={"answer": "1", "csrf_token": _csrf_from(page.text)},
        follow_redirects=False,
    )
    assert form.status_code in (302, 303) and "/login" in form.headers["location"]
    download = client.get("/tracks/sample-track/files/notes.txt")
    assert download.status_code == 200 and download.content.startswith(b"Base64 alphabet")
    assert download.headers["content-disposition"].startswith("attachment")
    assert client.get("/tracks/sample-track/files/nope.txt").status_code == 404
    assert client.get("/api/v1/tracks/nope").status_code == 404


def test_answering_through_the_api(client: Any, make: Factory, imported: None) -> None:
    headers = auth(make.token(make.user()))
    url = "/api/v1/tracks/sample-track/tasks/{}/answer"
    wrong = client.post(url.format("base64-name"), json={"answer": 2}, headers=headers)
    assert wrong.status_code == 200
    assert wrong.json() == {
        "success": True,
        "data": {
            "correct": False,
            "completed": {"task": False, "lesson": False, "module": False, "track": False},
        },
    }
    for key, answer in (("base64-name", 1), ("decode-word", "ＫＩＺＵＮＡ"), ("hash-length", "64")):
        r = client.post(url.format(key), json={"answer": answer}, headers=headers)
        assert r.json()["data"]["correct"] is True, (key, r.text)
    assert r.json()["data"]["completed"] == {"task": True, "lesson": True, "module": True, "track": False}
    assert 'href="/account/certificates"' not in client.get("/tracks/sample-track", headers=headers).text
    r = client.post(url.format("reversed-flag"), json={"answer": "kizuna{reversed}"}, headers=headers)
    assert r.json()["data"]["completed"]["track"] is True
    listing = client.get("/api/v1/tracks", headers=headers).json()["data"]
    assert listing[0]["progress"] == {"done": 4, "total": 4, "percent": 100, "complete": True}
    # The completed track's page points to its certificate; the track list to the rest of learning.
    page = client.get("/tracks/sample-track", headers=headers).text
    assert 'href="/account/certificates"' in page
    assert all(
        f'href="{p}"' in client.get("/tracks").text for p in ("/practice", "/learn/leaderboard", "/badges")
    )
    for bad in ({}, {"answer": None}, {"answer": [1]}, {"answer": True}, {"answer": "x" * 5000}):
        r = client.post(url.format("decode-word"), json=bad, headers=headers)
        assert 400 <= r.status_code < 500 and r.json()["success"] is False, bad
    assert client.post(url.format("no-such-task"), json={"answer": 1}, headers=headers).status_code == 404


def test_a_lesson_form_works_without_javascript_and_with_htmx(
    client: Any, make: Factory, imported: None
) -> None:
    user = make.user()
    login(client, user.name)
    lesson = "/tracks/sample-track/lessons/encodings"
    csrf = _csrf_from(client.get(lesson).text)
    r = client.post(
        "/tracks/sample-track/tasks/base64-name/answer",
        data={"answer": "0", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"{lesson}#task-base64-name"
    page = client.get(lesson, headers=JA).text
    assert "もう一度" in page  # the wrong answer's message, once, beside the task
    assert "もう一度" not in client.get(lesson, headers=JA).text
    r = client.post(
        "/tracks/sample-track/tasks/base64-name/answer",
        data={"answer": "1", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<div class="task solved" id="task-base64-name"')
    assert "Correct" in r.text
    no_secrets(r.text)
    # A locked module's lesson says so and shows neither body nor tasks.
    locked = client.get("/tracks/sample-track/lessons/first-flag").text
    assert "This module is locked" in locked and "}desrever{anuzik" not in locked


def test_both_languages_and_fallbacks(client: Any, ctx: Context, tmp_path: Path) -> None:
    folder = tmp_path / "sample-track"
    shutil.copytree(FIXTURE, folder)
    (folder / "lessons" / "hashes.ja.md").unlink()
    tracks.import_tracks(ctx, folder)
    client.get("/lang/both", follow_redirects=False)
    page = client.get("/tracks/sample-track/lessons/encodings").text
    assert 'class="lt-blocks pair"' in page
    assert re.search(r'<div class="lt-block" lang="en">', page) and re.search(
        r'<div class="lt-block" lang="ja">', page
    )
    client.get("/lang/ja", follow_redirects=False)
    page = client.get("/tracks/sample-track/lessons/hashes").text
    assert "原文（英語）" in page  # the English original, marked as such
    lesson = client.get("/api/v1/tracks/sample-track/lessons/hashes", headers=JA).json()["data"]
    assert lesson["body_fallback"] is True and lesson["locale"] == "en"


def test_the_organisers_list_shows_completeness(
    client: Any, ctx: Context, make: Factory, tmp_path: Path
) -> None:
    folder = tmp_path / "sample-track"
    shutil.copytree(FIXTURE, folder)
    (folder / "lessons" / "hashes.ja.md").unlink()
    tracks.import_tracks(ctx, folder)
    admin = make.admin()
    from kizuna.services import two_factor  # noqa: F401  (admins may be asked for 2FA; tests turn it off)

    login(client, admin.name)
    page = client.get("/admin/tracks")
    if page.status_code in (302, 303):
        pytest.skip("two-factor set-up required for staff pages in this configuration")
    assert page.status_code == 200
    assert "sample-track" in page.text and "en</strong> 100%" in page.text
    assert "lessons/hashes.md" in page.text
    player = make.user()
    other = client.__class__(client.app)
    login(other, player.name)
    assert other.get("/admin/tracks").status_code == 403


def test_the_track_api_is_in_openapi(client: Any) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/tracks",
        "/api/v1/tracks/{track_id}",
        "/api/v1/tracks/{track_id}/lessons/{lesson_id}",
    ):
        assert "get" in paths[path], path
    answer = paths["/api/v1/tracks/{track_id}/tasks/{task_id}/answer"]["post"]
    schema = answer["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["answer"]
    assert schema["properties"]["answer"]["oneOf"] == [{"type": "integer"}, {"type": "string"}]
    assert not any(p.startswith("/tracks") for p in paths)  # pages stay out of the API's document


def test_the_players_page_lists_completed_tracks_the_reader_may_see(
    client: Any, ctx: Context, make: Factory, imported: None
) -> None:
    from kizuna.services.accounts import Principal

    user = make.user()
    player = Principal.of(user)
    assert "Learning tracks completed" not in client.get(f"/users/{user.id}").text
    for key, answer in (("base64-name", 1), ("decode-word", "kizuna"), ("hash-length", "64")):
        tracks.answer_task(ctx, player, "sample-track", key, answer)
    assert "Learning tracks completed" not in client.get(f"/users/{user.id}").text
    tracks.answer_task(ctx, player, "sample-track", "reversed-flag", "kizuna{reversed}")
    page = client.get(f"/users/{user.id}").text
    assert "Learning tracks completed" in page and 'href="/tracks/sample-track"' in page
    clock = ctx.now()
    ctx.now = lambda: clock.replace(year=clock.year + 200)  # past a window that closes…
    with ctx.write() as uow:
        from kizuna.storage import tables as t

        row = uow.session.query(t.LearningTrack).one()
        row.closes_at = clock.replace(year=clock.year + 100)
    assert "Learning tracks completed" not in client.get(f"/users/{user.id}").text  # …hidden again


def test_wrong_answers_are_rate_limited_per_user(client: Any, make: Factory, imported: None) -> None:
    headers = {**auth(make.token(make.user())), **JA}
    url = "/api/v1/tracks/sample-track/tasks/decode-word/answer"
    for i in range(30):
        r = client.post(url, json={"answer": f"guess{i}"}, headers=headers)
        assert r.status_code == 200 and r.json()["data"]["correct"] is False
    refused = client.post(url, json={"answer": "kizuna"}, headers=headers)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "間違った解答が多すぎます" in refused.json()["message"]
    other = {**auth(make.token(make.user())), **JA}  # another player is not held back
    r = client.post(url, json={"answer": "kizuna"}, headers=other)
    assert r.json()["data"]["correct"] is True
    for _ in range(40):  # right answers give their hit back (and a done task takes none)
        assert client.post(url, json={"answer": "kizuna"}, headers=other).status_code == 200
