"""Leak walk: hidden teams, hidden users, hidden challenges and locked challenges reach no one who may
not see them, on any public GET route or the live stream.

The fixture builds one event (in team and in individual mode) with four secrets, each carrying its
own marker in its name:

* a hidden team (``ht4k``) with a member (``ht4k`` too) that solved a visible challenge and has an
  award — in individual mode, a hidden user instead;
* a hidden user (``hu3z``) who is a member of a visible team and solved a challenge for it;
* a hidden challenge (``hc8w``) that a visible account solved (inserted directly, as if hidden after);
* a locked challenge (``lc5p``): visible, with a prerequisite the bystander has not solved, solved by
  the visible account that unlocked it;
* practice challenges (readable by visitors on ``/practice``): a hidden one (``hc8w``) and a locked
  one (``lc5p``) beside an open one.

Every GET route of the app (walked from the route table, staff pages included, every path parameter
filled with the fixture's real ids, the secrets' included) is requested as a visitor and as a
bystanding player, and no body or header may carry a marker (except where it echoes the address
asked for). The stream's stored log is replayed to the same readers. Then a visible account's member
of the solving team checks the locked challenge is listed for those who unlocked it, so the walk is
not vacuous; and staff who watch the rosters see the hidden accounts.
"""

from __future__ import annotations

import re
import shutil
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from kizuna.domain.certificates import new_code
from kizuna.services import (
    accounts,
    brackets,
    content,
    event,
    learning_stats,
    notifications,
    pages,
    sponsors,
    teams,
    tracks,
)
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD
from kizuna.web.live import LiveSettings
from tests.conftest import auth, login, record_solve
from tests.sse import read_until

HIDDEN_TEAM = "ht4k"
HIDDEN_USER = "hu3z"
HIDDEN_CHALLENGE = "hc8w"
LOCKED_CHALLENGE = "lc5p"
RANDOM_TOKENS = re.compile(
    "|".join(
        (
            r'nonce="[^"]*"',
            r"'nonce-[^']*'",
            r'name="csrf-token" content="[^"]*"',
            r'name="csrf_token" value="[^"]*"',
            r'"csrf_token": "[^"]*"',
        )
    )
)
MARKERS = (HIDDEN_TEAM, HIDDEN_USER, HIDDEN_CHALLENGE, LOCKED_CHALLENGE)
PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")
STREAM = "/events"
FIXTURE_TRACK = Path(__file__).resolve().parents[1] / "fixtures" / "tracks" / "sample-track"


@dataclass
class Leaky:
    mode: str
    values: dict[str, list[str]] = field(default_factory=dict)
    readers: dict[str, str] = field(default_factory=dict)  # label -> user name ("" = visitor)
    solver_team_id: int | None = None
    solver_id: int = 0
    hidden_account_id: int = 0
    hidden_user_id: int = 0
    locked_id: int = 0
    hidden_challenge_id: int = 0


def _solve(uow: Any, challenge_id: int, user: Any, team_id: int | None, when: Any, blood: int) -> None:
    record_solve(uow, challenge_id, user, team_id, when, blood)


def _learning_tracks(ctx: Any, tmp: Path) -> None:
    """Learning tracks: one whose tasks reference the hidden and the locked challenge by name, and one
    outside its visibility window whose title carries the hidden challenge's marker."""
    folder = tmp / "tracks" / "sample-track"
    shutil.copytree(FIXTURE_TRACK, folder)
    yml = folder / "track.yml"
    refs = "".join(
        f"          - id: ref-{i}\n            type: flag\n            required: false\n"
        f'            prompt: {{en: "Solve it", ja: "解いてください"}}\n            challenge: "{name}"\n'
        for i, name in enumerate((f"{HIDDEN_CHALLENGE} Vault", f"{LOCKED_CHALLENGE} Inner room"))
    )
    text = yml.read_text(encoding="utf-8").replace(
        "          - id: bonus-choice", refs + "          - id: bonus-choice"
    )
    text = text.replace("requires: [basics]", "requires: []")  # every lesson open to the walk
    yml.write_text(text, encoding="utf-8")
    hidden = tmp / "tracks" / "hidden-track"
    shutil.copytree(FIXTURE_TRACK, hidden)
    text = (hidden / "track.yml").read_text(encoding="utf-8")
    text = text.replace("id: sample-track", "id: hidden-track").replace(
        'title: {en: "Sample track"', f'title: {{en: "{HIDDEN_CHALLENGE} track"'
    )
    text = text.replace(
        "opens_at: null\ncloses_at: null", 'opens_at: "2099-01-01T00:00:00Z"\ncloses_at: null'
    )
    (hidden / "track.yml").write_text(text, encoding="utf-8")
    tracks.import_tracks(ctx, tmp / "tracks")


def _build(ctx: Any, make: Any, mode: str, tmp: Path) -> Leaky:
    if mode == "users":
        event.update_event(ctx, {"mode": "users"})
    make.admin("boss")
    opener = make.challenge(name="Open door", flag="flag{open}")
    other = make.challenge(name="Side door", flag="flag{side}")
    locked = make.challenge(
        name=f"{LOCKED_CHALLENGE} Inner room",
        flag="flag{inner}",
        requirements={"prerequisites": [opener.id], "anonymize": True},
    )
    secret = make.challenge(name=f"{HIDDEN_CHALLENGE} Vault", flag="flag{vault}", state="hidden")
    # Practice challenges (readable by visitors on /practice): a hidden one and a locked one stay
    # secret there too; the open one is what the practice routes show.
    practice_open = make.challenge(name="Warm-up drill", flag="flag{drill}", practice=True)
    practice_secret = make.challenge(
        name=f"{HIDDEN_CHALLENGE} Drill", flag="flag{hdrill}", state="hidden", practice=True
    )
    practice_locked = make.challenge(
        name=f"{LOCKED_CHALLENGE} Drill",
        flag="flag{ldrill}",
        practice=True,
        requirements={"prerequisites": [opener.id], "anonymize": True},
    )
    content.save_file(ctx, locked.id, f"{LOCKED_CHALLENGE}.txt", b"inner")
    content.save_file(ctx, secret.id, f"{HIDDEN_CHALLENGE}.txt", b"vault")
    notifications.announce(ctx, "Welcome", "Play fair.")
    page = pages.create_page(ctx, {"route": "rules", "title": "Rules", "content": "Be nice."})

    solver = make.user("solver")
    bystander = make.user("bystander")
    hidden_user = make.user(f"{HIDDEN_USER}person")
    shadow_user = make.user(f"{HIDDEN_TEAM}member")
    team_ids: list[int] = []
    solver_team = shadow_team = None
    if mode == "teams":
        solver_team = teams.create_team(ctx, "Solvers", solver.id)
        teams.join_team(ctx, hidden_user.id, solver_team.invite_code)
        byst_team = teams.create_team(ctx, "Bystanders", bystander.id)
        shadow_team = teams.create_team(ctx, f"{HIDDEN_TEAM} Shadow", shadow_user.id)
        team_ids = [solver_team.id, byst_team.id, shadow_team.id]
        teams.update_team(ctx, shadow_team.id, {"hidden": True}, 0, True)
    else:
        accounts.update_user(ctx, shadow_user.id, {"hidden": True})
    accounts.update_user(ctx, hidden_user.id, {"hidden": True, "affiliation": f"{HIDDEN_USER} crew"})

    solver_team_id = solver_team.id if solver_team else None
    shadow_team_id = shadow_team.id if shadow_team else None
    with ctx.write() as uow:
        now = ctx.now()
        _solve(uow, opener.id, solver, solver_team_id, now, 1)
        _solve(uow, locked.id, solver, solver_team_id, now, 1)
        _solve(uow, secret.id, solver, solver_team_id, now, 1)
        _solve(uow, other.id, shadow_user, shadow_team_id, now, 1)
        # The hidden user solves for their (visible) team, or for themself in individual mode.
        _solve(uow, other.id, hidden_user, solver_team_id, now, 2)
        uow.session.add(
            t.Award(
                user_id=shadow_user.id,
                team_id=shadow_team_id,
                account_id=shadow_team_id or shadow_user.id,
                name=f"{HIDDEN_TEAM} bonus",
                description="",
                value=5,
                category="",
                date=now,
            )
        )
        uow.bump(SCOREBOARD, CHALLENGES)
    with ctx.db.read() as s:
        award_ids = [str(a.id) for a in s.query(t.Award)]
        submission_ids = [str(x.id) for x in s.query(t.Submission)]
        files = {f.challenge_id: f for f in s.query(t.File)}
        hints: list[str] = []
    make.token(solver)
    with ctx.db.read() as s:
        token_id = s.query(t.Token).one().id
    # The learning statistics job counts every solve, the hidden accounts' too: the learning
    # leaderboards, crews and progress routes must leave them out.
    learning_stats.catch_up(ctx)

    _learning_tracks(ctx, tmp)

    w = Leaky(mode)
    w.readers = {"visitor": "", "bystander": bystander.name}
    w.solver_team_id = solver_team_id
    w.solver_id = solver.id
    w.hidden_account_id = shadow_team_id or shadow_user.id
    w.hidden_user_id = hidden_user.id
    w.locked_id = locked.id
    w.hidden_challenge_id = secret.id
    ids = [opener.id, locked.id, secret.id, practice_open.id, practice_secret.id, practice_locked.id]
    w.values = {
        "challenge_id": [str(i) for i in ids],
        "hint_id": hints or ["1"],
        "file_id": [str(f.id) for f in files.values()],
        "tag_id": ["1"],
        "topic_id": ["1"],
        "flag_id": ["1"],
        "solution_id": ["1"],
        "location": [files[locked.id].location, files[secret.id].location],
        "user_id": [str(u.id) for u in (solver, bystander, hidden_user, shadow_user)],
        "team_id": [str(x) for x in team_ids] or ["1"],
        "award_id": award_ids,
        "submission_id": submission_ids,
        "token_id": [str(token_id)],
        "notification_id": ["1"],
        "page_id": [str(page.id)],
        "sponsor_id": [
            str(sponsors.create_sponsor(ctx, {"name": "Cyber Wales", "url": "https://example.org/"}).id)
        ],
        "bracket_id": [str(brackets.create_bracket(ctx, {"name": "Students", "type": "teams"}).id)],
        "route": ["rules"],
        "count": ["10"],
        "code": ["en", "both"],
        "choice": ["dark", "auto"],
        "name": ["static"],
        "kind": ["standings", "solves", "submissions", "awards", "writeups"],
        "writeup_id": ["1"],
        "track_id": ["sample-track", "hidden-track"],
        "lesson_id": ["first-flag", "encodings"],
        "task_id": ["ref-0", "ref-1"],
        # Certificates of the hidden user and of the hidden team's member (their names carry the
        # markers): verification must answer as for a code never issued.
        "cert_code": [_certificate(ctx, u) for u in (solver, hidden_user, shadow_user)],
    }
    return w


def _certificate(ctx: Any, user: Any) -> str:
    code = new_code()
    with ctx.write() as uow:
        uow.session.add(
            t.Certificate(
                code=code,
                user_id=user.id,
                kind="event",
                subject="event",
                titles={"en": "Joint CTF"},
                name=user.name,
                issued_at=ctx.now(),
            )
        )
    return code


@pytest.fixture(params=["teams", "users"])
def leaky(request: pytest.FixtureRequest, ctx: Any, make: Any, tmp_path: Path) -> Leaky:
    return _build(ctx, make, str(request.param), tmp_path)


def _routes(app: Any) -> list[str]:
    paths = {
        r.path
        for r in iter_route_contexts(app.routes)
        if "GET" in (r.methods or set()) and r.path and r.path != STREAM
    }
    assert "/api/v1/teams/{team_id}/solves" in paths  # the table really was walked
    return sorted(paths)


def _urls(path: str, w: Leaky) -> list[str]:
    names = PARAM.findall(path)
    # A parameter this walk does not know is tried with one id that does not exist.
    choices = [w.values.get(n, ["0"]) for n in names]
    out = []
    for combo in product(*choices):
        values = dict(zip(names, combo, strict=True))
        out.append(PARAM.sub(lambda m, v=values: v[m.group(1)], path))  # type: ignore[misc]
    return out


def _found(response: Any, target: str) -> list[str]:
    """The markers the answer carries, other than by echoing the address asked for."""
    path = target.split("?", 1)[0]
    text = response.content.decode("utf-8", errors="replace")
    for echo in (target, path, quote(target, safe="/"), quote(path, safe="/"), quote(path, safe="")):
        text = text.replace(echo, "")
    # Location echoes the address; Set-Cookie is the signed session (random ids and a signature, in
    # base64, where a four-letter marker turns up by chance now and then, and a name never in clear).
    headers = " ".join(
        f"{k}: {v}" for k, v in response.headers.items() if k.lower() not in ("location", "set-cookie")
    )
    body = (text + " " + headers).lower()
    # Random tokens on every page (the CSRF token, the CSP nonces) are base64 too: a four-letter
    # marker turns up in them by chance, so they are taken out before looking.
    body = RANDOM_TOKENS.sub("", body)
    return [m for m in MARKERS if m in body]


def _clients(app: Any, w: Leaky) -> dict[str, TestClient]:
    out = {}
    for label, name in w.readers.items():
        c = TestClient(app)
        if name:
            login(c, name)
        out[label] = c
    return out


def test_no_public_route_names_a_hidden_team_user_or_challenge_or_a_locked_challenge(app, leaky):
    w = leaky
    clients = _clients(app, w)
    leaks: list[str] = []
    walked = 0
    try:
        for path in _routes(app):
            for url in _urls(path, w):
                for label, client in clients.items():
                    r = client.get(url, follow_redirects=False)
                    walked += 1
                    found = _found(r, url)
                    if found:
                        leaks.append(f"{label} GET {url} -> {r.status_code}: {found}")
    finally:
        for c in clients.values():
            c.close()
    assert walked > 300
    assert not leaks, "secrets leak:\n" + "\n".join(leaks)


def test_the_walk_is_not_vacuous_those_allowed_do_see_them(app, leaky):
    """The secrets are really there: roster staff see the hidden accounts, staff who view every
    challenge the hidden one, and the account that unlocked the locked challenge sees its solve."""
    w = leaky
    with TestClient(app) as boss:
        login(boss, "boss")
        kind = "teams" if w.mode == "teams" else "users"
        assert HIDDEN_TEAM in boss.get(f"/api/v1/{kind}/{w.hidden_account_id}").text
        assert HIDDEN_USER in boss.get(f"/api/v1/users/{w.hidden_user_id}").text
        assert HIDDEN_CHALLENGE in boss.get(f"/api/v1/users/{w.solver_id}/solves").text
        assert boss.get(f"/api/v1/users/{w.hidden_user_id}/progress").json()["data"]["xp"] > 0
    with TestClient(app) as solver:
        login(solver, "solver")
        own = solver.get(f"/api/v1/users/{w.solver_id}/solves").json()["data"]
        assert w.locked_id in [x["challenge_id"] for x in own]
        assert w.hidden_challenge_id not in [x["challenge_id"] for x in own]
    with TestClient(app) as visitor:
        board = visitor.get("/api/v1/learning/leaderboard").json()["data"]
        assert "solver" in [e["name"] for e in board]  # the learning board is walked with XP in it
        theirs = visitor.get(f"/api/v1/users/{w.solver_id}/solves").json()["data"]
        assert theirs and w.locked_id not in [x["challenge_id"] for x in theirs]


def test_hidden_accounts_answer_exactly_as_missing_ones(app, leaky):
    """Every account route answers a hidden account's id with the very answer of an id that does not
    exist, to visitors and players alike."""
    w = leaky
    clients = _clients(app, w)
    hidden = [("{user_id}", w.hidden_user_id)]
    hidden.append(("{team_id}" if w.mode == "teams" else "{user_id}", w.hidden_account_id))
    differ = []
    checked = 0
    try:
        for path in _routes(app):
            for param, ident in hidden:
                if param not in path or path.count("{") != 1:
                    continue
                url_a, url_b = path.replace(param, str(ident)), path.replace(param, "987654")
                for label, client in clients.items():
                    a = client.get(url_a, follow_redirects=False)
                    b = client.get(url_b, follow_redirects=False)
                    checked += 1
                    if (a.status_code, _without(a.text, url_a)) != (b.status_code, _without(b.text, url_b)):
                        differ.append(f"{label} {url_a}: {a.status_code} vs {b.status_code}")
    finally:
        for c in clients.values():
            c.close()
    assert checked >= 20
    assert not differ, "hidden accounts answer differently from missing ones:\n" + "\n".join(differ)


def _without(text: str, url: str) -> str:
    """The page echoes its own address (the language links); compare without it."""
    for echo in (url, quote(url, safe="/"), quote(url, safe="")):
        text = text.replace(echo, "URL")
    return text


def test_the_live_stream_names_no_secret_to_visitors_or_bystanders(app, ctx, make, leaky):
    app.state.live.settings = LiveSettings(poll_seconds=0.05, heartbeat_seconds=0.2)
    with ctx.db.read() as s:
        bystander = s.query(t.User).filter(t.User.name == "bystander").one()
        boss = s.query(t.User).filter(t.User.name == "boss").one()
    readers = {"visitor": {}, "bystander": auth(make.token(bystander)), "staff": auth(make.token(boss))}
    with TestClient(app) as live, ExitStack() as open_streams:
        streams = {
            label: open_streams.enter_context(live.stream("GET", "/events?last_event_id=0", headers=h))
            for label, h in readers.items()
        }
        sentinel = notifications.announce(ctx, "End of the test", "Nothing more.")

        def arrived(frames: list[Any]) -> bool:
            return any(
                f.event == "announcement" and f.json["data"].get("notification_id") == sentinel.id
                for f in frames
            )

        got = {label: read_until(r, arrived) for label, r in streams.items()}
    for label, frames in got.items():
        text = "\n".join(f.data for f in frames).lower()
        found = [m for m in MARKERS if m in text]
        if label == "staff":
            assert HIDDEN_CHALLENGE in found and LOCKED_CHALLENGE in found  # not vacuous
        else:
            assert not found, (label, found)
