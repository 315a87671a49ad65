"""Every route × every role, checked against the table kept beside the policy.

``kizuna.web.policy_table.ROUTE_RULES`` says what each route asks of its caller. This test

(a) fails when a route of the app (pages, ``/api/v1``, ``/files``, ``/events``; static files are
    excluded) has no entry in the table, or an entry names a route that no longer exists; and
(b) requests every route as every role — anonymous, player, author, marshal, judge, admin — with
    its path parameters filled with the real ids of one fixture database (pages with a session and
    the form's CSRF token, the API with each account's token) and checks the answer: a role the
    table allows is not refused (no 401, no policy 403, no redirect to the login form); a role it
    does not allow is refused — 401 for an anonymous API caller, the login form for an anonymous
    page visitor, 403 for a signed-in role — or, on the routes that hide things as missing, 404.

A 403 or 401 that carries another sentence than the policy's (a player without a team, a wrong
password) is the route working for that caller, not the policy refusing it. Routes that delete
something get a fresh row to delete for each request, so the walk never changes the fixture under
the next route. One app and one database serve the whole module.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from kizuna.domain.certificates import new_code
from kizuna.domain.errors import DomainError, ErrorCode, Forbidden
from kizuna.domain.names import name_key
from kizuna.domain.policy import Action
from kizuna.services import (
    accounts,
    awards,
    brackets,
    challenges,
    content,
    event,
    notifications,
    pages,
    reviews,
    sponsors,
    submissions,
    teams,
    tracks,
)
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import tables as t
from kizuna.web.app import create_app
from kizuna.web.messages import message_for
from kizuna.web.policy_table import EXCLUDED_PREFIXES, HIDDEN_AS_MISSING, ROUTE_RULES, allows
from tests.conftest import PASSWORD, _csrf_from, login, make_sqlite_ctx
from tests.sse import read_until

ROLES: tuple[str, ...] = ("anonymous", "player", "author", "marshal", "judge", "admin")
PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")
# Routes that end the caller's session or move them out of their team: walked last for each role.
LAST = (("POST", "/team/leave"), ("POST", "/login"), ("POST", "/logout"))


def app_routes(app: Any) -> set[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(app.routes):
        if not route.path or route.path.startswith(EXCLUDED_PREFIXES):
            continue
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


# --- the fixture database ---------------------------------------------------------------------------


@dataclass
class World:
    ctx: Context
    app: Any
    users: dict[str, Any] = field(default_factory=dict)  # role -> user row
    tokens: dict[str, str] = field(default_factory=dict)  # role -> API token
    token_ids: dict[str, int] = field(default_factory=dict)  # role -> the id of that token
    ids: dict[str, str] = field(default_factory=dict)  # path parameter -> value
    challenge_id: int = 0
    counter: int = 0

    def next(self) -> int:
        self.counter += 1
        return self.counter


def _user_row(ctx: Context, name: str, role: str = "player", team_id: int | None = None) -> int:
    """A user inserted directly (no password hashing: these never log in)."""
    with ctx.write() as uow:
        row = t.User(name=name, name_key=name_key(name), password_hash="-", role=role, team_id=team_id)
        uow.session.add(row)
        uow.session.flush()
        return row.id


def _submission(ctx: Context, w: World, user_id: int, team_id: int | None) -> int:
    with ctx.write() as uow:
        row = t.Submission(
            challenge_id=w.challenge_id,
            user_id=user_id,
            team_id=team_id,
            account_id=team_id or user_id,
            ip="192.0.2.10",
            provided="not the flag",
            type="incorrect",
            date=ctx.now(),
        )
        uow.session.add(row)
        uow.session.flush()
        return row.id


def _signal(ctx: Context) -> int:
    """An open integrity signal (services.integrity), as a scan would store it."""
    key = f"shared_address:192.0.2.1#{secrets.token_hex(8)}"
    with ctx.write() as uow:
        row = t.IntegritySignal(
            kind="shared_address",
            subject=key,
            key=key,
            evidence={"mode": "teams", "address": "192.0.2.1", "total": 0, "accounts": []},
            created_at=ctx.now(),
            updated_at=ctx.now(),
            note="",
        )
        uow.session.add(row)
        uow.session.flush()
        return row.id


def _build(tmp: Path, template: Path) -> World:
    settings, ctx = make_sqlite_ctx(tmp, template)
    app = create_app(settings, ctx)
    w = World(ctx, app)
    now = ctx.now()
    event.update_event(ctx, {"start_at": (now - timedelta(hours=1)).isoformat()})
    with ctx.write() as uow:
        uow.session.get(t.Event, 1).two_factor_roles = []  # staff pages without a second factor here
    for role in ROLES[1:]:
        w.users[role] = accounts.register_user(ctx, f"the-{role}", PASSWORD, role=role, by_admin=True)
        issued = accounts.create_token(ctx, w.users[role].id)
        w.tokens[role], w.token_ids[role] = issued.value, issued.token.id
    # The player is in a team it does not captain (so nothing it may do there disbands it).
    captain = accounts.register_user(ctx, "captain", PASSWORD, by_admin=True)
    red = teams.create_team(ctx, "Red", captain.id)
    teams.join_team(ctx, w.users["player"].id, red.invite_code)
    blue_captain = accounts.register_user(ctx, "blue-captain", PASSWORD, by_admin=True)
    blue = teams.create_team(ctx, "Blue", blue_captain.id)
    ch = challenges.create_challenge(
        ctx, {"name": "Open", "category": "misc", "value": 100, "state": "visible"}
    )
    w.challenge_id = ch.id
    flag = content.create_flag(ctx, ch.id, "static", "flag{open}", "")
    hint = content.create_hint(ctx, ch.id, "Look closer.", cost=0, title="Nudge")
    tag = content.create_tag(ctx, ch.id, "warmup")
    topic = content.add_topic(ctx, ch.id, "basics")
    stored = content.save_file(ctx, ch.id, "open.txt", b"open")
    solution = content.create_solution(ctx, ch.id, "Read it.", "visible")
    award = awards.grant_award(ctx, name="Kind", value=5, team_id=blue.id)
    with ctx.write() as uow:  # Blue's write-up: another team's for the player (404), any for staff
        writeup = t.Writeup(
            challenge_id=ch.id, account_id=blue.id, team_id=blue.id, user_id=blue_captain.id, content="How."
        )
        uow.session.add(writeup)
        uow.session.flush()
        writeup_id = writeup.id
    note = notifications.announce(ctx, "Welcome", "Have fun.")
    page = pages.create_page(ctx, {"route": "rules", "title": "Rules", "content": "Be kind."})
    sponsor = sponsors.create_sponsor(ctx, {"name": "Cyber Wales", "group": "organisers"})
    bracket = brackets.create_bracket(ctx, {"name": "Students", "type": "teams"})
    submission = _submission(ctx, w, captain.id, red.id)
    judged = challenges.create_challenge(ctx, {"name": "Essay", "value": 100, "type": "manual"})
    sent = reviews.check_attachment("essay.txt", b"my essay")
    submissions.submit_flag(ctx, Principal.of(blue_captain), judged.id, "An answer", attachment=sent)
    with ctx.db.read() as s:
        review_id = s.query(t.Review.id).filter(t.Review.challenge_id == judged.id).scalar()
    tracks.import_tracks(ctx, Path(__file__).resolve().parents[1] / "fixtures" / "tracks")
    w.ids = {
        "challenge_id": str(ch.id),
        "flag_id": str(flag.id),
        "hint_id": str(hint.id),
        "tag_id": str(tag.id),
        "topic_id": str(topic.topic_id),
        "file_id": str(stored.id),
        "solution_id": str(solution.id),
        "location": stored.location,
        "user_id": str(blue_captain.id),
        "team_id": str(blue.id),
        "award_id": str(award.id),
        "submission_id": str(submission),
        "signal_id": str(_signal(ctx)),
        "notification_id": str(note.id),
        "page_id": str(page.id),
        "sponsor_id": str(sponsor.id),
        "bracket_id": str(bracket.id),
        "review_id": str(review_id),
        "route": "rules",
        "code": "en",
        "choice": "dark",
        "count": "3",
        "name": "static",
        "action": "freeze",
        "kind": "submissions",
        "writeup_id": str(writeup_id),
        "track_id": "sample-track",
        "lesson_id": "encodings",
        "task_id": "base64-name",
        "cert_code": _certificate(ctx, w.users["player"]),
    }
    return w


def _certificate(ctx: Context, user: Any) -> str:
    """The player's event certificate (its PDF: the player's and admins'; anyone else 404)."""
    code = new_code()
    with ctx.write() as uow:
        uow.session.add(
            t.Certificate(
                code=code,
                user_id=user.id,
                kind="event",
                subject="event",
                titles={"en": "Joint CTF", "ja": "日英合同CTF"},
                name=user.name,
                issued_at=ctx.now(),
            )
        )
    return code


# Fresh rows for routes that delete (or end) what they name: parameter -> maker.
def _victims(w: World, role: str) -> dict[str, Callable[[], str]]:
    ctx = w.ctx

    def challenge() -> str:
        return str(challenges.create_challenge(ctx, {"name": f"victim{w.next()}", "value": 1}).id)

    def solution() -> str:
        return str(content.create_solution(ctx, int(challenge()), "x", "hidden").id)

    def team() -> str:
        return str(teams.create_team(ctx, f"victims{w.next()}", None).id)

    def token() -> str:
        owner = w.users[role].id if role in w.users else w.users["player"].id
        return str(accounts.create_token(ctx, owner).token.id)

    return {
        "challenge_id": challenge,
        "flag_id": lambda: str(
            content.create_flag(ctx, w.challenge_id, "static", f"flag{{v{w.next()}}}", "").id
        ),
        "hint_id": lambda: str(content.create_hint(ctx, w.challenge_id, "x", cost=0, title="v").id),
        "tag_id": lambda: str(content.create_tag(ctx, w.challenge_id, f"v{w.next()}").id),
        "file_id": lambda: str(content.save_file(ctx, w.challenge_id, f"v{w.next()}.txt", b"v").id),
        "topic_id": lambda: str(content.add_topic(ctx, w.challenge_id, f"topic{w.next()}").topic_id),
        "solution_id": solution,
        "user_id": lambda: str(_user_row(ctx, f"victim{w.next()}")),
        "team_id": team,
        "token_id": token,
        "award_id": lambda: str(awards.grant_award(ctx, name="v", value=1, team_id=int(w.ids["team_id"])).id),
        "submission_id": lambda: str(_submission(ctx, w, int(w.ids["user_id"]), int(w.ids["team_id"]))),
        "notification_id": lambda: str(notifications.announce(ctx, "v", "v").id),
        "signal_id": lambda: str(_signal(ctx)),
        "page_id": lambda: str(pages.create_page(ctx, {"route": f"victim-{w.next()}", "title": "v"}).id),
        "sponsor_id": lambda: str(sponsors.create_sponsor(ctx, {"name": f"victim{w.next()}"}).id),
        "bracket_id": lambda: str(brackets.create_bracket(ctx, {"name": f"victim{w.next()}"}).id),
    }


def _destructive(method: str, path: str) -> bool:
    return method == "DELETE" or path.endswith(("/delete", "/toggle", "/dismiss"))


def _url(w: World, role: str, method: str, path: str) -> str:
    names = PARAM.findall(path)
    unknown = [n for n in names if n not in w.ids and n != "token_id"]
    assert not unknown, f"{method} {path}: no value for {unknown}; add it to the fixture"
    values = dict(w.ids)
    values["token_id"] = str(w.token_ids.get(role, w.token_ids["player"]))
    if _destructive(method, path):
        makers = _victims(w, role)
        for n in names:
            if n in makers and not (n == "challenge_id" and path.count("{") > 1):
                values[n] = makers[n]()
    return PARAM.sub(lambda m: values[m.group(1)], path)


# --- asking and judging -------------------------------------------------------------------------------


@dataclass
class Caller:
    role: str
    client: TestClient
    csrf: str


def _sentence(error: DomainError) -> str:
    return message_for(error)


def _refused(response: Any, api: bool) -> str:
    """Why the policy refused this answer ("" when it did not): the status and sentence of a
    refusal, or a redirect to the login form."""
    if response.status_code in (302, 303, 307):
        return "login" if response.headers.get("location", "").startswith("/login?next=") else ""
    if response.status_code not in (401, 403):
        return ""
    forbidden, required = _sentence(Forbidden()), _sentence(DomainError(ErrorCode.AUTH_REQUIRED, status=401))
    if api:
        try:
            message = response.json().get("message", "")
        except ValueError:
            message = ""
        return str(response.status_code) if message in (forbidden, required) else ""
    return str(response.status_code) if forbidden in response.text or required in response.text else ""


def _ask(caller: Caller, w: World, method: str, path: str, live: TestClient) -> Any:
    url = _url(w, caller.role, method, path)
    if path.startswith("/api/") or path == "/events":
        headers = {} if caller.role == "anonymous" else {"Authorization": f"Token {w.tokens[caller.role]}"}
        if path == "/events":
            with live.stream("GET", url, headers=headers) as r:
                if r.status_code == 200:
                    read_until(r, lambda frames: len(frames) >= 1, timeout=30)
                return r
        if method in ("GET", "HEAD"):
            return caller.client.request(method, url, headers=headers)
        return caller.client.request(method, url, headers=headers, json={})
    if method == "GET":
        return caller.client.get(url, follow_redirects=False)
    return caller.client.request(method, url, data={"csrf_token": caller.csrf}, follow_redirects=False)


def _expectation(rule: str, role: str, method: str, path: str) -> str:
    if allows(rule, None if role == "anonymous" else role):
        return "allowed"
    if (method, path) in HIDDEN_AS_MISSING:
        return "404"
    api = path.startswith("/api/")
    if role == "anonymous":
        return "401" if api else "login"
    return "403"


def _judge(response: Any, expected: str, method: str, path: str) -> str:
    api = path.startswith("/api/") or path == "/events"
    refused = _refused(response, api)
    got = f"{response.status_code}" + (f" ({refused})" if refused else "")
    if expected == "allowed":
        if refused or ((method, path) in HIDDEN_AS_MISSING and response.status_code == 404):
            return f"allowed but refused: {got}"
        return ""
    if expected == "404":
        return "" if response.status_code == 404 else f"should be hidden as missing (404), got {got}"
    if expected == "login":
        return "" if refused == "login" else f"should send to the login form, got {got}"
    return "" if refused == expected else f"should be refused with {expected}, got {got}"


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[World]:
    w = _build(tmp_path_factory.mktemp("matrix"), sqlite_template)
    yield w
    w.ctx.db.dispose()


@pytest.fixture(scope="module")
def live(world: World) -> Iterator[TestClient]:
    """The client that runs the app's lifespan (the stream's tailer); other callers share the app."""
    with TestClient(world.app) as client:
        yield client


def _caller(w: World, role: str) -> Caller:
    client = TestClient(w.app)
    if role == "anonymous":
        csrf = _csrf_from(client.get("/login").text)
    else:
        csrf = login(client, w.users[role].name)
    return Caller(role, client, csrf)


# --- the tests --------------------------------------------------------------------------------------------


def test_every_route_of_the_app_is_in_the_table(world: World) -> None:
    routes = app_routes(world.app)
    assert ("GET", "/api/v1/users/{user_id}") in routes and ("GET", "/events") in routes  # really walked
    missing = sorted(routes - set(ROUTE_RULES))
    stale = sorted(set(ROUTE_RULES) - routes)
    assert not missing, f"routes without a rule in kizuna.web.policy_table.ROUTE_RULES: {missing}"
    assert not stale, f"rules for routes that no longer exist: {stale}"


def test_the_table_names_only_known_rules() -> None:
    known = {"public", "account", *(action.value for action in Action)}
    unknown = {route: rule for route, rule in ROUTE_RULES.items() if rule not in known}
    assert not unknown, unknown
    # Admins may open every route but the ones that are about playing (staff do not play).
    assert {route for route, rule in ROUTE_RULES.items() if not allows(rule, "admin")} == {
        route for route, rule in ROUTE_RULES.items() if rule == Action.PLAY.value
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_table_says(world: World, live: TestClient, role: str) -> None:
    caller = _caller(world, role)
    routes = sorted(
        app_routes(world.app) & set(ROUTE_RULES),
        key=lambda r: (r in LAST, LAST.index(r) if r in LAST else 0, r),
    )
    problems = []
    for method, path in routes:
        expected = _expectation(ROUTE_RULES[(method, path)], role, method, path)
        response = _ask(caller, world, method, path, live)
        problem = _judge(response, expected, method, path)
        if problem:
            problems.append(f"{method} {path} as {role}: {problem}")
    assert not problems, "\n".join(problems)
