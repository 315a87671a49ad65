"""CTFd's ``logic`` on SQLite and PostgreSQL: ``all`` needs every flag of the challenge (sent by
anyone of the account), ``team`` every member of the team; until then a right answer is
``partial`` ("Correct, but more flags are required", in the reader's language), and then one
solve. Two last parts arriving at once still make exactly one solve."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from kizuna.challenge_types import ChallengeScoring, Verdict
from kizuna.domain.errors import DomainError
from kizuna.domain.flags import FlagSpec
from kizuna.services import content, event, scoreboard, submissions
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import tables as t
from tests.conftest import Factory, auth
from tests.racing import race, team_of_four


def solves(ctx: Context, challenge_id: int) -> int:
    with ctx.db.read() as s:
        stmt = select(func.count()).select_from(t.Solve).where(t.Solve.challenge_id == challenge_id)
        return int(s.scalar(stmt) or 0)


def kinds(ctx: Context, challenge_id: int) -> Counter[str]:
    with ctx.db.read() as s:
        return Counter(s.scalars(select(t.Submission.type).where(t.Submission.challenge_id == challenge_id)))


def three_flags(ctx: Context, make: Factory, logic: str) -> t.Challenge:
    ch = make.challenge(flag="flag{one}", logic=logic, value=300)
    content.create_flag(ctx, ch.id, "static", "flag{two}", "")
    content.create_flag(ctx, ch.id, "static", "flag{three}", "")
    return ch


def test_logic_all_needs_every_flag_from_anyone_of_the_team(
    backend: str, ctx: Context, make: Factory
) -> None:
    members, _team = team_of_four(make)
    who = [Principal.of(m) for m in members]
    ch = three_flags(ctx, make, "all")

    assert submissions.submit_flag(ctx, who[0], ch.id, "flag{one}").status == "partial"
    assert submissions.submit_flag(ctx, who[1], ch.id, "flag{one}").status == "partial"  # again: no progress
    assert submissions.submit_flag(ctx, who[1], ch.id, "wrong").status == "incorrect"
    assert submissions.submit_flag(ctx, who[2], ch.id, "flag{three}").status == "partial"
    assert solves(ctx, ch.id) == 0
    done = submissions.submit_flag(ctx, who[3], ch.id, "flag{two}")
    assert (done.status, done.params["value"]) == ("correct", 300)
    assert solves(ctx, ch.id) == 1
    assert submissions.submit_flag(ctx, who[0], ch.id, "flag{two}").status == "already_solved"
    assert kinds(ctx, ch.id) == {"partial": 3, "incorrect": 1, "correct": 1, "already_solved": 1}
    with ctx.db.read() as s:
        matched = s.scalars(select(t.Submission.flag_id).where(t.Submission.type == "partial")).all()
        flag_ids = [f.id for f in s.query(t.Flag).filter(t.Flag.challenge_id == ch.id).order_by(t.Flag.id)]
    assert matched == [flag_ids[0], flag_ids[0], flag_ids[2]]


def test_logic_any_is_unchanged(backend: str, ctx: Context, make: Factory) -> None:
    user, _team = make.player_in_team()
    ch = three_flags(ctx, make, "any")
    assert submissions.submit_flag(ctx, Principal.of(user), ch.id, "flag{two}").status == "correct"


def test_logic_team_needs_every_member(backend: str, ctx: Context, make: Factory) -> None:
    members, team = team_of_four(make)
    other, other_team = make.player_in_team()
    make.join(make.user(), other_team)
    who = [Principal.of(m) for m in members]
    ch = make.challenge(flag="flag{x}", logic="team", value=200)
    for i in range(3):
        assert submissions.submit_flag(ctx, who[i], ch.id, "flag{x}").status == "partial"
        assert submissions.submit_flag(ctx, who[i], ch.id, "flag{x}").status == "partial"
    # Another team's member counts for nothing here.
    assert submissions.submit_flag(ctx, Principal.of(other), ch.id, "flag{x}").status == "partial"
    assert solves(ctx, ch.id) == 0
    assert submissions.submit_flag(ctx, who[3], ch.id, "flag{x}").status == "correct"
    with ctx.db.read() as s:
        solve = s.scalars(select(t.Solve).where(t.Solve.challenge_id == ch.id)).one()
    assert (solve.account_id, solve.value) == (team.id, None)


def test_logic_team_in_individual_mode_is_any(backend: str, ctx: Context, make: Factory) -> None:
    event.update_event(ctx, {"mode": "users"})
    user = make.user()
    ch = make.challenge(flag="flag{x}", logic="team")
    assert submissions.submit_flag(ctx, Principal.of(user), ch.id, "flag{x}").status == "correct"


@pytest.mark.parametrize("logic", ["all", "team"])
def test_two_last_parts_at_once_make_one_solve(backend: str, ctx: Context, make: Factory, logic: str) -> None:
    members, _team = team_of_four(make)
    who = [Principal.of(m) for m in members]
    if logic == "all":
        ch = three_flags(ctx, make, "all")
        assert submissions.submit_flag(ctx, who[0], ch.id, "flag{one}").status == "partial"
        last = ["flag{two}", "flag{three}"]
    else:
        ch = make.challenge(flag="flag{x}", logic="team")
        for i in (0, 1):
            assert submissions.submit_flag(ctx, who[i], ch.id, "flag{x}").status == "partial"
        last = ["flag{x}", "flag{x}"]
    results = race(2, lambda i: submissions.submit_flag(ctx, who[2 + i], ch.id, last[i]))
    assert not [r for r in results if isinstance(r, BaseException)], results
    statuses = sorted(r.status for r in results if not isinstance(r, BaseException))
    # The first to take the account's lock is a part; the second completes the challenge.
    assert statuses == ["correct", "partial"], statuses
    assert solves(ctx, ch.id) == 1


def test_partial_answer_over_the_api_in_both_languages(client: object, make: Factory, ctx: Context) -> None:
    from fastapi.testclient import TestClient

    assert isinstance(client, TestClient)
    user, _team = make.player_in_team()
    ch = three_flags(ctx, make, "all")
    headers = auth(make.token(user))
    for lang, words in (("en", "Correct, but more flags are required."), ("ja", "正解です。")):
        r = client.post(
            "/api/v1/challenges/attempt",
            json={"challenge_id": ch.id, "submission": "flag{one}"},
            headers={**headers, "Accept-Language": lang},
        )
        assert r.status_code == 200
        assert r.json()["data"]["status"] == "partial"
        assert words in r.json()["data"]["message"]


def test_every_solve_goes_through_record_solve(
    backend: str, ctx: Context, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A correct attempt, a judge's acceptance and an admin's correction all record their solve
    through ``solves.record_solve``: one solve event each, and a second solve of the same account is
    refused or answered as already solved."""
    from kizuna.services import admin_submissions, reviews
    from kizuna.services import solves as solve_module

    calls: list[int] = []
    real = solve_module.record_solve

    def counted(*args: object, **kw: object) -> object:
        calls.append(int(str(kw["challenge_id"])))
        return real(*args, **kw)  # type: ignore[arg-type]

    for module in (
        "kizuna.services.submissions",
        "kizuna.services.reviews",
        "kizuna.services.admin_submissions",
    ):
        monkeypatch.setattr(f"{module}.record_solve", counted)
    player, team = make.player_in_team()
    who = Principal.of(player)
    flagged = make.challenge(flag="flag{x}")
    judged = make.challenge(flag=None, type="manual")
    corrected = make.challenge(flag="flag{y}")
    assert submissions.submit_flag(ctx, who, flagged.id, "flag{x}").status == "correct"
    assert submissions.submit_flag(ctx, who, judged.id, "essay").status == "pending"
    admin = Principal.of(make.admin())
    reviews.decide(ctx, admin, reviews.queue(ctx, admin)[0].review_id, "accept")
    assert submissions.submit_flag(ctx, who, corrected.id, "flag{almost}").status == "incorrect"
    with ctx.db.read() as s:
        wrong = s.scalars(select(t.Submission.id).where(t.Submission.challenge_id == corrected.id)).one()
    admin_submissions.mark_submission(ctx, wrong, "correct")
    assert calls == [flagged.id, judged.id, corrected.id]
    with ctx.db.read() as s:
        logged = s.scalars(select(t.EventLog).where(t.EventLog.type == "solve")).all()
        assert sorted(e.data["challenge_id"] for e in logged) == sorted(calls)
        assert all(e.data["account_id"] == team.id for e in logged)
    # The admin cannot add a second solve of the same account through another submission.
    assert submissions.submit_flag(ctx, who, corrected.id, "flag{y}").status == "already_solved"
    with ctx.db.read() as s:
        again = s.scalars(
            select(t.Submission.id)
            .where(t.Submission.challenge_id == corrected.id)
            .order_by(t.Submission.id.desc())
        ).first()
    with pytest.raises(DomainError):
        admin_submissions.mark_submission(ctx, again, "correct")
    assert solves(ctx, corrected.id) == 1


class HalfType:
    """A plugin whose right answers earn half the points: a ``partial`` verdict."""

    name = "half"

    def prepare(self, fields: dict[str, object]) -> dict[str, object]:
        return {**fields, "function": "static"}

    def current_value(self, scoring: ChallengeScoring, solve_count: int) -> int:
        return scoring.value

    def attempt(self, flags: list[FlagSpec], submission: str) -> Verdict:
        return Verdict.partial(30) if submission == "half" else Verdict.incorrect()


def test_a_partial_verdict_scores_its_value(backend: str, ctx: Context, make: Factory) -> None:
    ctx.types.register(HalfType())
    player, team = make.player_in_team()
    ch = make.challenge(flag=None, type="half", value=100)
    assert submissions.submit_flag(ctx, Principal.of(player), ch.id, "nope").status == "incorrect"
    result = submissions.submit_flag(ctx, Principal.of(player), ch.id, "half")
    assert (result.status, result.params["value"]) == ("correct", 30)
    rows = {r.account_id: r.score for r in scoreboard.standings(ctx).rows}
    assert rows[team.id] == 30
