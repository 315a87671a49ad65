"""Integrity signals for judges (``domain.integrity`` has the rules): found from stored data by a
background job (``jobs.integrity_watch``, one turn per :data:`SCAN_EVERY` or longer across every
process, see :func:`scan_if_due`)
or when a judge asks ("look again now", a POST), kept in ``integrity_signals``, dismissed by a judge
with an optional note. Reading the list (a GET) never writes.

Finding them (:func:`scan`) reads in bounded queries (``storage.integrity_queries``), never on the
attempt path, and writes only when something new was found: a signal whose key is stored already is
not raised again, dismissed or not, so a dismissed signal stays dismissed for the same evidence.
When the evidence about the same subject grows (a third team sends the same wrong answer), the
open signal is updated in place; a dismissed one is followed by a new signal, since that evidence
is new.

Every dismissal is audited (``integrity.dismissed``) and appended to the event log
(``integrity_dismissed``, staff). Nothing here acts on an account.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.events import Audience
from kizuna.domain.flags import FlagSpec, flag_matches, normalise_submission
from kizuna.domain.integrity import KINDS, Rules, close_together, digest, followers, meaningful_guess
from kizuna.services.context import Context
from kizuna.storage import integrity_queries as q
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.admin_queries import Page
from kizuna.storage.uow import current_actor

SCAN_EVERY = timedelta(seconds=30)
SCAN_KEY = "background"
COST_FACTOR = 20  # the turn lasts at least this many times the last scan's duration
PER_KIND = 200  # signals of one kind stored per scan at most (the strongest first)
MAX_NOTE = 1000
MAX_LISTED = 20  # accounts listed in one signal's evidence (the total is kept beside them)
STATUSES = ("open", "dismissed", "all")


@dataclass(frozen=True)
class Found:
    kind: str
    subject: str
    key: str
    evidence: dict[str, Any]


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def _shared_guesses(s: Any, rules: Rules, mode: str, all_flags: list[FlagSpec]) -> list[Found]:
    firsts: dict[tuple[int, str], list[tuple[int, Any]]] = defaultdict(list)
    for challenge_id, provided, account, first in q.guess_firsts(
        s, rules.min_guess_length, rules.common_guess
    ):
        firsts[(challenge_id, provided)].append((account, first))
    found = []
    for (challenge_id, provided), sent in firsts.items():
        # A wrong answer that is some challenge's flag is a flag: the other_flag signal names the
        # challenge, and the text is never shown.
        if not meaningful_guess(provided, rules) or any(flag_matches(f, provided) for f in all_flags):
            continue
        close = close_together(sent, rules.guess_window)
        if not close:
            continue
        subject = f"shared_guess:{challenge_id}:{digest(provided)}"
        accounts = [{"account_id": a, "date": _iso(d)} for a, d in close]
        evidence = {"mode": mode, "challenge_id": challenge_id, "guess": provided[:200], "accounts": accounts}
        found.append(Found("shared_guess", subject, f"{subject}#{digest(*(a for a, _ in close))}", evidence))
    return found


def _other_flags(s: Any, mode: str, flag_rows: list[tuple[int, str, str, str]]) -> list[Found]:
    static = [(c, FlagSpec(ty, co, d)) for c, ty, co, d in flag_rows if ty == "static"]
    if not static:
        return []
    lowered = {normalise_submission(spec.content).lower() for _c, spec in static}
    lowered |= {spec.content.strip().lower() for _c, spec in static}
    hits: dict[tuple[int, int, int], list[q.Wrong]] = defaultdict(list)
    for wrong in q.wrong_answers_like(s, lowered):
        for challenge_id, spec in static:
            if challenge_id != wrong.challenge_id and flag_matches(spec, wrong.provided):
                hits[(wrong.account_id, wrong.challenge_id, challenge_id)].append(wrong)
                break
    solved = q.solved_pairs(s, [(acct, matched) for acct, _c, matched in hits])
    found = []
    for (account, challenge_id, matched), rows in hits.items():
        subject = f"other_flag:{account}:{challenge_id}:{matched}"
        dates = sorted(w.date for w in rows)
        evidence = {
            "mode": mode,
            "account_id": account,
            "user_ids": sorted({w.user_id for w in rows}),
            "challenge_id": challenge_id,
            "matched_challenge_id": matched,
            "solved_matched": (account, matched) in solved,
            "count": len(rows),
            "first": _iso(dates[0]),
            "last": _iso(dates[-1]),
        }
        found.append(Found("other_flag", subject, subject, evidence))
    return found


def _shared_addresses(s: Any, mode: str) -> list[Found]:
    uses: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for use in q.shared_addresses(s, mode):
        entry = uses[use.address].setdefault(
            use.account_id,
            {"account_id": use.account_id, "user_ids": set(), "kinds": set(), "last_seen": None},
        )
        entry["user_ids"].add(use.user_id)
        entry["kinds"].add(use.kind)
        if entry["last_seen"] is None or use.last_seen > entry["last_seen"]:
            entry["last_seen"] = use.last_seen
    found = []
    for address, by_account in uses.items():
        if len(by_account) < 2:
            continue
        ids = sorted(by_account)
        listed = [
            {
                "account_id": e["account_id"],
                "user_ids": sorted(e["user_ids"]),
                "kinds": sorted(e["kinds"]),
                "last_seen": _iso(e["last_seen"]),
            }
            for e in sorted(by_account.values(), key=lambda e: e["last_seen"], reverse=True)[:MAX_LISTED]
        ]
        subject = f"shared_address:{address}"
        evidence = {"mode": mode, "address": address, "total": len(ids), "accounts": listed}
        found.append(Found("shared_address", subject, f"{subject}#{digest(*ids)}", evidence))
    return found


def _bursts(s: Any, rules: Rules, mode: str) -> list[Found]:
    found = []
    for (leader, follower), follows in followers(q.recent_solves(s), rules).items():
        subject = f"solve_burst:{leader}:{follower}"
        evidence = {
            "mode": mode,
            "leader_id": leader,
            "follower_id": follower,
            "solves": [
                {
                    "challenge_id": f.challenge_id,
                    "leader_at": _iso(f.leader_at),
                    "follower_at": _iso(f.follower_at),
                    "seconds": f.seconds,
                }
                for f in follows[:MAX_LISTED]
            ],
            "count": len(follows),
        }
        key = f"{subject}#{digest(*sorted(f.challenge_id for f in follows))}"
        found.append(Found("solve_burst", subject, key, evidence))
    return found


def find(ctx: Context, rules: Rules | None = None) -> list[Found]:
    """Every signal the stored data shows now (bounded reads; nothing written)."""
    rules = rules or ctx.integrity
    with ctx.db.read() as s:
        mode = repo.event(s).mode
        flag_rows = q.flags(s)
        all_flags = [FlagSpec(ty, co, d) for _c, ty, co, d in flag_rows]
        return (
            _shared_guesses(s, rules, mode, all_flags)
            + _other_flags(s, mode, flag_rows)
            + _shared_addresses(s, mode)
            + _bursts(s, rules, mode)
        )


_MEASURES = {
    "shared_guess": "accounts",
    "other_flag": "count",
    "shared_address": "total",
    "solve_burst": "count",
}


def _strongest(found: list[Found]) -> list[Found]:
    """At most :data:`PER_KIND` signals of each kind, those with the most evidence first (the rest
    wait for the next scan)."""

    def strength(f: Found) -> int:
        value = f.evidence.get(_MEASURES[f.kind], 0)
        return len(value) if isinstance(value, list) else int(value or 0)

    out: list[Found] = []
    for kind in KINDS:
        out += sorted((f for f in found if f.kind == kind), key=strength, reverse=True)[:PER_KIND]
    return out


def scan(ctx: Context, rules: Rules | None = None) -> int:
    """Store the signals not stored yet; returns how many were raised or updated. Writes nothing
    (and takes no write lock) when nothing is new."""
    found = find(ctx, rules)
    if not found:
        return 0
    with ctx.db.read() as s:
        stored, _open = q.known(s, (f.key for f in found), ())
    new = _strongest([f for f in found if f.key not in stored])
    if not new:
        return 0
    changed = 0
    with ctx.write() as uow:
        s = uow.session
        stored, open_by_subject = q.known(s, (f.key for f in new), (f.subject for f in new))
        now = ctx.now()
        for f in new:
            if f.key in stored:
                continue  # raised meanwhile by another request
            current = open_by_subject.get(f.subject)
            try:
                with s.begin_nested():
                    if current is not None:
                        row = s.get(t.IntegritySignal, current)
                        assert row is not None
                        row.key, row.evidence, row.updated_at = f.key, f.evidence, now
                    else:
                        s.add(
                            t.IntegritySignal(
                                kind=f.kind,
                                subject=f.subject,
                                key=f.key,
                                evidence=f.evidence,
                                created_at=now,
                                updated_at=now,
                                note="",
                            )
                        )
            except repo.IntegrityError:
                continue  # another request stored the same key first
            changed += 1
    return changed


def scan_if_due(ctx: Context, every: timedelta = SCAN_EVERY) -> int | None:
    """:func:`scan`, unless another turn is not over (None then): a process started one less than
    ``every`` ago, or less than :data:`COST_FACTOR` times the last scan's duration ago — so on a big
    event (a scan of a million wrong answers takes seconds) the scan uses at most about 1/20 of the
    database's time. The turn is claimed in ``integrity_scans`` with one conditional update, so many
    workers and replicas scan once per turn."""
    now = ctx.now()
    with ctx.db.write() as s:
        if not q.claim_scan(s, SCAN_KEY, now, every, COST_FACTOR):
            return None
    started = time.perf_counter()
    changed = scan(ctx)
    with ctx.db.write() as s:
        q.scan_took(s, SCAN_KEY, int((time.perf_counter() - started) * 1000))
    return changed


def parse_status(value: str) -> str:
    if value in ("", "open"):
        return "open"
    if value not in STATUSES:
        raise DomainError(ErrorCode.VALUE_INVALID, field="status")
    return value


def parse_kind(value: str) -> str:
    if value and value not in KINDS:
        raise DomainError(ErrorCode.VALUE_INVALID, field="kind")
    return value


@dataclass(frozen=True)
class Listing:
    page: Page[t.IntegritySignal]
    teams: dict[int, str]
    users: dict[int, str]
    challenges: dict[int, str]
    dismissers: dict[int, str]


def listing(ctx: Context, status: str = "open", kind: str = "", page: int = 1) -> Listing:
    """A page of signals, with the names their evidence needs (read now, so a renamed team shows its
    current name). Only reads: the signals are found by :func:`scan`."""
    with ctx.db.read() as s:
        result = q.signals_page(s, status, kind, min(max(page, 1), q.MAX_PAGE))
        team_ids: set[int] = set()
        user_ids: set[int] = set()
        challenge_ids: set[int] = set()
        for row in result.rows:
            ev = row.evidence or {}
            accounts = team_ids if ev.get("mode") == "teams" else user_ids
            for entry in ev.get("accounts") or ():
                accounts.add(int(entry["account_id"]))
                user_ids.update(int(u) for u in entry.get("user_ids") or ())
            for key in ("account_id", "leader_id", "follower_id"):
                if isinstance(ev.get(key), int):
                    accounts.add(ev[key])
            user_ids.update(int(u) for u in ev.get("user_ids") or ())
            for key in ("challenge_id", "matched_challenge_id"):
                if isinstance(ev.get(key), int):
                    challenge_ids.add(ev[key])
            challenge_ids.update(int(x["challenge_id"]) for x in ev.get("solves") or ())
        dismissers = {r.dismissed_by for r in result.rows if r.dismissed_by is not None}
        users = q.names(s, t.User, user_ids | dismissers)
        teams = q.names(s, t.Team, team_ids)
        return Listing(
            page=result,
            teams=teams,
            users=users,
            challenges=q.names(s, t.Challenge, challenge_ids),
            dismissers={i: users.get(i, "") for i in dismissers},
        )


def dismiss(ctx: Context, signal_id: int, note: str = "") -> None:
    """Dismiss an open signal with an optional note (audited). A dismissed or missing one: 404 /
    409."""
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > MAX_NOTE or "\x00" in note:
        raise DomainError(ErrorCode.VALUE_INVALID, field="note")
    with ctx.write() as uow:
        s = uow.session
        row = s.get(t.IntegritySignal, signal_id, with_for_update=True)
        if row is None:
            raise NotFound(field="signal_id")
        if row.dismissed_at is not None:
            raise DomainError(ErrorCode.SIGNAL_ALREADY_DISMISSED, status=409)
        actor = current_actor()
        row.dismissed_at = ctx.now()
        row.dismissed_by = actor.user_id if actor is not None else None
        row.note = note
        uow.audit(
            None,
            "integrity.dismissed",
            "integrity_signal",
            row.id,
            before={"dismissed": False},
            after={"dismissed": True, "kind": row.kind, "note": note},
        )
        uow.emit("integrity_dismissed", {"signal_id": row.id, "kind": row.kind}, audience=Audience.STAFF)


def forget_addresses(ctx: Context, older_than: timedelta) -> int:
    """Forget the addresses not seen for ``older_than`` (the retention of docs/security.md; the
    command ``kizuna addresses forget``). Audited as ``addresses.forgotten`` with the count."""
    before = ctx.now() - older_than
    with ctx.write() as uow:
        count = q.forget_addresses(uow.session, before)
        uow.audit(
            None, "addresses.forgotten", "account_address", "", after={"before": before, "count": count}
        )
    return count


def addresses(ctx: Context, user_id: int) -> list[q.AddressRow]:
    with ctx.db.read() as s:
        if s.get(t.User, user_id) is None:
            raise NotFound(field="user_id")
        return q.addresses_of(s, user_id)


__all__ = [
    "Found",
    "Listing",
    "addresses",
    "dismiss",
    "find",
    "forget_addresses",
    "listing",
    "parse_kind",
    "parse_status",
    "scan",
    "scan_if_due",
]
