"""Judged (``manual``) challenges and the review queue (審査待ち), end to end through the API and the
pages: an answer waits (``pending``), a judge accepts it for a part of the value (the scoreboard
shows that part) or rejects it with a comment written in one language (each reader reads it, with the
fallback note when it is not theirs); one answer waits at a time, even when several arrive at once;
who may see and decide; the file sent with an answer; the live notice, to that account alone."""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.services import notifications, reviews, submissions
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import tables as t
from kizuna.web.live import LiveSettings
from tests.conftest import Factory, _csrf_from, auth, login
from tests.racing import race, team_of_four
from tests.sse import read_until

ESSAY_VALUE = 200


def essay(make: Factory, **fields: Any) -> Any:
    fields.setdefault("name", "Essay")
    return make.challenge(flag=None, type="manual", value=ESSAY_VALUE, **fields)


def answer(client: TestClient, token: str, challenge_id: int, text: str, lang: str = "en") -> Any:
    return client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": challenge_id, "submission": text},
        headers={**auth(token), "Accept-Language": lang},
    )


def queue(client: TestClient, token: str, status: str = "pending") -> Any:
    return client.get(f"/api/v1/reviews?status={status}", headers=auth(token))


def decide(client: TestClient, token: str, review_id: int, lang: str = "en", **body: Any) -> Any:
    return client.post(
        f"/api/v1/reviews/{review_id}", json=body, headers={**auth(token), "Accept-Language": lang}
    )


def score_of(client: TestClient, name: str) -> int:
    board = client.get("/api/v1/scoreboard").json()["data"]
    return next(row["score"] for row in board if row["name"] == name)


def test_accept_with_a_partial_value_scores_that_part(
    client: TestClient, make: Factory, ctx: Context
) -> None:
    player, team = make.player_in_team()
    judge = make.user("judy", role="judge")
    ch = essay(make)
    player_token, judge_token = make.token(player), make.token(judge)

    for lang, words in (("en", "A judge will review it"), ("ja", "審査員")):
        if lang == "ja":
            # The second answer while the first waits is refused, in the reader's language.
            r = answer(client, player_token, ch.id, "again", lang)
            assert r.status_code == 409
            assert "審査" in str(r.json()["errors"]), r.text
            continue
        r = answer(client, player_token, ch.id, "My essay about bonds.", lang)
        assert r.status_code == 200
        assert r.json()["data"]["status"] == "pending"
        assert words in r.json()["data"]["message"]

    listed = queue(client, judge_token).json()["data"]
    assert [(i["challenge_id"], i["submission"], i["status"]) for i in listed] == [
        (ch.id, "My essay about bonds.", "pending")
    ]
    review_id = listed[0]["id"]
    view = client.get(f"/api/v1/challenges/{ch.id}", headers=auth(player_token)).json()["data"]
    assert view["review"]["status"] == "pending" and not view["solved_by_me"]

    # Out of range: refused, nothing decided.
    for bad in (0, ESSAY_VALUE + 1, "many"):
        r = decide(client, judge_token, review_id, "ja", decision="accept", value=bad)
        assert r.status_code == 400, bad
    r = decide(client, judge_token, review_id, decision="accept", value=120)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"id": review_id, "status": "accepted", "value": 120, "solved": True}
    # A second decision on the same answer is refused.
    r = decide(client, judge_token, review_id, "ja", decision="reject")
    assert r.status_code == 409
    assert score_of(client, team.name) == 120
    with ctx.db.read() as s:
        solve = s.query(t.Solve).filter(t.Solve.challenge_id == ch.id).one()
        assert (solve.account_id, solve.value) == (team.id, 120)
        assert s.get(t.Submission, solve.submission_id).type == "correct"
        assert s.query(t.AuditEntry).filter(t.AuditEntry.action == "review.accepted").count() == 1
    # The team's page lists the solve with its points.
    solves = client.get(f"/api/v1/teams/{team.id}/solves").json()["data"]
    assert [(x["challenge_id"], x["challenge"]["value"]) for x in solves] == [(ch.id, 120)]
    view = client.get(f"/api/v1/challenges/{ch.id}", headers=auth(player_token)).json()["data"]
    assert view["solved_by_me"] and view["review"]["status"] == "accepted" and view["review"]["value"] == 120
    # Nothing more after acceptance.
    r = answer(client, player_token, ch.id, "one more")
    assert r.json()["data"]["status"] == "already_solved"
    assert queue(client, judge_token).json()["data"] == []


def test_reject_with_a_comment_written_only_in_japanese(client: TestClient, make: Factory) -> None:
    player, _team = make.player_in_team("kenji")
    judge = make.user("judy", role="judge")
    ch = essay(make)
    player_token, judge_token = make.token(player), make.token(judge)
    assert answer(client, player_token, ch.id, "Too short").json()["data"]["status"] == "pending"
    review_id = queue(client, judge_token).json()["data"][0]["id"]
    comment = {"ja": "もう少し詳しく書いてください。", "en": ""}
    r = decide(client, judge_token, review_id, decision="reject", comment=comment)
    assert r.status_code == 200 and r.json()["data"]["status"] == "rejected"

    ja = client.get(f"/api/v1/challenges/{ch.id}", headers={**auth(player_token), "Accept-Language": "ja"})
    review = ja.json()["data"]["review"]
    assert review["status"] == "rejected"
    assert (review["comment"], review["comment_locale"], review["fallback"]) == (comment["ja"], "ja", False)
    en = client.get(f"/api/v1/challenges/{ch.id}", headers={**auth(player_token), "Accept-Language": "en"})
    review = en.json()["data"]["review"]
    assert (review["comment"], review["comment_locale"], review["fallback"]) == (comment["ja"], "ja", True)
    assert review["note"] == "Japanese original"

    # The page, in each language.
    login(client, "kenji")
    page_ja = client.get(f"/challenges/{ch.id}?lang=ja").text
    assert comment["ja"] in page_ja and "原文（日本語）" not in page_ja
    page_en = client.get(f"/challenges/{ch.id}?lang=en").text
    assert comment["ja"] in page_en and "Japanese original" in page_en
    assert "A judge did not accept your answer" in page_en

    # After a rejection the account may answer again; a rejected answer counts as a wrong one.
    assert answer(client, player_token, ch.id, "Longer now").json()["data"]["status"] == "pending"
    assert [i["status"] for i in queue(client, judge_token, "all").json()["data"]] == ["pending", "rejected"]


def test_the_review_flow_through_the_pages(client: TestClient, make: Factory, ctx: Context) -> None:
    _player, team = make.player_in_team("hana")
    make.user("judy", role="judge")
    ch = essay(make, name="Bond essay")

    login(client, "hana")
    page = client.get(f"/challenges/{ch.id}")
    assert 'enctype="multipart/form-data"' in page.text and "You have not sent an answer yet." in page.text
    r = client.post(
        f"/challenges/{ch.id}/attempt",
        data={"csrf_token": _csrf_from(page.text), "submission": "Kizuna means bonds."},
        files={"file": ("notes.txt", b"some notes", "text/plain")},
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert "Your answer has been sent. A judge will review it." in r.text
    assert "Pending review" in r.text
    client.post("/logout", data={"csrf_token": _csrf_from(r.text)})

    login(client, "judy")
    queue_page = client.get("/admin/reviews")
    assert queue_page.status_code == 200
    assert "Kizuna means bonds." in queue_page.text and "Bond essay" in queue_page.text
    with ctx.db.read() as s:
        review_id = s.query(t.Review.id).filter(t.Review.challenge_id == ch.id).scalar()
    assert f"/admin/reviews/{review_id}/file" in queue_page.text
    attached = client.get(f"/admin/reviews/{review_id}/file")
    assert attached.content == b"some notes"
    assert attached.headers["x-content-type-options"] == "nosniff"
    assert attached.headers["content-disposition"].startswith("attachment")
    csrf = _csrf_from(queue_page.text)
    refused = client.post(
        f"/admin/reviews/{review_id}", data={"csrf_token": csrf, "decision": "accept", "value": "999"}
    )
    assert refused.status_code == 400 and "at most 200" in refused.text
    r = client.post(
        f"/admin/reviews/{review_id}",
        data={"csrf_token": csrf, "decision": "accept", "value": "150", "comment_en": "Nice."},
        follow_redirects=True,
    )
    assert r.status_code == 200 and "The answer has been accepted." in r.text
    assert "No answers are waiting for review." in r.text
    board = client.get("/scoreboard").text
    assert team.name in board and "150" in board
    assert score_of(client, team.name) == 150


def test_who_may_see_and_decide(client: TestClient, make: Factory) -> None:
    player, _team = make.player_in_team()
    author = make.user("writer", role="author")
    marshal = make.user("marsh", role="marshal")
    admin = make.admin()
    ch = essay(make)
    assert answer(client, make.token(player), ch.id, "hello").status_code == 200
    admin_token = make.token(admin)
    review_id = queue(client, admin_token).json()["data"][0]["id"]
    # Players, authors and marshals: refused as the policy table says (403), nothing decided.
    for who in (player, author, marshal):
        token = make.token(who)
        assert queue(client, token).status_code == 403
        assert decide(client, token, review_id, decision="accept").status_code == 403
        assert client.get(f"/api/v1/reviews/{review_id}/file", headers=auth(token)).status_code == 403
    assert client.get("/api/v1/reviews").status_code == 401
    # Admins decide too.
    assert decide(client, admin_token, review_id, decision="reject", comment="No.").status_code == 200


def test_a_staff_answer_to_a_judged_challenge_is_only_checked(ctx: Context, make: Factory) -> None:
    judge = make.user("judy", role="judge")
    ch = essay(make)
    result = submissions.submit_flag(ctx, Principal.of(judge), ch.id, "my answer")
    assert result.status == "pending" and result.message == "pending_not_stored"
    with ctx.db.read() as s:
        assert s.query(t.Review).count() == 0 and s.query(t.Submission).count() == 0


def test_one_answer_waits_at_a_time_even_when_several_arrive_at_once(
    backend: str, ctx: Context, make: Factory
) -> None:
    members, team = team_of_four(make)
    who = [Principal.of(m) for m in members]
    ch = essay(make)
    results = race(8, lambda i: submissions.submit_flag(ctx, who[i % 4], ch.id, f"answer {i}"))
    outcomes = Counter(
        r.code if isinstance(r, DomainError) else (r.status if not isinstance(r, BaseException) else repr(r))
        for r in results
    )
    assert outcomes == {"pending": 1, ErrorCode.REVIEW_PENDING: 7}, outcomes
    with ctx.db.read() as s:
        assert s.query(t.Review).filter(t.Review.account_id == team.id).count() == 1
        assert s.query(t.Submission).filter(t.Submission.challenge_id == ch.id).count() == 1


def test_two_judges_deciding_at_once_decide_once(backend: str, ctx: Context, make: Factory) -> None:
    player, _team = make.player_in_team()
    judges = [Principal.of(make.user(f"judge{i}", role="judge")) for i in range(2)]
    ch = essay(make)
    submissions.submit_flag(ctx, Principal.of(player), ch.id, "answer")
    item = reviews.queue(ctx, judges[0])[0]
    results = race(
        2,
        lambda i: reviews.decide(ctx, judges[i], item.review_id, "accept" if i == 0 else "reject"),
    )
    decided = [r for r in results if isinstance(r, reviews.Decision)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(decided) == 1 and [e.code for e in refused] == [ErrorCode.REVIEW_DECIDED], results
    with ctx.db.read() as s:
        solves = s.query(t.Solve).filter(t.Solve.challenge_id == ch.id).count()
        entries = s.query(t.AuditEntry).filter(t.AuditEntry.action.like("review.%")).count()
    assert solves == (1 if decided[0].status == "accepted" else 0)
    assert entries == 1


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("big.txt", b"a" * 2048, 413, ("at most 1 KB", "1 KB")),
        ("tool.bin", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64, 400, ("not accepted", "受け付けません")),
    ],
)
def test_answer_files_are_bounded_and_sniffed(
    client: TestClient,
    make: Factory,
    ctx: Context,
    name: str,
    data: bytes,
    status: int,
    words: tuple[str, str],
) -> None:
    ctx.answer_file_bytes = 1024
    player, _team = make.player_in_team()
    ch = essay(make)
    token = make.token(player)
    for lang, word in zip(("en", "ja"), words, strict=True):
        r = client.post(
            "/api/v1/challenges/attempt",
            data={"challenge_id": str(ch.id), "submission": "see the file"},
            files={"file": (name, data, "text/plain")},
            headers={"Authorization": f"Token {token}", "Accept-Language": lang},
        )
        assert r.status_code == status, r.text
        assert word in r.text, r.text
    with ctx.db.read() as s:
        assert s.query(t.Review).count() == 0


def test_a_file_is_kept_with_its_sniffed_type_and_only_for_judged_challenges(
    client: TestClient, make: Factory, ctx: Context
) -> None:
    player, _team = make.player_in_team()
    judge = make.user("judy", role="judge")
    ch = essay(make)
    flagged = make.challenge(flag="flag{x}")
    token = make.token(player)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    headers = {"Authorization": f"Token {token}"}
    r = client.post(
        "/api/v1/challenges/attempt",
        data={"challenge_id": str(flagged.id), "submission": "flag{x}"},
        files={"file": ("a.png", png, "image/png")},
        headers=headers,
    )
    assert r.status_code == 400  # no files with flags
    r = client.post(
        "/api/v1/challenges/attempt",
        data={"challenge_id": str(ch.id), "submission": "a picture"},
        files={"file": ("<b>pic</b>.html", png, "text/html")},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["data"]["status"] == "pending"
    item = queue(client, make.token(judge)).json()["data"][0]
    assert item["file"]["type"] == "image/png" and item["file"]["size"] == len(png)
    got = client.get(item["file"]["url"], headers=auth(make.token(judge)))
    assert got.content == png and got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("attachment")
    assert "private" in got.headers["cache-control"]


def test_the_decision_reaches_that_account_alone_live(app: Any, ctx: Context, make: Factory) -> None:
    player, team = make.player_in_team()
    other, _other_team = make.player_in_team()
    judge = make.user("judy", role="judge")
    ch = essay(make, name="Live essay")
    submissions.submit_flag(ctx, Principal.of(player), ch.id, "answer")
    item = reviews.queue(ctx, Principal.of(judge))[0]
    app.state.live.settings = LiveSettings(poll_seconds=0.05, heartbeat_seconds=0.2, revalidate_seconds=0.2)
    headers = {
        "player": {**auth(make.token(player)), "Accept-Language": "ja"},
        "other": auth(make.token(other)),
        "visitor": {},
    }
    with TestClient(app) as live, ExitStack() as streams_open:
        streams = {
            label: streams_open.enter_context(live.stream("GET", "/events", headers=h))
            for label, h in headers.items()
        }
        reviews.decide(ctx, Principal.of(judge), item.review_id, "accept", 50)
        sentinel = notifications.announce(ctx, "End of the test", "Nothing more.")

        def arrived(frames: list[Any]) -> bool:
            return any(
                f.event == "announcement" and f.json["data"].get("notification_id") == sentinel.id
                for f in frames
            )

        got = {label: read_until(r, arrived) for label, r in streams.items()}
    mine = [f.json for f in got["player"] if f.event == "review_decided"]
    assert len(mine) == 1
    assert mine[0]["data"] == {
        "review_id": item.review_id,
        "challenge_id": ch.id,
        "account_id": team.id,
        "decision": "accepted",
        "value": 50,
    }
    assert mine[0]["messages"][0]["text"] == "審査員が Live essay への解答を50点で承認しました。"
    for label in ("other", "visitor"):
        assert not [f for f in got[label] if f.event == "review_decided"], label


def test_a_hidden_judged_challenge_takes_no_answers_and_shows_none(
    client: TestClient, make: Factory, ctx: Context
) -> None:
    """A hidden judged challenge answers as a missing one, and the queue keeps its answers for
    judges: a player reads nothing of them anywhere the attempt answers."""
    player, _team = make.player_in_team()
    ch = essay(make, state="hidden")
    token = make.token(player)
    missing = answer(client, token, 987654, "zq8y essay", "ja")
    hidden = answer(client, token, ch.id, "zq8y essay", "ja")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert client.get(f"/api/v1/challenges/{ch.id}", headers=auth(token)).status_code == 404
    with ctx.db.read() as s:
        assert s.query(t.Review).count() == 0


def test_a_decision_through_htmx_swaps_the_answer_in_place(
    client: TestClient, make: Factory, ctx: Context
) -> None:
    player, _team = make.player_in_team()
    make.user("judy", role="judge")
    ch = essay(make)
    submissions.submit_flag(ctx, Principal.of(player), ch.id, "htmx essay")
    login(client, "judy")
    page = client.get("/admin/reviews")
    with ctx.db.read() as s:
        review_id = s.query(t.Review.id).scalar()
    assert f'hx-post="/admin/reviews/{review_id}"' in page.text
    csrf, hx = _csrf_from(page.text), {"HX-Request": "true"}
    refused = client.post(
        f"/admin/reviews/{review_id}",
        data={"csrf_token": csrf, "decision": "accept", "value": "0"},
        headers=hx,
    )
    assert refused.status_code == 200 and "at most 200" in refused.text and "<html" not in refused.text
    r = client.post(
        f"/admin/reviews/{review_id}",
        data={"csrf_token": csrf, "decision": "reject", "comment_ja": "短すぎます。"},
        headers=hx,
    )
    assert r.status_code == 200 and "<html" not in r.text
    assert f'id="review-{review_id}"' in r.text and "The answer has been rejected." in r.text
    assert "短すぎます。" in r.text and "review-decide" not in r.text  # decided: no form any more


def test_the_answer_box_is_fetched_again_when_the_decision_arrives(
    client: TestClient, make: Factory, ctx: Context
) -> None:
    """The challenge page marks its "your answer" box to be fetched again on ``review_decided``; the
    box's own address answers it alone, in the reader's language, before and after the decision,
    and is the same 404 as a missing challenge for a hidden one or a challenge that is not judged."""
    player, _team = make.player_in_team("aiko")
    judge = make.user("judy", role="judge")
    ch = essay(make)
    flagged = make.challenge(name="Flagged")
    hidden = essay(make, name="Hidden essay", state="hidden")
    login(client, "aiko")
    page = client.get(f"/challenges/{ch.id}?lang=ja").text
    assert f'data-live-refresh="/challenges/{ch.id}/review" data-live-on="review_decided"' in page
    before = client.get(f"/challenges/{ch.id}/review?lang=ja")
    assert before.status_code == 200 and "<html" not in before.text
    assert 'id="review-status"' in before.text
    assert answer(client, make.token(player), ch.id, "An essay").json()["data"]["status"] == "pending"
    review_id = queue(client, make.token(judge)).json()["data"][0]["id"]
    assert decide(client, make.token(judge), review_id, decision="accept", value=50).status_code == 200
    after = client.get(f"/challenges/{ch.id}/review?lang=ja").text
    assert "50" in after and "chip-correct" in after
    missing = client.get("/challenges/987654/review")
    assert missing.status_code == 404
    for other in (flagged.id, hidden.id):
        r = client.get(f"/challenges/{other}/review")
        assert r.status_code == 404  # the same page as a missing one, but for the address it echoes
        assert r.text.replace(f"/challenges/{other}/", "/challenges/987654/") == missing.text
    client.cookies.clear()
    assert client.get(f"/challenges/{ch.id}/review", follow_redirects=False).status_code in (302, 303)


def test_an_accepted_answer_is_solved_when_it_was_sent_not_when_it_was_judged(
    ctx: Context, make: Factory
) -> None:
    """Two teams reach the same score; the one whose answer was sent first ranks first, however long
    the judge took: the solve is dated when the answer was sent."""
    from datetime import datetime, timedelta

    from kizuna.services import event, scoreboard

    t0 = datetime(2026, 3, 1, 9, 0)
    now = {"at": t0}
    ctx.now = lambda: now["at"]
    event.update_event(ctx, {"start_at": t0 - timedelta(hours=1), "end_at": t0 + timedelta(days=1)})
    early, early_team = make.player_in_team("early")
    late, late_team = make.player_in_team("late")
    judge = make.user("judy", role="judge")
    ch = essay(make)
    flagged = make.challenge(name="Flagged", value=ESSAY_VALUE, flag="flag{x}")
    submissions.submit_flag(ctx, Principal.of(early), ch.id, "Sent first")
    now["at"] = t0 + timedelta(minutes=10)
    submissions.submit_flag(ctx, Principal.of(late), flagged.id, "flag{x}")
    now["at"] = t0 + timedelta(hours=2)
    [waiting] = reviews.queue(ctx, Principal.of(judge))
    reviews.decide(ctx, Principal.of(judge), waiting.review_id, "accept")
    with ctx.db.read() as s:
        solve = s.query(t.Solve).filter(t.Solve.challenge_id == ch.id).one()
    assert solve.date == t0
    board = scoreboard.standings(ctx)
    assert [(r.name, r.score) for r in board.rows[:2]] == [
        (early_team.name, ESSAY_VALUE),
        (late_team.name, ESSAY_VALUE),
    ]
