"""Races on the hot write paths, on SQLite and PostgreSQL.

Fifty members' requests arriving at once for the same flag must record one solve, answer "correct"
exactly once and count the points once; racing registrations of one name must create one account.
Dynamic values decay with every counted solve and every solver scores the current value.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.services import accounts, event, scoreboard, submissions, teams
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import tables as t
from kizuna.storage.tables import EventLog
from tests.conftest import PASSWORD, Factory, auth
from tests.racing import race, team_of_four

RACERS = 50


def count(ctx: Context, table: Any, *where: Any) -> int:
    with ctx.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def submission_kinds(ctx: Context, challenge_id: int) -> Counter[str]:
    with ctx.db.read() as s:
        return Counter(s.scalars(select(t.Submission.type).where(t.Submission.challenge_id == challenge_id)))


def score_of(ctx: Context, account_id: int) -> int:
    return next(r.score for r in scoreboard.standings(ctx).rows if r.account_id == account_id)


def test_simultaneous_correct_submissions_solve_once(backend: str, ctx: Context, make: Factory) -> None:
    members, team = team_of_four(make)
    ch = make.challenge(flag="flag{race}", value=300)
    who = [Principal.of(m) for m in members]

    results = race(RACERS, lambda i: submissions.submit_flag(ctx, who[i % 4], ch.id, "flag{race}"))

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    statuses = Counter(r.status for r in results if not isinstance(r, BaseException))
    assert statuses == {"correct": 1, "already_solved": RACERS - 1}
    assert count(ctx, t.Solve, t.Solve.challenge_id == ch.id) == 1
    assert submission_kinds(ctx, ch.id) == {"correct": 1, "already_solved": RACERS - 1}
    assert score_of(ctx, team.id) == 300


def test_simultaneous_correct_submissions_over_http(
    backend: str, ctx: Context, make: Factory, client: Any
) -> None:
    members, team = team_of_four(make)
    ch = make.challenge(flag="flag{http-race}", value=250)
    headers = [auth(make.token(m)) for m in members]

    def attempt(i: int) -> tuple[int, str]:
        r = client.post(
            "/api/v1/challenges/attempt",
            json={"challenge_id": ch.id, "submission": "flag{http-race}"},
            headers=headers[i % 4],
        )
        return r.status_code, r.json()["data"]["status"]

    results = race(RACERS, attempt)

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    assert Counter(results) == {(200, "correct"): 1, (200, "already_solved"): RACERS - 1}
    assert count(ctx, t.Solve, t.Solve.challenge_id == ch.id) == 1
    board = client.get("/api/v1/scoreboard").json()["data"]
    assert [(row["account_id"], row["score"]) for row in board] == [(team.id, 250)]
    listing = client.get("/api/v1/challenges", headers=headers[0]).json()["data"]
    assert [(c["solves"], c["solved_by_me"]) for c in listing if c["id"] == ch.id] == [(1, True)]


def test_simultaneous_registrations_of_one_name_create_one_account(backend: str, ctx: Context) -> None:
    # The same name as different people would type it: ASCII, upper case, full width.
    spellings = ["Racer", "racer", "ＲＡＣＥＲ", "RACER", " racer "]

    def register(i: int) -> Any:
        return accounts.register_user(ctx, spellings[i % len(spellings)], PASSWORD, by_admin=True)

    results = race(20, register)

    created = [r for r in results if isinstance(r, t.User)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(created) == 1, results
    assert len(refused) == 19
    assert {e.code for e in refused} == {ErrorCode.NAME_TAKEN}
    assert count(ctx, t.User, t.User.name_key == "racer") == 1


def test_simultaneous_team_creations_of_one_name_create_one_team(
    backend: str, ctx: Context, make: Factory
) -> None:
    captains = [make.user() for _ in range(10)]
    results = race(
        10,
        lambda i: teams.create_team(ctx, "Cyber Wales" if i % 2 else "ｃｙｂｅｒ ｗａｌｅｓ", captains[i].id),
    )
    created = [r for r in results if isinstance(r, t.Team)]
    assert len(created) == 1, results
    assert all(
        isinstance(r, DomainError) and r.code is ErrorCode.NAME_TAKEN for r in results if r not in created
    )
    assert count(ctx, t.Team) == 1
    assert count(ctx, t.User, t.User.team_id.is_not(None)) == 1


# --- dynamic value decay --------------------------------------------------------------------------


def dynamic(make: Factory, **extra: Any) -> Any:
    # Linear, 100 points per solve after the first, floor 100: easy numbers to read.
    return make.challenge(
        flag="flag{decay}", type="dynamic", function="linear", initial=500, minimum=100, decay=100, **extra
    )


def solve(ctx: Context, user: Any, ch: Any) -> str:
    return submissions.submit_flag(ctx, Principal.of(user), ch.id, "flag{decay}").status


def challenge_value(ctx: Context, challenge_id: int) -> int:
    with ctx.db.read() as s:
        ch = s.get(t.Challenge, challenge_id)
        assert ch is not None
        return ch.value


def test_dynamic_value_decays_and_every_solver_scores_the_current_value(
    backend: str, ctx: Context, make: Factory
) -> None:
    ch = dynamic(make)
    solvers = [make.player_in_team() for _ in range(6)]
    expected = [500, 400, 300, 200, 100, 100]
    for n, ((user, _team), value) in enumerate(zip(solvers, expected, strict=True), start=1):
        assert solve(ctx, user, ch) == "correct"
        assert challenge_value(ctx, ch.id) == value
        # Retroactive, as on CTFd: everyone who solved it so far holds the same, current value.
        for _u, team in solvers[:n]:
            assert score_of(ctx, team.id) == value


def test_concurrent_solves_by_different_teams_decay_exactly(
    backend: str, ctx: Context, make: Factory
) -> None:
    ch = make.challenge(
        flag="flag{decay}", type="dynamic", function="linear", initial=1000, minimum=0, decay=10
    )
    solvers = [make.player_in_team()[0] for _ in range(12)]
    events: list[dict[str, Any]] = []
    ctx.bus.subscribe(events.append)
    results = race(12, lambda i: solve(ctx, solvers[i], ch))
    assert results == ["correct"] * 12
    assert challenge_value(ctx, ch.id) == 1000 - 10 * 11
    assert {r.score for r in scoreboard.standings(ctx).rows} == {890}
    solves = [e["data"] for e in events if e["type"] == "solve"]
    assert len(solves) == 12
    # First, second and third blood exactly once each, even when the solves raced.
    assert sorted(e["first_blood"] for e in solves) == [0] * 9 + [1, 2, 3]
    # The stored log holds the same events, with increasing ids, committed with the solves.
    with ctx.db.read() as s:
        stored = s.query(EventLog).filter(EventLog.type == "solve").order_by(EventLog.id).all()
    assert [row.id for row in stored] == sorted(e["id"] for e in events if e["type"] == "solve")
    assert sorted(row.data["first_blood"] for row in stored) == [0] * 9 + [1, 2, 3]


def test_hidden_and_banned_teams_do_not_count_toward_decay(backend: str, ctx: Context, make: Factory) -> None:
    ch = dynamic(make)
    admin = make.admin()
    hidden_user, hidden_team = make.player_in_team()
    teams.update_team(ctx, hidden_team.id, {"hidden": True}, admin.id, True)
    assert solve(ctx, hidden_user, ch) == "correct"
    assert challenge_value(ctx, ch.id) == 500  # a hidden team's solve does not lower the value

    first, first_team = make.player_in_team()
    assert solve(ctx, first, ch) == "correct"
    assert challenge_value(ctx, ch.id) == 500  # the first counted solve

    later, later_team = make.player_in_team()
    assert solve(ctx, later, ch) == "correct"
    assert challenge_value(ctx, ch.id) == 400

    # Banning a solver: its solve stops counting at the next recomputation (the next solve).
    teams.update_team(ctx, later_team.id, {"banned": True}, admin.id, True)
    last, last_team = make.player_in_team()
    assert solve(ctx, last, ch) == "correct"
    assert challenge_value(ctx, ch.id) == 400  # counted: first and last, not hidden nor banned

    board = {r.account_id: r.score for r in scoreboard.standings(ctx).rows}
    assert board == {first_team.id: 400, last_team.id: 400}


def test_hidden_users_do_not_count_toward_decay_in_individual_mode(
    backend: str, ctx: Context, make: Factory
) -> None:
    event.update_event(ctx, {"mode": "users"})
    ch = dynamic(make)
    admin_hidden = make.user()
    accounts.update_user(ctx, admin_hidden.id, {"hidden": True})
    players = [make.user() for _ in range(2)]
    assert solve(ctx, admin_hidden, ch) == "correct"
    for player in players:
        assert solve(ctx, player, ch) == "correct"
    assert challenge_value(ctx, ch.id) == 400
    board = {r.account_id: r.score for r in scoreboard.standings(ctx).rows}
    assert board == {players[0].id: 400, players[1].id: 400}


def test_logarithmic_decay_matches_ctfd_through_the_services(
    backend: str, ctx: Context, make: Factory
) -> None:
    ch = make.challenge(flag="flag{decay}", type="dynamic", initial=500, minimum=100, decay=3)
    values = []
    for _ in range(5):
        user, _team = make.player_in_team()
        solve(ctx, user, ch)
        values.append(challenge_value(ctx, ch.id))
    # ceil(500 - 400 * n^2 / 9) for n = 0..4, floored at 100.
    assert values == [500, 456, 323, 100, 100]
