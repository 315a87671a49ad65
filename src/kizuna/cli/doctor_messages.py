"""The sentence for each problem ``kizuna doctor`` reports (``services/doctor.py``), in the CLI's
language. Imported only by the command, so ``kizuna.cli.main`` stays light."""

from __future__ import annotations

from typing import Any

from kizuna.i18n import gettext, lazy

ORPHANS = {
    "challenge": lazy(
        "Row %(id)s of %(table)s belongs to a challenge that does not exist (id %(missing_id)s)."
    ),
    "user": lazy("Row %(id)s of %(table)s belongs to a user that does not exist (id %(missing_id)s)."),
    "team": lazy("Row %(id)s of %(table)s belongs to a team that does not exist (id %(missing_id)s)."),
    "account": lazy(
        "Row %(id)s of %(table)s belongs to an account (team or user) that does not exist "
        "(id %(missing_id)s)."
    ),
    "hint": lazy("Row %(id)s of %(table)s unlocks a hint that does not exist (id %(missing_id)s)."),
}

SENTENCES = {
    "migrations_outdated": lazy("The database schema is not current: run “kizuna db upgrade”."),
    "event_missing": lazy("The event row is missing."),
    "revision_missing": lazy("The revision counter “%(name)s” is missing."),
    "revision_invalid": lazy("The revision counter “%(name)s” has an impossible value (%(value)s)."),
    "file_missing": lazy("File %(id)s (%(location)s) has no stored file in the upload directory."),
    "duplicate_solve": lazy("Account %(account_id)s solved challenge %(challenge_id)s %(count)s times."),
    "score_mismatch": lazy(
        "Account %(account_id)s has %(board)s points on the scoreboard, but its solves and awards add up "
        "to %(expected)s."
    ),
    "hint_charge_mismatch": lazy(
        "Account %(account_id)s unlocked hint %(hint_id)s, which costs %(cost)s points, but was charged "
        "%(charged)s."
    ),
    "value_mismatch": lazy(
        "Challenge %(challenge_id)s (%(name)s) is worth %(value)s points, but its formula gives %(expected)s."
    ),
    "certificate_font_missing": lazy(
        "The Japanese font certificates embed is missing from %(directory)s: run “make install” (it needs "
        "npm), or no certificate can be downloaded."
    ),
}
HEALTHY = lazy("No problems found.")
PROBLEMS = lazy("Problems found: %(count)s.")


def sentence(problem: Any) -> str:
    pattern = ORPHANS[problem.params["missing"]] if problem.kind == "orphan_row" else SENTENCES[problem.kind]
    return gettext(pattern, **problem.params)
