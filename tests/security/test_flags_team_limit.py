"""A team of five cannot multiply the guessing rate by five (issue 11): besides the per-user limit
(``attempt_rate_limit`` a minute, across challenges) and the per team-and-challenge limit
(``team_challenge_factor`` times that), a team's wrong answers across challenges are limited to
``team_factor`` times the user's limit. The refusal is the same 429 with ``Retry-After`` and a
message in the reader's language, through the fast lane and through the FastAPI route; another team
plays on. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.services import event
from kizuna.services.context import Context
from kizuna.settings import SettingsError, load_settings
from kizuna.web.app import build_context
from kizuna.web.fastlane import FastLane
from tests.conftest import Factory, auth

ATTEMPT = "/api/v1/challenges/attempt"


class Clock:
    def __init__(self, ctx: Context) -> None:
        self.at = ctx.now().replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock(ctx)
    monkeypatch.setattr(ctx, "now", c)
    return c


def team_of(make: Factory, n: int, name: str) -> tuple[list[Any], Any]:
    captain, team = make.player_in_team(f"{name}-1", name)
    members = [captain]
    for i in range(2, n + 1):
        member = make.user(f"{name}-{i}")
        make.join(member, team)
        members.append(member)
    return members, team


def guess(client: Any, token: str, challenge_id: int, text: str, **headers: str) -> Any:
    return client.post(
        ATTEMPT, json={"challenge_id": challenge_id, "submission": text}, headers={**auth(token), **headers}
    )


def test_five_members_together_hit_the_team_limit_and_another_team_is_unaffected(
    backend: str, client: Any, app: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    per_user = ctx.attempt_rate_limit
    team_limit = per_user * ctx.team_factor
    assert (per_user, ctx.team_factor, ctx.team_challenge_factor) == (10, 3, 2)  # the defaults
    event.update_event(ctx, {"team_size_limit": 0})
    members, _team = team_of(make, 5, "Five")
    others, _other = team_of(make, 1, "Solo")
    chals = [make.challenge(flag=f"flag{{c{i}}}") for i in range(5)]
    tokens = {u.id: make.token(u) for u in members + others}
    start = clock.at

    # Thirty wrong answers a minute, six per member (under each member's ten), spread over five
    # challenges (six each, under the team's twenty a challenge): the team's thirty are used up.
    n = 0
    for round_ in range(team_limit // len(members)):
        for i, member in enumerate(members):
            clock.at = start + timedelta(seconds=n)  # one a second: the first leaves at start + 60 s
            r = guess(client, tokens[member.id], chals[(round_ + i) % 5].id, f"wrong-{n}")
            assert r.json()["data"]["status"] == "incorrect", (n, r.text)
            n += 1
    assert n == team_limit

    # Any member, any challenge, even a right answer: refused, with the seconds until the window frees.
    clock.at = start + timedelta(seconds=40)
    for member in members:
        r = guess(client, tokens[member.id], chals[4].id, "flag{c4}")
        assert (r.status_code, r.json()["data"]["status"]) == (429, "ratelimited")
        assert r.headers["Retry-After"] == "20"  # the first wrong answer leaves at start + 60 s
        assert "20 seconds" in r.json()["data"]["message"]
    ja = guess(client, tokens[members[0].id], chals[0].id, "x", **{"Accept-Language": "ja"})
    assert ja.status_code == 429 and "20秒" in ja.json()["data"]["message"]

    # The fast lane and the full FastAPI stack answer exactly alike.
    client.get("/healthz")
    lane = app.middleware_stack
    assert isinstance(lane, FastLane)

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        scope.setdefault("app", app)
        await lane.inner(scope, receive, send)

    full = TestClient(inner)
    fast = guess(client, tokens[members[1].id], chals[2].id, "flag{c2}")
    slow = guess(full, tokens[members[1].id], chals[2].id, "flag{c2}")
    assert (fast.status_code, fast.content, fast.headers["Retry-After"]) == (
        slow.status_code,
        slow.content,
        slow.headers["Retry-After"],
    )

    # Another team is not touched by it.
    r = guess(client, tokens[others[0].id], chals[0].id, "flag{c0}")
    assert (r.status_code, r.json()["data"]["status"]) == (200, "correct")

    # Once the first wrong answer leaves the minute, the team may answer again.
    clock.at = start + timedelta(seconds=60)
    r = guess(client, tokens[members[2].id], chals[3].id, "flag{c3}")
    assert (r.status_code, r.json()["data"]["status"]) == (200, "correct")


def test_the_team_limit_is_a_setting(tmp_path: Any, sqlite_template: Any) -> None:
    from tests.conftest import make_sqlite_ctx

    _settings, ctx = make_sqlite_ctx(
        tmp_path, sqlite_template, team_attempt_factor=5, team_challenge_attempt_factor=4
    )
    try:
        assert (ctx.team_factor, ctx.team_challenge_factor) == (5, 4)
    finally:
        ctx.db.dispose()
    for bad in (0, -1, 1001):
        with pytest.raises(SettingsError):
            load_settings(environ={}, data_dir=tmp_path / "d", secret_key="k" * 20, team_attempt_factor=bad)
    env = {"KIZUNA_TEAM_ATTEMPT_FACTOR": "4"}
    settings = load_settings(environ=env, data_dir=tmp_path / "d", secret_key="k" * 20)
    ctx2 = build_context(settings)
    try:
        assert ctx2.team_factor == 4
    finally:
        ctx2.db.dispose()


def test_individual_mode_has_only_the_users_limit(
    client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    event.update_event(ctx, {"mode": "users"})
    user = make.user("alone")
    token = make.token(user)
    chals = [make.challenge(flag=f"flag{{u{i}}}") for i in range(2)]
    for i in range(ctx.attempt_rate_limit):
        assert guess(client, token, chals[i % 2].id, f"w{i}").json()["data"]["status"] == "incorrect"
    r = guess(client, token, chals[0].id, "flag{u0}")
    assert r.status_code == 429
