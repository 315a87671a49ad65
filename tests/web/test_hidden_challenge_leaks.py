"""A hidden challenge leaks nowhere a visitor or a player can look; nor does a scheduled one (visible,
its release time still to come), which players must not tell from a hidden one.

The fixture puts a hidden challenge in the database whose every text carries the marker ``zq7x``
(name in English and Japanese, description, category, hint title and content, flag, file name, tag,
topic, write-up), lets a team solve it (rows inserted directly, as if it had been hidden afterwards),
try it wrongly and unlock its hint. Then every GET route of the app — generated from the route
table, pages, ``/api/v1`` and the staff area alike, with each path parameter filled with the real ids
of the fixture's rows, the hidden challenge's included — is requested as a visitor and as two
players (one of the solving team, one of another team), in team and in individual mode, and no
response may carry the marker in its body or headers. A route with a path parameter the walk does
not know fails the test, so a new route cannot slip past it.

The live stream (``GET /events``, which never ends) is read separately with a bounded read: every
viewer replays the stored log from its start, which holds the fixture's solve, and then receives a
fresh solve of the hidden challenge; neither the marker nor the challenge's id reaches anyone but
staff who may view every challenge.

Hidden things must also answer exactly as missing ones do: for every route taking a challenge,
hint, file, tag, topic, flag or write-up id, the answer for the hidden challenge's row is the answer
for an id that does not exist.
"""

from __future__ import annotations

import re
import shutil
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import product
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from kizuna.domain.certificates import new_code
from kizuna.services import brackets, content, event, notifications, pages, sponsors, tracks
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD
from kizuna.web.live import LiveSettings
from tests.conftest import auth, login
from tests.sse import events_only, read_until

MARKER = "zq7x"
MISSING = 987654
PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


@dataclass
class World:
    mode: str
    hidden_id: int
    # Path parameter -> the values to try; the first ``hidden`` entry of each is the hidden row's.
    values: dict[str, list[str]] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    players: dict[str, str] = field(default_factory=dict)  # label -> user name
    solver_id: int = 0
    solver_team_id: int | None = None
    visible_name: str = ""


def _referencing_track(ctx: Any, tmp: Path, name: str) -> None:
    """A learning track with a task that references the secret challenge by name (and its flag's
    marker as the task's own flag, which players never see either)."""
    folder = tmp / "tracks" / "sample-track"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "tracks" / "sample-track", folder)
    yml = folder / "track.yml"
    ref = (
        "          - id: ref-task\n            type: flag\n            required: false\n"
        f'            prompt: {{en: "Solve it", ja: "解いてください"}}\n            challenge: "{name}"\n'
    )
    text = yml.read_text(encoding="utf-8").replace(
        "          - id: bonus-choice", ref + "          - id: bonus-choice"
    )
    text = text.replace("requires: [basics]", "requires: []").replace(
        'flag: "kizuna{reversed}"', f'flag: "kizuna{{{MARKER}}}"'
    )
    yml.write_text(text, encoding="utf-8")
    tracks.import_tracks(ctx, folder)


def _build(ctx: Any, make: Any, mode: str, tmp: Path, scheduled: bool = False) -> World:
    if mode == "users":
        event.update_event(ctx, {"mode": "users"})
    if mode == "teams":
        solver, team = make.player_in_team("solver", "Solvers")
        other, other_team = make.player_in_team("bystander", "Bystanders")
        team_ids = [team.id, other_team.id]
    else:
        solver, other = make.user("solver"), make.user("bystander")
        team, team_ids = None, []
    make.admin("boss")

    visible = make.challenge(name="Open door", description="Everyone sees this.", flag="flag{open}")
    visible_hint = content.create_hint(ctx, visible.id, "Look around.", cost=0, title="Nudge")
    visible_file = content.save_file(ctx, visible.id, "open.txt", b"open")
    visible_tag = content.create_tag(ctx, visible.id, "warmup")
    visible_topic = content.add_topic(ctx, visible.id, "basics")
    visible_solution = content.create_solution(ctx, visible.id, "Read it.", "visible")

    hidden = make.challenge(
        name=f"{MARKER} Secret Vault",
        description=f"The {MARKER} vault description.",
        category=f"{MARKER}-category",
        flag=f"flag{{{MARKER}_the_flag}}",
        value=300,
        # Marked practice, so the practice pages and API (readable by visitors) are walked with the
        # most tempting case: they must not show it either.
        practice=True,
        # Hidden, or visible with a release time still to come ("scheduled"): the same to players.
        **(
            {"state": "visible", "scheduled_at": (ctx.now() + timedelta(days=1)).isoformat() + "+00:00"}
            if scheduled
            else {"state": "hidden"}
        ),
        translations={"ja": {"name": f"{MARKER}秘密の金庫", "description": f"{MARKER}金庫の説明"}},
    )
    hidden_hint = content.create_hint(
        ctx, hidden.id, f"{MARKER} hint content", cost=10, title=f"{MARKER} hint"
    )
    hidden_file = content.save_file(ctx, hidden.id, f"{MARKER}_vault.txt", f"{MARKER} file body".encode())
    hidden_tag = content.create_tag(ctx, hidden.id, f"{MARKER}-tag")
    hidden_topic = content.add_topic(ctx, hidden.id, f"{MARKER}-topic")
    hidden_solution = content.create_solution(ctx, hidden.id, f"{MARKER} write-up", "visible")
    with ctx.db.read() as s:
        hidden_flag = s.query(t.Flag).filter(t.Flag.challenge_id == hidden.id).one()
        visible_flag = s.query(t.Flag).filter(t.Flag.challenge_id == visible.id).one()

    notice = notifications.announce(ctx, "Welcome", "Play fair.")
    page = pages.create_page(ctx, {"route": "rules", "title": "Rules", "content": "Be nice."})

    # The solving account solved the hidden challenge, tried it wrongly first and unlocked its hint;
    # the other account solved the visible one. Inserted directly, as if it was hidden afterwards.
    acct = team.id if team is not None else solver.id
    other_acct = other_team.id if mode == "teams" else other.id
    with ctx.write() as uow:
        s = uow.session
        now = ctx.now()
        team_id = team.id if team is not None else None
        wrong = t.Submission(
            challenge_id=hidden.id,
            user_id=solver.id,
            team_id=team_id,
            account_id=acct,
            provided=f"flag{{{MARKER}_wrong}}",
            type="incorrect",
            date=now,
        )
        right = t.Submission(
            challenge_id=hidden.id,
            user_id=solver.id,
            team_id=team_id,
            account_id=acct,
            provided=f"flag{{{MARKER}_the_flag}}",
            type="correct",
            date=now,
        )
        s.add_all([wrong, right])
        s.flush()
        s.add(
            t.Solve(
                submission_id=right.id,
                challenge_id=hidden.id,
                user_id=solver.id,
                team_id=team_id,
                account_id=acct,
                date=now,
            )
        )
        s.add(
            t.Unlock(
                user_id=solver.id,
                team_id=team_id,
                account_id=acct,
                target=hidden_hint.id,
                type="hints",
                date=now,
            )
        )
        s.add(
            t.Award(
                user_id=solver.id,
                team_id=team_id,
                account_id=acct,
                name=f"Hint {hidden_hint.id}",
                description="hint_unlock",
                value=-10,
                category="hints",
                date=now,
            )
        )
        # The solving account's write-up of the hidden challenge (written before the hiding).
        hidden_writeup = t.Writeup(
            challenge_id=hidden.id,
            account_id=acct,
            team_id=team_id,
            user_id=solver.id,
            content=f"{MARKER} how we solved it",
            created_at=now,
            updated_at=now,
        )
        s.add(hidden_writeup)
        s.flush()
        hidden_writeup_id = hidden_writeup.id
        other_team_id = other_team.id if mode == "teams" else None
        visible_sub = t.Submission(
            challenge_id=visible.id,
            user_id=other.id,
            team_id=other_team_id,
            account_id=other_acct,
            provided="flag{open}",
            type="correct",
            date=now,
        )
        s.add(visible_sub)
        s.flush()
        s.add(
            t.Solve(
                submission_id=visible_sub.id,
                challenge_id=visible.id,
                user_id=other.id,
                team_id=other_team_id,
                account_id=other_acct,
                date=now,
            )
        )
        uow.bump(SCOREBOARD, CHALLENGES)
        uow.emit(
            "solve",
            {
                "challenge_id": hidden.id,
                "account_id": acct,
                "user_id": solver.id,
                "first_blood": 1,
                "value": 300,
            },
        )
    # A hidden judged challenge with the solving account's answers: one waiting (with a file), one
    # rejected with a comment in both languages. Answers, files and comments stay with staff.
    judged = make.challenge(name=f"{MARKER} Essay", flag=None, type="manual", state="hidden", value=50)
    review_ids = []
    with ctx.write() as uow:
        s = uow.session
        team_id = team.id if team is not None else None
        for status in ("rejected", "pending"):
            answer = t.Submission(
                challenge_id=judged.id,
                user_id=solver.id,
                team_id=team_id,
                account_id=acct,
                provided=f"{MARKER} my {status} essay",
                type="incorrect" if status == "rejected" else "pending",
                date=ctx.now(),
            )
            s.add(answer)
            s.flush()
            review = t.Review(
                submission_id=answer.id,
                challenge_id=judged.id,
                account_id=acct,
                user_id=solver.id,
                team_id=team_id,
                status=status,
                open_account=acct if status == "pending" else None,
                comment=f"{MARKER} too short" if status == "rejected" else "",
                comment_locale="en",
                comment_translations={"ja": {"comment": f"{MARKER}短すぎます"}}
                if status == "rejected"
                else None,
                created_at=ctx.now(),
            )
            s.add(review)
            s.flush()
            review_ids.append(review.id)
        s.add(
            t.ReviewFile(
                review_id=review_ids[-1],
                name=f"{MARKER}.txt",
                content_type="text/plain",
                size=5,
                data=b"zq7x!",
            )
        )
        uow.emit(
            "review_decided",
            {
                "review_id": review_ids[0],
                "challenge_id": judged.id,
                "account_id": acct,
                "decision": "rejected",
                "value": None,
            },
            audience="account",
            account_id=acct,
        )
    with ctx.db.read() as s:
        award = s.query(t.Award).filter(t.Award.account_id == acct).one()
        submission_ids = [x.id for x in s.query(t.Submission).order_by(t.Submission.id)]
    make.token(solver)  # an API token of the solver, so token routes have an id
    with ctx.db.read() as s:
        token_id = s.query(t.Token).filter(t.Token.user_id == solver.id).one().id

    _referencing_track(ctx, tmp, hidden.name)
    w = World(mode, hidden.id, solver_id=solver.id, solver_team_id=team.id if team else None)
    w.visible_name = visible.name
    w.players = {"solver": solver.name, "bystander": other.name}
    w.values = {
        "challenge_id": [str(visible.id), str(hidden.id)],
        "hint_id": [str(visible_hint.id), str(hidden_hint.id)],
        "file_id": [str(visible_file.id), str(hidden_file.id)],
        "tag_id": [str(visible_tag.id), str(hidden_tag.id)],
        "topic_id": [str(visible_topic.topic_id), str(hidden_topic.topic_id)],
        "flag_id": [str(visible_flag.id), str(hidden_flag.id)],
        "solution_id": [str(visible_solution.id), str(hidden_solution.id)],
        "location": [visible_file.location, hidden_file.location],
        "user_id": [str(solver.id), str(other.id)],
        "team_id": [str(x) for x in team_ids] or ["1"],
        "award_id": [str(award.id)],
        "submission_id": [str(x) for x in submission_ids],
        "token_id": [str(token_id)],
        "notification_id": [str(notice.id)],
        "page_id": [str(page.id)],
        "review_id": [str(x) for x in review_ids],
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
        "writeup_id": [str(hidden_writeup_id)],
        "track_id": ["sample-track"],
        "lesson_id": ["first-flag"],
        "task_id": ["ref-task"],
        "cert_code": [_certificate(ctx, w.solver_id)],
    }
    w.hidden = {
        "challenge_id": str(hidden.id),
        "hint_id": str(hidden_hint.id),
        "file_id": str(hidden_file.id),
        "tag_id": str(hidden_tag.id),
        "topic_id": str(hidden_topic.topic_id),
        "flag_id": str(hidden_flag.id),
        "solution_id": str(hidden_solution.id),
        "location": hidden_file.location,
        "writeup_id": str(hidden_writeup_id),
    }
    w.missing = {key: str(MISSING) for key in w.hidden}
    w.missing["location"] = hidden_file.location.rsplit("/", 1)[0] + "/missing.txt"
    return w


def _certificate(ctx: Any, user_id: int) -> str:
    """A certificate of the player whose team solved the hidden challenge (its page and the API's
    verification name no challenge)."""
    code = new_code()
    with ctx.write() as uow:
        name = uow.session.get(t.User, user_id).name
        uow.session.add(
            t.Certificate(
                code=code,
                user_id=user_id,
                kind="event",
                subject="event",
                titles={"en": "Joint CTF"},
                name=name,
                issued_at=ctx.now(),
            )
        )
    return code


STREAM = "/events"  # never ends: read with a bounded read (test_the_live_stream_...)


def _get_routes(app: Any) -> list[str]:
    paths = []
    for route in iter_route_contexts(app.routes):
        methods = route.methods or set()
        if "GET" in methods and route.path and route.path != STREAM:
            paths.append(route.path)
    assert "/api/v1/users/{user_id}/solves" in paths  # the table really was walked
    return sorted(set(paths))


def _fill(path: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda m: values[m.group(1)], path)


def _urls(path: str, w: World) -> list[str]:
    names = PARAM.findall(path)
    unknown = [n for n in names if n not in w.values]
    assert not unknown, f"{path}: no ids for {unknown}; add them to the leak walk"
    return [
        _fill(path, dict(zip(names, combo, strict=True))) for combo in product(*(w.values[n] for n in names))
    ]


def _leaks(response: Any, target: str) -> bool:
    """Does the answer carry the marker, other than by echoing the address asked for (a page's
    language links return to it, and a file's address names the file)?"""
    path = target.split("?", 1)[0]
    text = response.content.decode("utf-8", errors="replace")
    headers = " ".join(f"{k}: {v}" for k, v in response.headers.items() if k.lower() != "location")
    for echo in (target, path, quote(target, safe="/"), quote(path, safe="/"), quote(path, safe="")):
        text = text.replace(echo, "")
    return MARKER in text.lower() or MARKER in headers.lower()


def _without(text: str, url: str) -> str:
    for echo in (url, quote(url, safe="/"), quote(url, safe="")):
        text = text.replace(echo, "URL")
    return text


def _signed(app: Any, url: str, user_id: int) -> str:
    """File links also with a link signed for this player, as if handed out before the hiding."""
    location = url.removeprefix("/files/")
    return f"{url}?token={app.state.file_signer.sign(location, user_id)}"


@pytest.fixture(params=["teams", "users", "teams-scheduled", "users-scheduled"])
def world(request: pytest.FixtureRequest, ctx: Any, make: Any, tmp_path: Path) -> World:
    """The secret challenge hidden, or visible but scheduled (its release time a day away)."""
    mode, _sep, kind = str(request.param).partition("-")
    return _build(ctx, make, mode, tmp_path, scheduled=kind == "scheduled")


def _viewers(app: Any, w: World) -> dict[str, TestClient]:
    clients = {"anonymous": TestClient(app)}
    for label, name in w.players.items():
        c = TestClient(app)
        login(c, name)
        clients[label] = c
    return clients


def test_no_route_shows_a_hidden_challenge_to_visitors_or_players(app, ctx, world):
    w = world
    routes = _get_routes(app)
    clients = _viewers(app, w)
    found: list[str] = []
    walked = 0
    with ctx.db.read() as s:
        user_ids = {
            label: s.query(t.User).filter(t.User.name == n).one().id for label, n in w.players.items()
        }
    for path in routes:
        for url in _urls(path, w):
            for label, client in clients.items():
                tries = [url, f"{url}?view=admin"]
                if path.startswith("/files/") and label in user_ids:
                    tries.append(_signed(app, url, user_ids[label]))
                for target in tries:
                    r = client.get(target, follow_redirects=False)
                    walked += 1
                    if _leaks(r, target):
                        found.append(f"{label} GET {target} -> {r.status_code}")
    for c in clients.values():
        c.close()
    assert walked > 300
    assert not found, "the hidden challenge leaks:\n" + "\n".join(found)


def test_hidden_rows_answer_as_missing_ones(app, world):
    w = world
    routes = _get_routes(app)
    clients = _viewers(app, w)
    differ: list[str] = []
    for path in routes:
        names = PARAM.findall(path)
        hideable = [n for n in names if n in w.hidden]
        if not hideable:
            continue
        for name in hideable:
            base = {n: w.values[n][0] for n in names}
            hidden_url = _fill(path, {**base, name: w.hidden[name]})
            missing_url = _fill(path, {**base, name: w.missing[name]})
            for label, client in clients.items():
                a = client.get(hidden_url, follow_redirects=False)
                b = client.get(missing_url, follow_redirects=False)
                # The page echoes its own address (the language links); compare without it.
                body_a, body_b = _without(a.text, hidden_url), _without(b.text, missing_url)
                if (a.status_code, body_a) != (b.status_code, body_b):
                    differ.append(f"{label} {path} [{name}]: {a.status_code} vs {b.status_code}")
                elif label != "anonymous" and path.startswith(("/api/v1/challenges/{", "/challenges/{")):
                    assert a.status_code in (403, 404), (label, hidden_url, a.status_code)
    for c in clients.values():
        c.close()
    assert not differ, "hidden rows answer differently from missing ones:\n" + "\n".join(differ)


def test_solve_lists_leave_out_hidden_challenges_but_staff_see_them(app, make, world):
    """The fix itself, and proof the walk is not vacuous: the rows are there for staff."""
    w = world
    clients = _viewers(app, w)
    lists = [f"/api/v1/users/{w.solver_id}/solves", f"/users/{w.solver_id}"]
    if w.mode == "teams":
        lists += [f"/api/v1/teams/{w.solver_team_id}/solves", f"/teams/{w.solver_team_id}"]
    own = ["/api/v1/users/me/solves", "/api/v1/users/me/fails"]
    if w.mode == "teams":
        own += ["/api/v1/teams/me/solves", "/api/v1/teams/me/fails"]
    for url in lists:
        for client in clients.values():
            r = client.get(url)
            assert r.status_code == 200, url
            assert MARKER not in r.text.lower(), url
    solver = clients["solver"]
    for url in own:
        r = solver.get(url)
        assert r.status_code == 200 and MARKER not in r.text.lower(), url
        assert str(w.hidden_id) not in [str(x.get("challenge_id")) for x in r.json()["data"]], url
    fails = solver.get(f"/api/v1/users/{w.solver_id}/fails").json()
    assert fails["meta"]["count"] == 0 and fails["data"] == []  # the attempt at it is left out too
    # Someone else's visible solve is listed, in every view.
    bystander = clients["bystander"].get("/api/v1/users/me/solves").json()["data"]
    assert [x["challenge"]["name"] for x in bystander] == [w.visible_name]
    for c in clients.values():
        c.close()

    # Staff whose role may view every challenge see the solve; others staff roles do not.
    make.user("judy", role="judge")
    make.user("marsha", role="marshal")
    for name, sees in (("boss", True), ("judy", True), ("marsha", False)):
        with TestClient(app) as staff:
            login(staff, name)
            for url in lists:
                assert (MARKER in staff.get(url).text.lower()) is sees, (name, url)
            count = staff.get(f"/api/v1/users/{w.solver_id}/fails").json()["meta"]["count"]
            # The wrong flag and the rejected essay (a rejected answer is a wrong one).
            assert count == (2 if sees else 0), name


def test_the_live_stream_tells_no_one_about_a_hidden_challenge(app, ctx, make, world):
    w = world
    assert any(route.path == STREAM for route in iter_route_contexts(app.routes))
    app.state.live.settings = LiveSettings(poll_seconds=0.05, heartbeat_seconds=0.2, revalidate_seconds=0.2)
    with ctx.db.read() as s:
        users = {u.name: u for u in s.query(t.User)}
    headers = {"anonymous": {}}
    for label, name in (*w.players.items(), ("staff", "boss")):
        headers[label] = auth(make.token(users[name]))
    with TestClient(app) as live, ExitStack() as open_streams:
        streams = {
            label: open_streams.enter_context(live.stream("GET", "/events?last_event_id=0", headers=h))
            for label, h in headers.items()
        }
        for r in streams.values():
            assert r.status_code == 200
        # A fresh solve of the hidden challenge (first blood), then a public announcement that marks
        # the end: once it has arrived, everything before it has been sent.
        with ctx.write() as uow:
            uow.emit(
                "solve",
                {
                    "challenge_id": w.hidden_id,
                    "account_id": w.solver_team_id or w.solver_id,
                    "user_id": w.solver_id,
                    "first_blood": 1,
                    "value": 300,
                },
            )
        sentinel = notifications.announce(ctx, "End of the test", "Nothing more.")

        def arrived(frames: list[Any]) -> bool:
            return any(
                f.event == "announcement" and f.json["data"].get("notification_id") == sentinel.id
                for f in frames
            )

        got = {label: read_until(r, arrived) for label, r in streams.items()}
    for label, frames in got.items():
        about_hidden = [
            f for f in events_only(frames) if f.json.get("data", {}).get("challenge_id") == w.hidden_id
        ]
        text = "\n".join(f.data for f in frames).lower()
        if label == "staff":
            # Proof the read was not vacuous: staff who may view every challenge hear of it, by name.
            assert about_hidden and MARKER in text
        else:
            assert not about_hidden, label
            assert MARKER not in text, label
