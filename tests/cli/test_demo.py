"""The demo event, loaded with ``kizuna demo`` and played through the API: every challenge is solved by
its documented solution (``solve`` in its module) from what a player is given, in English and in
Japanese, and every piece of demo content exists in both languages."""

from __future__ import annotations

import platform
import re
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from fastapi.testclient import TestClient

from kizuna.demo import ANNOUNCEMENTS, CATEGORIES, CHALLENGES
from kizuna.demo.model import Given
from kizuna.services import accounts, teams
from kizuna.services.context import Context
from kizuna.settings import load_settings
from kizuna.storage import tables as t
from kizuna.web.app import build_context, create_app
from tests.conftest import PASSWORD, auth

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
BY_KEY = {spec.key: spec for spec in CHALLENGES}


@pytest.fixture
def demo(run: Any, env: dict[str, str]) -> Iterator[tuple[Context, TestClient]]:
    """The demo loaded by the command, and the app over the same data directory."""
    loaded = run("demo")
    assert loaded.exit_code == 0, loaded.output
    settings = load_settings(environ=env)
    ctx = build_context(settings)
    with TestClient(create_app(settings, ctx)) as client:
        yield ctx, client
    ctx.db.dispose()


def player_token(ctx: Context) -> str:
    player = accounts.register_user(ctx, "newcomer", PASSWORD)
    teams.create_team(ctx, "Newcomers", player.id)
    return accounts.create_token(ctx, player.id).value


def given(client: TestClient, token: str, challenge_id: int, lang: str) -> tuple[dict[str, Any], Given]:
    """The challenge as a player reads it in ``lang``, and what they have: description and files."""
    r = client.get(f"/api/v1/challenges/{challenge_id}?lang={lang}", headers=auth(token))
    assert r.status_code == 200, r.text
    detail = r.json()["data"]
    files = {}
    for url in detail["files"]:
        download = client.get(url, headers=auth(token))
        assert download.status_code == 200, url
        files[unquote(urlsplit(url).path.rsplit("/", 1)[-1])] = download.content
    return detail, Given(detail["description"], files)


def test_the_demo_has_real_beginner_challenges_in_every_category() -> None:
    assert (
        {spec.category for spec in CHALLENGES}
        == set(CATEGORIES)
        == {
            "Web",
            "Crypto",
            "Forensics",
            "Reversing",
            "Misc",
        }
    )
    assert len({spec.key for spec in CHALLENGES}) == len(CHALLENGES) >= 10
    # A flag is never written in the description, except where that is the point (the first one).
    for spec in CHALLENGES:
        if spec.key != "welcome":
            assert spec.flag not in spec.description.en + spec.description.ja, spec.key


def test_every_demo_challenge_is_solvable_by_its_documented_solution(
    demo: tuple[Context, TestClient],
) -> None:
    ctx, client = demo
    token = player_token(ctx)
    judge = accounts.register_user(ctx, "test-judge", PASSWORD, role="judge", by_admin=True)
    judge_token = accounts.create_token(ctx, judge.id).value
    by_name = {spec.name.en: spec for spec in CHALLENGES}
    solved: list[str] = []
    # Some challenges appear only once their prerequisites are solved: keep going until none is new.
    while todo := [
        c
        for c in client.get("/api/v1/challenges?lang=en", headers=auth(token)).json()["data"]
        # A practice challenge is solved as practice: never "solved_by_me" on the event's list.
        if not c["solved_by_me"] and by_name[c["name"]].key not in solved
    ]:
        for entry in todo:
            spec = by_name[entry["name"]]
            for lang in ("en", "ja"):
                _shown, what = given(client, token, entry["id"], lang)
                assert spec.solve(what) == spec.flag, (spec.key, lang)
            r = client.post(
                "/api/v1/challenges/attempt",
                json={"challenge_id": entry["id"], "submission": spec.solve(what)},
                headers=auth(token),
            )
            if spec.judged:
                # A judged challenge: the answer waits for a judge, who accepts it.
                assert r.json()["data"]["status"] == "pending", (spec.key, r.text)
                waiting = client.get("/api/v1/reviews", headers=auth(judge_token)).json()["data"]
                mine = max(i["id"] for i in waiting if i["challenge_id"] == entry["id"])  # the newest
                decided = client.post(
                    f"/api/v1/reviews/{mine}", json={"decision": "accept"}, headers=auth(judge_token)
                )
                assert decided.json()["data"]["solved"], decided.text
            else:
                assert r.json()["data"]["status"] == "correct", (spec.key, r.text)
                assert r.json()["data"].get("practice", False) is spec.practice, (spec.key, r.text)
            solved.append(spec.key)
    assert sorted(solved) == sorted(BY_KEY)
    assert solved.index("bond") > solved.index("welcome")  # unlocked by its prerequisite
    board = client.get("/api/v1/scoreboard").json()["data"]
    assert board[0]["name"] == "Newcomers"


def test_every_demo_item_is_in_english_and_japanese(demo: tuple[Context, TestClient]) -> None:
    ctx, client = demo

    def both(row: Any, names: tuple[str, ...]) -> None:
        assert row.locale == "en", row
        for name in names:
            english, japanese = getattr(row, name), (row.translations or {}).get("ja", {}).get(name, "")
            assert re.search("[A-Za-z]{3}", english), (name, english)
            assert JAPANESE.search(japanese) and japanese != english, (name, english, japanese)

    with ctx.db.read() as s:
        both(s.get(t.Event, 1), ("name", "description"))
        rows = s.query(t.Challenge).all()
        assert len(rows) == len(CHALLENGES)
        for ch in rows:
            both(ch, ("name", "description"))
            category = s.get(t.Category, ch.category)
            assert category is not None and JAPANESE.search(category.translations["ja"]["name"])
            hints = s.query(t.Hint).filter(t.Hint.challenge_id == ch.id).all()
            assert hints, ch.name
            for hint in hints:
                both(hint, ("title", "content"))
        notes = s.query(t.Notification).all()
        assert len(notes) == len(ANNOUNCEMENTS) >= 2
        for note in notes:
            both(note, ("title", "content"))
        # The joint event's organisers and host, each named in both languages, links http(s) only.
        named = s.query(t.Sponsor).order_by(t.Sponsor.position).all()
        assert [(row.name, row.group) for row in named] == [
            ("Cyber Wales", "organisers"),
            ("Cyber Hiroshima", "organisers"),
            ("British Embassy Tokyo", "hosts"),
        ]
        for row in named:
            both(row, ("name",))
            assert row.url == "" or row.url.startswith("https://")

    # And players are served them: the board in Japanese has Japanese names and categories.
    token = player_token(ctx)
    listing = client.get("/api/v1/challenges?lang=ja", headers=auth(token)).json()["data"]
    assert listing and all(
        JAPANESE.search(c["name"]) and c["category"] in CATEGORIES.values() for c in listing
    )
    assert all(c["translations"]["en"]["name"] for c in listing)


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append((kind, body))
        pos += 12 + length
    return chunks


def test_the_generated_files_are_what_they_claim_to_be(tmp_path: Path) -> None:
    # A valid PNG: every chunk's checksum holds and the pixels are all there.
    chunks = dict(_png_chunks(BY_KEY["picture"].files()["sunset.png"]))
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    assert len(zlib.decompress(chunks[b"IDAT"])) == height * (1 + 3 * width)
    # The Python checker grants access to the flag and to nothing else.
    script = tmp_path / "check.py"
    script.write_bytes(BY_KEY["checker"].files()["check.py"])
    for guess, answer in ((BY_KEY["checker"].flag, "Access granted"), ("guess", "Access denied")):
        ran = subprocess.run(
            [sys.executable, str(script)], input=guess + "\n", capture_output=True, text=True, check=True
        )
        assert ran.stdout.strip().endswith(answer)
    # The login page's script holds what its solution reads.
    assert "btoa(" in BY_KEY["login"].files()["login.html"].decode()


@pytest.mark.skipif(
    sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"), reason="an x86-64 Linux program"
)
def test_the_tiny_program_runs_and_prints_no_flag(tmp_path: Path) -> None:
    program = tmp_path / "hello"
    program.write_bytes(BY_KEY["strings"].files()["hello"])
    program.chmod(0o755)
    ran = subprocess.run([str(program)], capture_output=True, check=True, timeout=10)
    assert ran.stdout == b"Nothing to see here.\n"


def test_the_demo_starts_once_its_challenges_are_in_place(demo: tuple[Context, TestClient]) -> None:
    """As at a real event, the challenges are there before the start: the board marks none as new."""
    from kizuna.services.board import is_new
    from kizuna.storage.snapshot_queries import release_times

    ctx, _client = demo
    with ctx.db.read() as s:
        start = s.get(t.Event, 1).start_at
        released = release_times(s)
    assert start is not None and released
    assert not [cid for cid, when in released.items() if is_new(when, start, ctx.now())]


def test_the_demo_shows_judged_answers(demo: tuple[Context, TestClient]) -> None:
    """One team's haiku was accepted for part of its points; another's waits in the review queue."""
    ctx, client = demo
    judge = accounts.register_user(ctx, "queue-judge", PASSWORD, role="judge", by_admin=True)
    token = accounts.create_token(ctx, judge.id).value
    haiku = BY_KEY["haiku"]
    items = client.get("/api/v1/reviews?status=all", headers=auth(token)).json()["data"]
    assert sorted((i["status"], i["value"]) for i in items) == [("accepted", 80), ("pending", None)]
    assert {i["submission"] for i in items} == {haiku.flag}
    with ctx.db.read() as s:
        solve = s.query(t.Solve).filter(t.Solve.value.is_not(None)).one()
        assert solve.value == 80


def test_the_demo_has_learning_history(demo: tuple[Context, TestClient]) -> None:
    """Demo players learnt over the last days: one completed a track (its badge, a seven-day streak,
    the certificate on offer), others are part-way; the learning pages show them."""
    ctx, client = demo
    with ctx.db.read() as s:
        ids = {u.name: u.id for u in s.query(t.User).filter(t.User.name.in_(["haruto", "dewi"]))}
    haruto = client.get(f"/api/v1/users/{ids['haruto']}/progress").json()["data"]
    assert haruto["streak"]["current"] == 7 and haruto["xp"] > 0, haruto
    held = {b["key"] for b in client.get(f"/api/v1/users/{ids['haruto']}/badges").json()["data"]}
    assert {"crypto-basics-graduate", "track-graduate", "streak-7"} <= held
    assert client.get(f"/api/v1/users/{ids['dewi']}/progress").json()["data"]["xp"] > 0
    board = client.get("/learn/leaderboard")
    assert board.status_code == 200 and "haruto" in board.text and "dewi" in board.text


def test_the_doctor_finds_nothing_wrong_in_the_demo(demo: tuple[Context, TestClient]) -> None:
    # The demo has a judged answer accepted for part of its points and a practice challenge: the
    # doctor's recomputation of the scores must agree with the board on both.
    from kizuna.services import doctor

    ctx, _client = demo
    assert doctor.examine(ctx).problems == []
