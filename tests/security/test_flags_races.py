"""Check-then-act races on an account's own rows are exact on SQLite and PostgreSQL (issue 8,
item 5): with a maximum of one attempt, twenty parallel guesses count exactly one; twenty parallel
unlocks of paid hints spend only the points the account has. Threads are released together by a
barrier; the same is tried through two real server processes sharing one database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.services import content, hints, scoreboard, submissions
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.settings import Settings
from kizuna.storage import tables as t
from tests.conftest import Factory, auth
from tests.live_server import LiveServer, live_server
from tests.racing import race, team_of_four

RACERS = 20


def kinds(ctx: Context, challenge_id: int) -> Counter[str]:
    with ctx.db.read() as s:
        return Counter(s.scalars(select(t.Submission.type).where(t.Submission.challenge_id == challenge_id)))


def solves(ctx: Context, challenge_id: int) -> int:
    with ctx.db.read() as s:
        return int(
            s.scalar(select(func.count()).select_from(t.Solve).where(t.Solve.challenge_id == challenge_id))
            or 0
        )


def score(ctx: Context, account_id: int) -> int:
    return next(r.score for r in scoreboard.standings(ctx).rows if r.account_id == account_id)


def paid_hints(ctx: Context, challenge_id: int, n: int, cost: int) -> list[int]:
    return [content.create_hint(ctx, challenge_id, f"hint {i}", cost).id for i in range(n)]


def test_max_one_attempt_counts_exactly_one_of_twenty_wrong_guesses(
    backend: str, ctx: Context, make: Factory
) -> None:
    members, _team = team_of_four(make)
    ch = make.challenge(flag="flag{right}", max_attempts=1)
    who = [Principal.of(m) for m in members]

    results = race(RACERS, lambda i: submissions.submit_flag(ctx, who[i % 4], ch.id, f"wrong{i}"))

    assert not [r for r in results if isinstance(r, BaseException)]
    answers = Counter((r.status, r.http_status) for r in results if not isinstance(r, BaseException))
    assert answers == {("incorrect", 200): 1, ("ratelimited", 403): RACERS - 1}
    assert kinds(ctx, ch.id) == {"incorrect": 1, "ratelimited": RACERS - 1}


def test_max_one_attempt_with_right_and_wrong_guesses_counts_one(
    backend: str, ctx: Context, make: Factory
) -> None:
    members, team = team_of_four(make)
    ch = make.challenge(flag="flag{right}", max_attempts=1, value=100)
    who = [Principal.of(m) for m in members]

    def guess(i: int) -> Any:
        return submissions.submit_flag(ctx, who[i % 4], ch.id, "flag{right}" if i % 2 else f"wrong{i}")

    results = race(RACERS, guess)

    assert not [r for r in results if isinstance(r, BaseException)]
    stored = kinds(ctx, ch.id)
    counted = stored["correct"] + stored["incorrect"]
    assert counted == 1, stored
    assert solves(ctx, ch.id) == stored["correct"]
    assert score(ctx, team.id) == 100 * stored["correct"]


def test_parallel_hint_unlocks_spend_only_the_points_there_are(
    backend: str, ctx: Context, make: Factory
) -> None:
    members, team = team_of_four(make)
    earner = make.challenge(flag="flag{points}", value=100)
    assert (
        submissions.submit_flag(ctx, Principal.of(members[0]), earner.id, "flag{points}").status == "correct"
    )
    target = make.challenge(flag="flag{other}")
    hint_ids = paid_hints(ctx, target.id, RACERS, cost=30)  # 100 points pay for three
    who = [Principal.of(m) for m in members]

    results = race(RACERS, lambda i: hints.unlock_hint(ctx, who[i % 4], hint_ids[i]))

    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, DomainError) and r.code is ErrorCode.HINT_NOT_ENOUGH_POINTS for r in refused), (
        refused
    )
    assert len(results) - len(refused) == 3
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(t.Unlock).where(t.Unlock.account_id == team.id)) == 3
    assert score(ctx, team.id) == 10


# --- two real server processes on one database ------------------------------------------------------


@contextmanager
def two_servers(settings: Settings, tmp_path: Path) -> Iterator[list[LiveServer]]:
    env = {
        "KIZUNA_DATA_DIR": str(settings.data_dir),
        "KIZUNA_DATABASE_URL": settings.resolved_database_url,
        "KIZUNA_SECRET_KEY": settings.secret_key,
        "KIZUNA_ENVIRONMENT": "test",
    }
    with ExitStack() as stack:
        yield [
            stack.enter_context(live_server(env, tmp_path / f"server{i}.log", timeout=90)) for i in range(2)
        ]


def test_two_server_processes_count_exactly(
    backend: str, settings_and_ctx: tuple[Settings, Context], make: Factory, tmp_path: Path
) -> None:
    settings, ctx = settings_and_ctx
    members, team = team_of_four(make)
    tokens = [make.token(m) for m in members]
    limited = make.challenge(flag="flag{right}", max_attempts=1)
    earner = make.challenge(flag="flag{points}", value=100)
    assert (
        submissions.submit_flag(ctx, Principal.of(members[0]), earner.id, "flag{points}").status == "correct"
    )
    hint_ids = paid_hints(ctx, make.challenge(flag="flag{x}").id, RACERS, cost=30)

    with two_servers(settings, tmp_path) as servers, httpx.Client(timeout=60) as http:

        def attempt(i: int) -> int:
            r = http.post(
                f"{servers[i % 2].url}/api/v1/challenges/attempt",
                json={"challenge_id": limited.id, "submission": f"wrong{i}"},
                headers=auth(tokens[i % 4]),
            )
            return r.status_code

        def unlock(i: int) -> int:
            r = http.post(
                f"{servers[i % 2].url}/api/v1/unlocks",
                json={"target": hint_ids[i], "type": "hints"},
                headers=auth(tokens[i % 4]),
            )
            return r.status_code

        attempts = race(RACERS, attempt)
        unlocks = race(RACERS, unlock)

    assert Counter(attempts) == {200: 1, 403: RACERS - 1}, attempts
    assert kinds(ctx, limited.id) == {"incorrect": 1, "ratelimited": RACERS - 1}
    assert Counter(unlocks) == {200: 3, 400: RACERS - 3}, unlocks
    assert score(ctx, team.id) == 10
