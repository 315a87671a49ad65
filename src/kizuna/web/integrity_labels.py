"""Integrity signals as judges read them: a title per kind and the evidence as sentences, in the
reader's language, with account and challenge names read now and times in the reader's zone. The
page and the API (``text`` fields beside the stored ids) both use it.

A correct flag's text is never shown: an ``other_flag`` signal says which challenge's flag the answer
was, nothing more. A shared wrong answer's text is shown (it is no flag: ``services.integrity`` leaves
out answers that match any flag).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kizuna.i18n import gettext, lazy
from kizuna.services.integrity import Listing
from kizuna.storage import tables as t
from kizuna.web.zones import format_in_zone

TITLES: dict[tuple[str, str], str] = {
    ("shared_guess", "teams"): lazy("The same wrong answer from different teams"),
    ("shared_guess", "users"): lazy("The same wrong answer from different players"),
    ("other_flag", "teams"): lazy("An answer equal to another challenge's flag"),
    ("other_flag", "users"): lazy("An answer equal to another challenge's flag"),
    ("shared_address", "teams"): lazy("Players of different teams on one address"),
    ("shared_address", "users"): lazy("Different players on one address"),
    ("solve_burst", "teams"): lazy("Solves right after another team's"),
    ("solve_burst", "users"): lazy("Solves right after another player's"),
}

KIND_FILTERS: dict[str, str] = {
    "shared_guess": lazy("Same wrong answer"),
    "other_flag": lazy("Another challenge's flag"),
    "shared_address": lazy("Shared address"),
    "solve_burst": lazy("Solves right after another's"),
}

STATUS_FILTERS: dict[str, str] = {
    "open": lazy("Open"),
    "dismissed": lazy("Dismissed"),
    "all": lazy("All"),
}

GUESS_CHALLENGE = lazy("Challenge: %(challenge)s")
GUESS_TEXT = lazy("Wrong answer: %(guess)s")
GUESS_SENT = lazy("%(account)s first sent it at %(time)s.")
OTHER_SENT = lazy(
    "%(account)s sent the flag of “%(matched)s” as an answer to “%(challenge)s”, %(count)s times "
    "(first at %(first)s, last at %(last)s)."
)
OTHER_SOLVED = lazy("They had solved “%(matched)s”: perhaps a copy-and-paste slip.")
OTHER_UNSOLVED = lazy("They have not solved “%(matched)s”: the flag may have been shared.")
ADDRESS_TEXT = lazy("Address: %(address)s (%(total)s accounts)")
ADDRESS_USED = lazy("%(account)s (%(users)s): %(kinds)s, last at %(time)s.")
ADDRESS_KINDS = {"register": lazy("registered"), "login": lazy("logged in")}
BURST_TEXT = lazy("%(follower)s solved %(count)s challenges soon after %(leader)s.")
BURST_SOLVE = lazy("%(challenge)s: %(seconds)s seconds later (at %(time)s).")
DISMISSED = lazy("Dismissed by %(name)s at %(time)s.")
UNKNOWN = lazy("(deleted)")


@dataclass(frozen=True)
class Shown:
    id: int
    kind: str
    title: str
    lines: list[str]
    created_at: datetime
    dismissed: str  # "" while open, else who and when
    note: str


def _time(value: Any, zone: str) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        return format_in_zone(datetime.fromisoformat(value), zone)
    except ValueError:
        return value


def _lines(row: t.IntegritySignal, listing: Listing, zone: str) -> list[str]:
    ev = row.evidence or {}
    unknown = gettext(UNKNOWN)
    # An account is a team in team mode and a user otherwise (the mode the signal was found in).
    accounts = listing.teams if ev.get("mode") == "teams" else listing.users

    def account(i: Any) -> str:
        return accounts.get(int(i), "") or unknown if isinstance(i, int) else unknown

    def challenge(i: Any) -> str:
        return listing.challenges.get(int(i), "") or unknown if isinstance(i, int) else unknown

    if row.kind == "shared_guess":
        out = [
            gettext(GUESS_CHALLENGE) % {"challenge": challenge(ev.get("challenge_id"))},
            gettext(GUESS_TEXT) % {"guess": str(ev.get("guess", ""))},
        ]
        out += [
            gettext(GUESS_SENT)
            % {"account": account(a.get("account_id")), "time": _time(a.get("date"), zone)}
            for a in ev.get("accounts") or ()
        ]
        return out
    if row.kind == "other_flag":
        matched = challenge(ev.get("matched_challenge_id"))
        return [
            gettext(OTHER_SENT)
            % {
                "account": account(ev.get("account_id")),
                "matched": matched,
                "challenge": challenge(ev.get("challenge_id")),
                "count": ev.get("count", 0),
                "first": _time(ev.get("first"), zone),
                "last": _time(ev.get("last"), zone),
            },
            gettext(OTHER_SOLVED if ev.get("solved_matched") else OTHER_UNSOLVED) % {"matched": matched},
        ]
    if row.kind == "shared_address":
        out = [gettext(ADDRESS_TEXT) % {"address": str(ev.get("address", "")), "total": ev.get("total", 0)}]
        for a in ev.get("accounts") or ():
            users = ", ".join(listing.users.get(int(u), "") or unknown for u in a.get("user_ids") or ())
            kinds = ", ".join(gettext(ADDRESS_KINDS[k]) for k in a.get("kinds") or () if k in ADDRESS_KINDS)
            out.append(
                gettext(ADDRESS_USED)
                % {
                    "account": account(a.get("account_id")),
                    "users": users,
                    "kinds": kinds,
                    "time": _time(a.get("last_seen"), zone),
                }
            )
        return out
    if row.kind == "solve_burst":
        out = [
            gettext(BURST_TEXT)
            % {
                "follower": account(ev.get("follower_id")),
                "leader": account(ev.get("leader_id")),
                "count": ev.get("count", 0),
            }
        ]
        out += [
            gettext(BURST_SOLVE)
            % {
                "challenge": challenge(x.get("challenge_id")),
                "seconds": x.get("seconds", 0),
                "time": _time(x.get("follower_at"), zone),
            }
            for x in ev.get("solves") or ()
        ]
        return out
    return []


def shown(listing: Listing, zone: str) -> list[Shown]:
    out = []
    for row in listing.page.rows:
        mode = "teams" if (row.evidence or {}).get("mode") == "teams" else "users"
        title = TITLES.get((row.kind, mode))
        dismissed = ""
        if row.dismissed_at is not None:
            name = listing.dismissers.get(row.dismissed_by or 0, "") or gettext(UNKNOWN)
            dismissed = gettext(DISMISSED) % {"name": name, "time": format_in_zone(row.dismissed_at, zone)}
        out.append(
            Shown(
                id=row.id,
                kind=row.kind,
                title=gettext(title) if title else row.kind,
                lines=_lines(row, listing, zone),
                created_at=row.updated_at,
                dismissed=dismissed,
                note=row.note or "",
            )
        )
    return out


__all__ = ["KIND_FILTERS", "STATUS_FILTERS", "TITLES", "Shown", "shown"]
