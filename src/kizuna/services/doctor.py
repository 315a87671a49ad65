"""``kizuna doctor``: check a database and report what is wrong, changing nothing.

Checks: the schema is current (migrations); the event row and the revision counters exist and are
sane; no row points at nothing (solves, submissions, hint unlocks and awards of a missing challenge,
user, team or account; unlocks of a missing hint; files whose stored file is gone); no account solved
a challenge twice; each account's score on the scoreboard equals a recomputation from its solves
and awards; every unlocked hint with a cost was charged exactly once; each decaying challenge's
value equals its formula for its number of solves; the fonts certificates embed are installed.

A problem is a message id (``kind``) with values, turned into a sentence in the CLI's language by
the adapter (``cli/main.py``), like ``DomainError``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kizuna.domain import schedule
from kizuna.domain.errors import DomainError
from kizuna.fonts import CERTIFICATE_FONT_DIR, certificate_fonts
from kizuna.services import challenges as challenge_service
from kizuna.services.context import Context
from kizuna.storage import doctor_queries as q
from kizuna.storage import repo, scoreboard_queries
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD
from kizuna.storage.migrate import needs_upgrade

# Every kind of problem the doctor reports (the CLI has a sentence for each).
KINDS = (
    "migrations_outdated",
    "event_missing",
    "revision_missing",
    "revision_invalid",
    "orphan_row",
    "file_missing",
    "duplicate_solve",
    "score_mismatch",
    "hint_charge_mismatch",
    "value_mismatch",
    "certificate_font_missing",
)


@dataclass(frozen=True)
class Problem:
    kind: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def add(self, kind: str, **params: Any) -> None:
        assert kind in KINDS, kind
        self.problems.append(Problem(kind, params))


def examine(ctx: Context) -> Report:
    """Every check, on one read transaction; the database is not changed."""
    report = Report()
    report.checked.append("migrations")
    if needs_upgrade(ctx.db):
        # The other checks read tables the missing migrations create or change.
        report.add("migrations_outdated")
        return report
    report.checked.append("certificate_font")
    if certificate_fonts() is None:
        report.add("certificate_font_missing", directory=str(CERTIFICATE_FONT_DIR))
    with ctx.db.read() as s:
        report.checked.append("event")
        if not q.has_event(s):
            report.add("event_missing")
            mode = "teams"
        else:
            mode = repo.event(s).mode
        _revisions(s, report)
        _orphans(s, mode, report)
        _files(ctx, s, report)
        _solves(s, report)
        _scores(s, mode, report)
        _hint_charges(s, report)
        _values(ctx, s, report)
    return report


def _revisions(s: Any, report: Report) -> None:
    report.checked.append("revisions")
    found = q.revision_rows(s)
    for name in (SCOREBOARD, CHALLENGES):
        if name not in found:
            report.add("revision_missing", name=name)
    for name, value in sorted(found.items()):
        if value < 0:
            report.add("revision_invalid", name=name, value=value)


def _orphans(s: Any, mode: str, report: Report) -> None:
    report.checked.append("orphans")
    for table, row_id, missing, missing_id in q.orphans(s, mode):
        report.add("orphan_row", table=table, id=row_id, missing=missing, missing_id=missing_id)


def _files(ctx: Context, s: Any, report: Report) -> None:
    report.checked.append("files")
    root = Path(ctx.upload_dir).resolve()
    for file_id, location, challenge_id in q.files(s):
        path = (root / location).resolve()
        if root not in path.parents or not path.is_file():
            report.add("file_missing", id=file_id, location=location, challenge_id=challenge_id or 0)


def _solves(s: Any, report: Report) -> None:
    report.checked.append("solves")
    for challenge_id, account_id, count in q.duplicate_solves(s):
        report.add("duplicate_solve", challenge_id=challenge_id, account_id=account_id, count=count)


def _scores(s: Any, mode: str, report: Report) -> None:
    """The scoreboard's totals (its aggregate queries) against a recomputation from the rows."""
    report.checked.append("scores")
    scoring_state = getattr(scoreboard_queries, "SCORING_STATE", None)
    now = t.utcnow()
    # A challenge whose release time is still to come scores for no one yet (as if hidden).
    # A practice challenge is on no board (its solves, from before it was marked, score nothing).
    values = {
        ch.id: (
            ch.value,
            "practice" if ch.practice else ch.state if schedule.released(ch.release_at, now) else "scheduled",
        )
        for ch in q.challenges(s)
    }
    expected: Counter[int] = Counter()
    seen: set[tuple[int, int]] = set()
    for _solve_id, challenge_id, account_id, partial in q.solve_rows(s):
        if challenge_id not in values or (challenge_id, account_id) in seen:
            continue  # reported as an orphan or a duplicate
        seen.add((challenge_id, account_id))
        value, state = values[challenge_id]
        if scoring_state is None or state == scoring_state:
            expected[account_id] += value if partial is None else partial  # a judge's partial award
    for account_id, value, _name, _description in q.award_rows(s):
        expected[account_id] += value
    board: Counter[int] = Counter()
    for account_id, (total, _when) in scoreboard_queries.solve_totals(s, None, now).items():
        board[account_id] += total
    for account_id, (total, _when) in scoreboard_queries.award_totals(s, None).items():
        board[account_id] += total
    for account_id in sorted(set(expected) | set(board)):
        if expected[account_id] != board[account_id]:
            report.add(
                "score_mismatch",
                account_id=account_id,
                board=board[account_id],
                expected=expected[account_id],
            )


def _hint_charges(s: Any, report: Report) -> None:
    report.checked.append("hints")
    charged: Counter[tuple[int, str]] = Counter()
    for account_id, value, name, description in q.award_rows(s):
        if description == "hint_unlock":
            charged[(account_id, name)] += -value
    for account_id, hint_id, cost in q.unlocked_hints(s):
        paid = charged.get((account_id, f"Hint {hint_id}"), 0)
        if cost and paid != cost:
            report.add(
                "hint_charge_mismatch", account_id=account_id, hint_id=hint_id, cost=cost, charged=paid
            )


def _values(ctx: Context, s: Any, report: Report) -> None:
    report.checked.append("values")
    counts = q.solve_counts(s)
    for ch in q.challenges(s):
        if ch.function == "static":
            continue
        try:
            ctype = ctx.types.get(ch.type)
        except DomainError:
            continue  # a plug-in type not installed here: its formula is unknown
        expected = ctype.current_value(challenge_service.scoring_of(ch), counts.get(ch.id, 0))
        if expected != ch.value:
            report.add("value_mismatch", challenge_id=ch.id, name=ch.name, value=ch.value, expected=expected)
