"""Fair limits on wrong answers, Retry-After, and late attempts (issue 8, item 10 and item 7's
"attempt 429s carry Retry-After").

* The wrong-answer limit is per user (``attempt_rate_limit`` a minute, across challenges) and per
  team and challenge (twice that): one member flooding locks out only themself, never the team.
* A 429 carries ``Retry-After``: the seconds until the sliding minute frees, exactly.
* An attempt after the end is recorded as late, never scored or counted toward limits or a maximum,
  and answered with CTFd's "ended" refusal whether it was right or wrong; admin lists show it late.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from kizuna.services import event
from kizuna.services.context import Context
from kizuna.storage import tables as t
from tests.conftest import Factory, auth, login

ATTEMPT = "/api/v1/challenges/attempt"


class Clock:
    def __init__(self, ctx: Context) -> None:
        self.at = ctx.now().replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def clock(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock(ctx)
    monkeypatch.setattr(ctx, "now", c)
    return c


def team_of(make: Factory, n: int) -> tuple[list[Any], Any]:
    captain, team = make.player_in_team()
    members = [captain]
    for _ in range(n - 1):
        member = make.user()
        make.join(member, team)
        members.append(member)
    return members, team


def guess(client: Any, token: str, challenge_id: int, text: str) -> Any:
    return client.post(ATTEMPT, json={"challenge_id": challenge_id, "submission": text}, headers=auth(token))


def test_one_member_flooding_locks_out_only_themself(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    (flooder, mate, other), _team = team_of(make, 3)
    first, second = make.challenge(flag="flag{one}"), make.challenge(flag="flag{two}")
    tokens = {u.id: make.token(u) for u in (flooder, mate, other)}
    for i in range(ctx.attempt_rate_limit):
        assert guess(client, tokens[flooder.id], first.id, f"w{i}").status_code == 200
    for ch in (first, second):
        r = guess(client, tokens[flooder.id], ch.id, "again")
        assert (r.status_code, r.json()["data"]["status"]) == (429, "ratelimited")
    # The rest of the team plays on, on the flooded challenge and on every other.
    assert guess(client, tokens[mate.id], first.id, "flag{one}").json()["data"]["status"] == "correct"
    assert guess(client, tokens[other.id], second.id, "nope").json()["data"]["status"] == "incorrect"


def test_a_team_is_limited_per_challenge(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    (a, b, c), _team = team_of(make, 3)
    first, second = make.challenge(flag="flag{one}"), make.challenge(flag="flag{two}")
    tokens = {u.id: make.token(u) for u in (a, b, c)}
    for member in (a, b):  # two members use the team's allowance on this challenge: 2 x the user's
        for i in range(ctx.attempt_rate_limit):
            assert guess(client, tokens[member.id], first.id, f"w{i}").status_code == 200
    r = guess(client, tokens[c.id], first.id, "flag{one}")
    assert (r.status_code, r.json()["data"]["status"]) == (429, "ratelimited")
    assert guess(client, tokens[c.id], second.id, "flag{two}").json()["data"]["status"] == "correct"


def test_retry_after_is_the_seconds_until_the_window_frees(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    user, _team = make.player_in_team()
    token = make.token(user)
    ch = make.challenge(flag="flag{x}")
    start = clock.at
    for i in range(ctx.attempt_rate_limit):
        assert guess(client, token, ch.id, f"w{i}").status_code == 200
        clock.advance(1)
    clock.at = start + timedelta(seconds=30)
    r = guess(client, token, ch.id, "flag{x}")
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "30"  # the first wrong answer leaves the minute at start + 60
    assert "30 seconds" in r.json()["data"]["message"]
    r = client.post(
        ATTEMPT,
        json={"challenge_id": ch.id, "submission": "x"},
        headers={**auth(token), "Accept-Language": "ja"},
    )
    assert r.headers["Retry-After"] == "30" and "30秒" in r.json()["data"]["message"]

    # The page form says the same (htmx gets the result area, a plain form a redirect).
    csrf = login(client, user.name)
    for extra in ({"HX-Request": "true"}, {}):
        r = client.post(
            f"/challenges/{ch.id}/attempt",
            data={"submission": "flag{x}", "csrf_token": csrf},
            headers=extra,
            follow_redirects=False,
        )
        assert r.headers.get("Retry-After") == "30", (r.status_code, r.headers)

    clock.at = start + timedelta(seconds=60)
    assert guess(client, token, ch.id, "flag{x}").json()["data"]["status"] == "correct"


def test_attempts_after_the_end_are_practice_recorded_late_and_never_count(
    backend: str, client: Any, make: Factory, ctx: Context
) -> None:
    user, team = make.player_in_team()
    admin = make.admin()
    token = make.token(user)
    ch = make.challenge(flag="flag{late}", max_attempts=1)
    now = ctx.now()
    event.update_event(ctx, {"start_at": now - timedelta(hours=2), "end_at": now - timedelta(minutes=1)})

    right = guess(client, token, ch.id, "flag{late}")
    wrong = guess(client, token, ch.id, "flag{nope}")
    # After the end answers are practice (kizuna.services.practice): answered, never scored; the
    # rate limits still hold (not the maximum of attempts).
    assert right.status_code == wrong.status_code == 200
    assert right.json()["data"] == {
        "status": "correct",
        "message": "Correct (practice — not scored)",
        "practice": True,
    }
    assert wrong.json()["data"]["status"] == "incorrect"
    limited = [guess(client, token, ch.id, f"late{i}").status_code for i in range(ctx.attempt_rate_limit + 2)]
    assert limited == [200] * (ctx.attempt_rate_limit - 1) + [429] * 3

    with ctx.db.read() as s:
        rows = s.query(t.Submission).order_by(t.Submission.id).all()
        assert s.query(t.Solve).count() == 0
        assert s.query(t.Award).count() == 0
    assert len(rows) == ctx.attempt_rate_limit + 4
    assert all(r.late for r in rows)
    assert [r.type for r in rows[:2]] == ["correct", "incorrect"]

    # Staff see them as late: the API's additive field and the admin page.
    listed = client.get("/api/v1/submissions", headers=auth(make.token(admin))).json()["data"]
    assert {s["late"] for s in listed} == {True}
    login(client, admin.name)
    page = client.get("/admin/submissions")
    assert page.text.count("Late (after the end, not scored)") == len(rows)

    # Extended again: the late answers used neither the maximum of one attempt nor the minute's limit.
    event.update_event(ctx, {"end_at": now + timedelta(hours=1)})
    r = guess(client, token, ch.id, "flag{late}")
    assert (r.status_code, r.json()["data"]["status"]) == (200, "correct")
    with ctx.db.read() as s:
        assert s.query(t.Solve).filter(t.Solve.account_id == team.id).count() == 1
