"""The flag attempt's fast path (issue 9), on SQLite and PostgreSQL.

``submit_flag`` reads what it checks (event, user, team, challenge, whether solved) in one row and
records with prebuilt statements; these tests hold it to the same answers as the general rules
(``accounts.player_account``, ``challenges.access``), to a bounded number of statements, to changes
made elsewhere (another ``Database`` on the same data, as another worker) taking effect at once, and
to SQLite writers of several processes queueing without "database is locked".
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.services import challenges, content, submissions
from kizuna.services.accounts import Principal, player_account
from kizuna.services.context import Context
from kizuna.storage import db as db_module
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.db import Database
from kizuna.storage.raw import Raw
from kizuna.web.failures import is_unavailable
from tests.conftest import Factory
from tests.racing import race


def submission_count(ctx: Context, **where: Any) -> int:
    with ctx.db.read() as s:
        stmt = select(func.count()).select_from(t.Submission).filter_by(**where)
        return int(s.scalar(stmt) or 0)


def refusal(action: Any) -> ErrorCode | str:
    try:
        action()
    except NotFound:
        return "not found"
    except DomainError as exc:
        return exc.code
    return "allowed"


def general_rule(ctx: Context, user_id: int) -> ErrorCode | str:
    with ctx.db.read() as s:
        return refusal(lambda: player_account(s, repo.event(s), user_id))


def set_row(ctx: Context, table: Any, row_id: int, **values: Any) -> None:
    with ctx.db.write() as s:
        row = s.get(table, row_id)
        for key, value in values.items():
            setattr(row, key, value)


def test_refusals_are_those_of_player_account(backend: str, ctx: Context, make: Factory) -> None:
    """Each way a player may not play is refused as ``player_account`` refuses it, storing nothing."""
    ch = make.challenge(flag="flag{fast}")
    alone = make.user()  # team mode, no team
    member, team = make.player_in_team()
    banned, banned_team = make.player_in_team()
    set_row(ctx, t.Team, banned_team.id, banned=True)
    cases = {
        "no such user": (Principal(987654, "ghost", "player", None), ErrorCode.AUTH_REQUIRED),
        "no team": (Principal.of(alone), ErrorCode.TEAM_REQUIRED),
        "team banned": (Principal.of(banned), ErrorCode.ACCOUNT_BANNED),
    }
    for name, (who, expected) in cases.items():
        assert general_rule(ctx, who.user_id) == expected, name
        assert refusal(lambda w=who: submissions.submit_flag(ctx, w, ch.id, "flag{fast}")) == expected, name

    set_row(ctx, t.User, member.id, banned=True)
    assert general_rule(ctx, member.id) == ErrorCode.ACCOUNT_BANNED
    assert refusal(lambda: submissions.submit_flag(ctx, Principal.of(member), ch.id, "x")) == (
        ErrorCode.ACCOUNT_BANNED
    )
    set_row(ctx, t.User, member.id, banned=False)
    with ctx.db.write() as s:
        repo.event(s).email_verification = True
    set_row(ctx, t.User, member.id, email_verified_at=None)
    assert general_rule(ctx, member.id) == ErrorCode.EMAIL_UNVERIFIED
    assert refusal(lambda: submissions.submit_flag(ctx, Principal.of(member), ch.id, "x")) == (
        ErrorCode.EMAIL_UNVERIFIED
    )
    assert submission_count(ctx) == 0
    with ctx.db.write() as s:
        repo.event(s).email_verification = False
    assert submissions.submit_flag(ctx, Principal.of(member), ch.id, "flag{fast}").status == "correct"
    assert team.id  # the member's team scored
    assert submission_count(ctx, account_id=team.id, type="correct") == 1


def test_hidden_and_locked_challenges_are_not_found_until_unlocked(
    backend: str, ctx: Context, make: Factory
) -> None:
    player, _team = make.player_in_team()
    who = Principal.of(player)
    first = make.challenge(flag="flag{first}")
    locked = make.challenge(flag="flag{next}", requirements={"prerequisites": [first.id]})
    hidden = make.challenge(flag="flag{hidden}", state="hidden")
    assert refusal(lambda: submissions.submit_flag(ctx, who, 424242, "x")) == "not found"
    assert refusal(lambda: submissions.submit_flag(ctx, who, hidden.id, "flag{hidden}")) == "not found"
    assert refusal(lambda: submissions.submit_flag(ctx, who, locked.id, "flag{next}")) == "not found"
    assert submission_count(ctx) == 0
    assert submissions.submit_flag(ctx, who, first.id, "flag{first}").status == "correct"
    assert submissions.submit_flag(ctx, who, locked.id, "flag{next}").status == "correct"
    assert submissions.submit_flag(ctx, who, locked.id, "flag{next}").status == "already_solved"


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    # SQLAlchemy's executions, and those run on the driver's cursor (kizuna.storage.raw, SQLite).
    run = Raw._run

    def raw(self: Raw, session: Any, values: dict[str, Any]) -> Any:
        compiled, cursor = run(self, session, values)
        statements.append(compiled.sql)
        return compiled, cursor

    event.listen(db.engine, "before_cursor_execute", count)
    Raw._run = raw  # type: ignore[method-assign]
    try:
        yield statements
    finally:
        Raw._run = run  # type: ignore[method-assign]
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_wrong_attempt_is_a_few_statements(backend: str, ctx: Context, make: Factory) -> None:
    """Two queries for what the checks need, then the attempt and its feed event: no ORM loads."""
    player, _team = make.player_in_team()
    ch = make.challenge(flag="flag{few}")
    who = Principal.of(player)
    submissions.submit_flag(ctx, who, ch.id, "warm-up")
    with counting(ctx.db) as statements:
        assert submissions.submit_flag(ctx, who, ch.id, "wrong").status == "incorrect"
    # The facts (with the flags), the limits (with "solved"), the two inserts; PostgreSQL also locks
    # the account's row. (SQLite's BEGIN of the read before the write is not counted.)
    real = [s for s in statements if not s.lstrip().upper().startswith("BEGIN")]
    assert len(real) <= (4 if ctx.db.is_sqlite else 5), statements
    assert sum(s.lstrip().upper().startswith("INSERT") for s in statements) == 2
    with counting(ctx.db) as statements:
        assert submissions.submit_flag(ctx, who, ch.id, "flag{few}").status == "correct"
    assert len(statements) <= 15, statements


def test_a_changed_flag_or_challenge_counts_at_once_for_another_worker(
    backend: str, ctx: Context, make: Factory
) -> None:
    """Nothing about a challenge is kept between attempts: a flag or state changed through one
    ``Database`` is what the very next attempt through another one (another worker) sees."""
    alice, _ = make.player_in_team()
    bob, _ = make.player_in_team()
    ch = make.challenge(flag="flag{old}", max_attempts=5)
    other = Database(ctx.db.url)
    try:
        elsewhere = Context(db=other, types=ctx.types, bus=ctx.bus)
        assert submissions.submit_flag(elsewhere, Principal.of(alice), ch.id, "nope").status == "incorrect"
        with ctx.db.read() as s:
            flag_id = repo.flags_for(s, ch.id)[0].id
        content.update_flag(ctx, flag_id, {"content": "flag{new}"})
        assert (
            submissions.submit_flag(elsewhere, Principal.of(alice), ch.id, "flag{old}").status == "incorrect"
        )
        assert submissions.submit_flag(elsewhere, Principal.of(alice), ch.id, "flag{new}").status == "correct"
        challenges.update_challenge(ctx, ch.id, {"max_attempts": 1})
        first = submissions.submit_flag(elsewhere, Principal.of(bob), ch.id, "nope")
        assert (first.status, first.remaining) == ("incorrect", 0)
        second = submissions.submit_flag(elsewhere, Principal.of(bob), ch.id, "flag{new}")
        assert (second.status, second.message) == ("ratelimited", "no_attempts_left")
        challenges.update_challenge(ctx, ch.id, {"state": "hidden"})
        with pytest.raises(NotFound):
            submissions.submit_flag(elsewhere, Principal.of(bob), ch.id, "flag{new}")
    finally:
        other.dispose()


def test_rate_limits_count_the_user_and_the_team_on_the_challenge(
    backend: str, ctx: Context, make: Factory
) -> None:
    """One query answers both limits: the user's wrong answers across challenges, and the team's on
    one challenge (twice the user's allowance)."""
    ctx.attempt_rate_limit = 3
    members = []
    captain, team = make.player_in_team()
    members.append(captain)
    for _ in range(2):
        member = make.user()
        make.join(member, team)
        members.append(member)
    one, two = make.challenge(flag="flag{1}"), make.challenge(flag="flag{2}")
    a, b, c = (Principal.of(m) for m in members)
    answers = [submissions.submit_flag(ctx, a, cid, "x").status for cid in (one.id, two.id, one.id, two.id)]
    assert answers == ["incorrect", "incorrect", "incorrect", "ratelimited"]
    # b's own allowance: three wrong answers, then refused.
    assert [submissions.submit_flag(ctx, b, one.id, "x").status for _ in range(4)] == [
        "incorrect",
        "incorrect",
        "incorrect",
        "ratelimited",
    ]
    assert submissions.submit_flag(ctx, c, one.id, "x").status == "incorrect"  # the team's 6th on one
    # c answered once, but the team has used its six on challenge one (even a right answer waits).
    limited = submissions.submit_flag(ctx, c, one.id, "flag{1}")
    assert (limited.status, limited.http_status) == ("ratelimited", 429)
    assert limited.retry_after is not None and 1 <= limited.retry_after <= 60
    assert submissions.submit_flag(ctx, c, two.id, "flag{2}").status == "correct"


def test_sqlite_writers_of_two_processes_queue_without_errors(
    ctx: Context, make: Factory, tmp_path: Any
) -> None:
    """Forty threads in two ``Database`` objects (as two workers) attempting at once: every attempt
    is answered and recorded, none meets "database is locked"."""
    players = [make.player_in_team()[0] for _ in range(8)]
    ch = make.challenge(flag="flag{queue}")
    other = Database(ctx.db.url)
    try:
        contexts = [ctx, Context(db=other, types=ctx.types, bus=ctx.bus)]

        def attempt(i: int) -> str:
            return submissions.submit_flag(
                contexts[i % 2], Principal.of(players[i % 8]), ch.id, "flag{queue}" if i < 8 else f"no{i}"
            ).status

        results = race(40, attempt)
    finally:
        other.dispose()
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    assert Counter(results)["correct"] == 8
    assert submission_count(ctx) == 40


def test_sqlite_writer_waits_for_the_lock_and_fails_as_unavailable_past_the_bound(
    ctx: Context, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write held elsewhere (another process's connection) is waited for; past
    ``SQLITE_BUSY_SECONDS`` the attempt fails as "database is locked" — a 503, never an answer."""
    player, _ = make.player_in_team()
    ch = make.challenge(flag="flag{wait}")
    who = Principal.of(player)
    other = Database(ctx.db.url)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with other.write():
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(30)
        threading.Timer(0.3, release.set).start()
        assert submissions.submit_flag(ctx, who, ch.id, "wrong").status == "incorrect"
        holder.join(30)

        release.clear()
        holding.clear()
        holder = threading.Thread(target=hold)
        holder.start()
        assert holding.wait(30)
        monkeypatch.setattr(db_module, "SQLITE_BUSY_SECONDS", 0.2)
        with pytest.raises(Exception) as failure:
            submissions.submit_flag(ctx, who, ch.id, "flag{wait}")
        assert is_unavailable(failure.value) and "locked" in str(failure.value)
    finally:
        release.set()
        holder.join(30)
        other.dispose()
    monkeypatch.undo()
    assert submissions.submit_flag(ctx, who, ch.id, "flag{wait}").status == "correct"
    assert submission_count(ctx) == 2
