"""Integrity signals for judges (issue 11): every kind raised by a scripted event, none by a clean
event of the same size; dismissal hides an item, is audited and is not undone by the same evidence;
only judges and admins see the list; addresses kept for staff at registration and log-in.

The events are scripted with a controllable clock (``ctx.now``), never with sleeps: attempts go
through ``submissions.submit_flag`` at the times the script sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from kizuna.domain.integrity import Rules
from kizuna.services import content, integrity, sessions, submissions
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import integrity_queries
from kizuna.storage import tables as t
from tests.conftest import Factory, auth, login


class Clock:
    def __init__(self, ctx: Context) -> None:
        self.at = ctx.now().replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.at

    def set(self, start: datetime, seconds: float) -> None:
        self.at = start + timedelta(seconds=seconds)


@pytest.fixture
def clock(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock(ctx)
    monkeypatch.setattr(ctx, "now", c)
    return c


@dataclass
class Event:
    """Five teams (one player each, A with a second member), four challenges."""

    players: dict[str, Any]
    teams: dict[str, Any]
    challenges: dict[str, Any]
    start: datetime


def build(ctx: Context, make: Factory, clock: Clock) -> Event:
    players, teams = {}, {}
    for name in "ABCDE":
        user, team = make.player_in_team(f"player-{name}", f"Team {name}")
        players[name], teams[name] = user, team
    players["A2"] = make.user("player-A2")
    make.join(players["A2"], teams["A"])
    challenges = {
        name: make.challenge(flag=f"flag{{{name.lower()}-secret}}", name=f"Chal {name}") for name in "WXY"
    }
    challenges["Z"] = make.challenge(flag=None, name="Chal Z")
    content.create_flag(ctx, challenges["Z"].id, "static", "flag{z-secret}", "case_insensitive")
    return Event(players, teams, challenges, clock.at)


def send(ctx: Context, clock: Clock, ev: Event, who: str, challenge: str, text: str, at: float) -> str:
    clock.set(ev.start, at)
    user = ev.players[who]
    return submissions.submit_flag(
        ctx, Principal.of(user), ev.challenges[challenge].id, text, ip="198.51.100.1"
    ).status


def seen_from(
    ctx: Context, clock: Clock, ev: Event, who: str, address: str, at: float, register: bool = False
) -> None:
    clock.set(ev.start, at)
    if register:
        with ctx.write() as uow:
            integrity_queries.record_address(uow.session, ev.players[who].id, address, "register", clock.at)
    else:
        sessions.start(ctx, ev.players[who].id, address, "test browser")


def dirty(ctx: Context, make: Factory, clock: Clock) -> Event:
    ev = build(ctx, make, clock)
    # a. Teams A and B send the same wrong answer to X, three minutes apart.
    assert send(ctx, clock, ev, "A", "X", "flag{wrong-but-shared}", 0) == "incorrect"
    assert send(ctx, clock, ev, "B", "X", "flag{wrong-but-shared}", 180) == "incorrect"
    # b. Team C answers X with Z's flag (case-insensitive, as Z's matcher compares).
    assert send(ctx, clock, ev, "C", "X", "FLAG{Z-SECRET}", 200) == "incorrect"
    # c. A player of D registers, and one of E logs in, from one address.
    seen_from(ctx, clock, ev, "D", "203.0.113.7", 10, register=True)
    seen_from(ctx, clock, ev, "E", "203.0.113.7", 400)
    # d. E solves W, X and Y each within a minute of A's solve.
    for i, ch in enumerate("WXY"):
        base = 600 + i * 600
        assert send(ctx, clock, ev, "A", ch, f"flag{{{ch.lower()}-secret}}", base) == "correct"
        assert send(ctx, clock, ev, "E", ch, f"flag{{{ch.lower()}-secret}}", base + 20) == "correct"
    return ev


def clean(ctx: Context, make: Factory, clock: Clock) -> Event:
    """The same size, with the near misses the rules leave alone."""
    ev = build(ctx, make, clock)
    # The same wrong answer, but half an hour apart; short and one-character guesses by everyone.
    assert send(ctx, clock, ev, "A", "X", "flag{wrong-but-shared}", 0) == "incorrect"
    assert send(ctx, clock, ev, "B", "X", "flag{wrong-but-shared}", 1800) == "incorrect"
    for i, name in enumerate("ABCDE"):
        assert send(ctx, clock, ev, name, "Y", "abc", 10 + i) == "incorrect"
        assert send(ctx, clock, ev, name, "Y", "zzzzzzzz", 20 + i) == "incorrect"
    # C's answer to X is no other challenge's flag (one letter off).
    assert send(ctx, clock, ev, "C", "X", "FLAG{Z-SECRET!}", 200) == "incorrect"
    # Each player on their own address; the two members of A share one (same team).
    for i, name in enumerate("ABCDE"):
        seen_from(ctx, clock, ev, name, f"203.0.113.{10 + i}", 10, register=True)
        seen_from(ctx, clock, ev, name, f"203.0.113.{10 + i}", 400)
    seen_from(ctx, clock, ev, "A2", "203.0.113.10", 410)
    # E solves after A each time, but minutes later, and within a minute only twice (fewer than 3).
    for i, ch in enumerate("WXY"):
        base = 600 + i * 600
        assert send(ctx, clock, ev, "A", ch, f"flag{{{ch.lower()}-secret}}", base) == "correct"
        gap = 20 if i < 2 else 300
        assert send(ctx, clock, ev, "E", ch, f"flag{{{ch.lower()}-secret}}", base + gap) == "correct"
    return ev


def stored(ctx: Context) -> list[t.IntegritySignal]:
    with ctx.db.read() as s:
        return list(s.query(t.IntegritySignal).order_by(t.IntegritySignal.id))


def by_kind(ctx: Context) -> dict[str, t.IntegritySignal]:
    rows = stored(ctx)
    kinds = {row.kind: row for row in rows}
    assert len(kinds) == len(rows), [r.key for r in rows]
    return kinds


def test_a_scripted_event_raises_every_kind_of_signal(
    backend: str, ctx: Context, make: Factory, clock: Clock
) -> None:
    ev = dirty(ctx, make, clock)
    assert integrity.scan(ctx) == 4
    found = by_kind(ctx)
    assert set(found) == {"shared_guess", "other_flag", "shared_address", "solve_burst"}
    team = {name: ev.teams[name].id for name in ev.teams}
    chal = {name: ev.challenges[name].id for name in ev.challenges}

    guess = found["shared_guess"].evidence
    assert guess["challenge_id"] == chal["X"] and guess["guess"] == "flag{wrong-but-shared}"
    assert [a["account_id"] for a in guess["accounts"]] == [team["A"], team["B"]]

    other = found["other_flag"].evidence
    assert (other["account_id"], other["challenge_id"], other["matched_challenge_id"]) == (
        team["C"],
        chal["X"],
        chal["Z"],
    )
    assert other["solved_matched"] is False and other["count"] == 1
    assert "z-secret" not in str(other).lower()  # the flag's text is never in the evidence

    address = found["shared_address"].evidence
    assert address["address"] == "203.0.113.7"
    assert {a["account_id"] for a in address["accounts"]} == {team["D"], team["E"]}

    burst = found["solve_burst"].evidence
    assert (burst["leader_id"], burst["follower_id"], burst["count"]) == (team["A"], team["E"], 3)
    assert [x["seconds"] for x in burst["solves"]] == [20, 20, 20]

    # Scanning again raises nothing new.
    assert integrity.scan(ctx) == 0
    assert len(stored(ctx)) == 4


def test_a_clean_event_of_the_same_size_raises_none(
    backend: str, ctx: Context, make: Factory, clock: Clock
) -> None:
    clean(ctx, make, clock)
    assert integrity.find(ctx) == []
    assert integrity.scan(ctx) == 0
    assert stored(ctx) == []


def test_a_guess_many_teams_send_is_a_common_guess(ctx: Context, make: Factory, clock: Clock) -> None:
    ev = build(ctx, make, clock)
    for i, name in enumerate("ABC"):
        send(ctx, clock, ev, name, "X", "flag{everyone-tries-this}", i)
    kinds = [f.kind for f in integrity.find(ctx, Rules(common_guess=3))]
    assert kinds == ["shared_guess"]
    assert integrity.find(ctx, Rules(common_guess=2)) == []  # three teams: common


def test_the_evidence_grows_in_place_while_open(ctx: Context, make: Factory, clock: Clock) -> None:
    ev = build(ctx, make, clock)
    send(ctx, clock, ev, "A", "X", "flag{wrong-but-shared}", 0)
    send(ctx, clock, ev, "B", "X", "flag{wrong-but-shared}", 60)
    assert integrity.scan(ctx) == 1
    send(ctx, clock, ev, "C", "X", "flag{wrong-but-shared}", 120)
    assert integrity.scan(ctx) == 1
    (row,) = stored(ctx)
    assert len(row.evidence["accounts"]) == 3


def test_dismissal_hides_the_item_is_audited_and_the_same_evidence_is_not_raised_again(
    backend: str, client: Any, ctx: Context, make: Factory, clock: Clock
) -> None:
    ev = dirty(ctx, make, clock)
    judge = make.user("judge-one", role="judge")
    token = make.token(judge)
    # Reading the list never writes: nothing is found until a scan (the background job's, or asked).
    assert client.get("/api/v1/integrity", headers=auth(token)).json()["data"] == []
    scanned = client.post("/api/v1/integrity/scan", headers=auth(token))
    assert scanned.json() == {"success": True, "data": {"raised": 4}}
    listed = client.get("/api/v1/integrity", headers=auth(token)).json()
    assert listed["meta"]["pagination"]["total"] == 4
    item = next(x for x in listed["data"] if x["kind"] == "shared_guess")
    assert any("Team A" in line for line in item["text"]) and any("Team B" in line for line in item["text"])

    r = client.post(
        f"/api/v1/integrity/{item['id']}/dismiss", json={"note": "same class, same idea"}, headers=auth(token)
    )
    assert r.status_code == 200, r.text
    open_ids = [x["id"] for x in client.get("/api/v1/integrity", headers=auth(token)).json()["data"]]
    assert item["id"] not in open_ids and len(open_ids) == 3
    dismissed = client.get("/api/v1/integrity?status=dismissed", headers=auth(token)).json()["data"]
    assert [(x["id"], x["note"], x["dismissed_by"]) for x in dismissed] == [
        (item["id"], "same class, same idea", judge.id)
    ]

    with ctx.db.read() as s:
        entries = s.query(t.AuditEntry).filter(t.AuditEntry.action == "integrity.dismissed").all()
        events = s.query(t.EventLog).filter(t.EventLog.type == "integrity_dismissed").all()
    assert [(e.actor_id, e.target_id, e.after["note"]) for e in entries] == [
        (judge.id, str(item["id"]), "same class, same idea")
    ]
    assert [(e.data["signal_id"], e.audience) for e in events] == [(item["id"], "staff")]
    audit = client.get("/api/v1/audit?action=integrity.", headers=auth(make.token(make.admin()))).json()[
        "data"
    ]
    assert [a["action_label"] for a in audit] == ["Integrity signal dismissed"]

    # The same evidence again: nothing raised; dismissing twice: 409; a missing signal: 404.
    assert integrity.scan(ctx) == 0
    assert len(client.get("/api/v1/integrity", headers=auth(token)).json()["data"]) == 3
    again = client.post(f"/api/v1/integrity/{item['id']}/dismiss", headers=auth(token))
    assert again.status_code == 409 and again.json()["success"] is False
    ja = client.post(
        f"/api/v1/integrity/{item['id']}/dismiss", headers={**auth(token), "Accept-Language": "ja"}
    )
    assert "既に" in ja.text
    assert client.post("/api/v1/integrity/999999/dismiss", headers=auth(token)).status_code == 404
    too_long = client.post(
        f"/api/v1/integrity/{open_ids[0]}/dismiss", json={"note": "x" * 2000}, headers=auth(token)
    )
    assert too_long.status_code == 400

    # New evidence on the same subject (a third team) is a new signal.
    send(ctx, clock, ev, "D", "X", "flag{wrong-but-shared}", 240)
    assert integrity.scan(ctx) == 1
    guesses = [r for r in stored(ctx) if r.kind == "shared_guess"]
    assert [r.dismissed_at is None for r in guesses] == [False, True]


def test_the_page_lists_and_dismisses_with_evidence_in_the_readers_language(
    client: Any, ctx: Context, make: Factory, clock: Clock
) -> None:
    dirty(ctx, make, clock)
    judge = make.user("judge-two", role="judge")
    login(client, judge.name)
    page = client.get("/admin/integrity")
    assert "No signals." in page.text
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/admin/integrity/scan", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/admin/integrity")
    assert page.status_code == 200 and "The list is up to date." in page.text
    for title in (
        "The same wrong answer from different teams",
        "An answer equal to another challenge&#39;s flag",
        "Players of different teams on one address",
        "Solves right after another team&#39;s",
    ):
        assert title in page.text
    assert "flag{wrong-but-shared}" in page.text  # a wrong answer may be shown to judges
    assert "z-secret" not in page.text.lower()  # a flag never
    assert "Chal Z" in page.text and "203.0.113.7" in page.text
    ja = client.get("/admin/integrity?lang=ja")
    assert "審査" in ja.text or "不正解" in ja.text

    signal_id = int(re.search(r'action="/admin/integrity/(\d+)/dismiss"', page.text).group(1))
    r = client.post(
        f"/admin/integrity/{signal_id}/dismiss",
        data={"csrf_token": csrf, "note": "checked"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = client.get("/admin/integrity")
    assert "The signal has been dismissed." in after.text
    assert f'action="/admin/integrity/{signal_id}/dismiss"' not in after.text
    dismissed = client.get("/admin/integrity?status=dismissed")
    assert "checked" in dismissed.text and "judge-two" in dismissed.text


@pytest.mark.parametrize("role", ["player", "author", "marshal"])
def test_players_authors_and_marshals_cannot_see_the_list(
    client: Any, ctx: Context, make: Factory, clock: Clock, role: str
) -> None:
    dirty(ctx, make, clock)
    who = make.user(f"someone-{role}", role=role)
    token = make.token(who)
    r = client.get("/api/v1/integrity", headers=auth(token))
    assert r.status_code == 403 and r.json()["success"] is False
    assert client.post("/api/v1/integrity/1/dismiss", headers=auth(token)).status_code == 403
    login(client, who.name)
    assert client.get("/admin/integrity").status_code == 403
    assert "Integrity signals" not in client.get("/account").text
    # Nothing was dismissed.
    assert all(row.dismissed_at is None for row in stored(ctx))


def test_anonymous_gets_401_and_the_page_asks_to_log_in(client: Any, ctx: Context) -> None:
    assert client.get("/api/v1/integrity").status_code == 401
    r = client.get("/admin/integrity", follow_redirects=False)
    assert r.status_code in (302, 303) and "/login" in r.headers["location"]


def test_bad_filters_are_refused_in_the_readers_language(client: Any, make: Factory) -> None:
    token = make.token(make.user("judge-three", role="judge"))
    r = client.get("/api/v1/integrity?status=everything", headers={**auth(token), "Accept-Language": "ja"})
    assert r.status_code == 400 and r.json()["success"] is False
    assert client.get("/api/v1/integrity?kind=nope", headers=auth(token)).status_code == 400
    assert client.get("/api/v1/integrity?page=-1", headers=auth(token)).status_code == 400


def test_addresses_are_kept_at_registration_and_log_in_and_shown_only_to_staff(
    backend: str, client: Any, ctx: Context, make: Factory
) -> None:
    page = client.get("/register")
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/register",
        data={
            "name": "newcomer",
            "password": "a-long-password-1",
            "confirm": "a-long-password-1",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    client.get("/logout")
    client.cookies.clear()
    login(client, "newcomer", "a-long-password-1")
    login(client, "newcomer", "a-long-password-1")
    with ctx.db.read() as s:
        user = s.query(t.User).filter(t.User.name == "newcomer").one()
        # Sessions end; the addresses stay.
        s.query(t.WebSession).filter(t.WebSession.user_id == user.id).count()
    with ctx.write() as uow:
        uow.session.query(t.WebSession).filter(t.WebSession.user_id == user.id).delete()
    with ctx.db.read() as s:
        rows = {(r.kind, r.address): r.count for r in s.query(t.AccountAddress).filter_by(user_id=user.id)}
    # The registration's page signs the new account in (one log-in), then two log-ins.
    assert rows == {("register", "testclient"): 1, ("login", "testclient"): 3}

    url = f"/api/v1/users/{user.id}/addresses"
    for role, status in (("marshal", 200), ("judge", 200), ("admin", 200), ("author", 403), ("player", 403)):
        who = make.user(f"viewer-{role}", role=role)
        r = client.get(url, headers=auth(make.token(who)))
        assert r.status_code == status, (role, r.text)
        if status == 200:
            assert {(a["kind"], a["address"], a["count"]) for a in r.json()["data"]} == {
                ("register", "testclient", 1),
                ("login", "testclient", 3),
            }
    own = client.get(url, headers=auth(make.token(user)))
    assert own.status_code == 403
    client.cookies.clear()
    assert client.get(url).status_code == 401
    admin = make.admin()
    assert client.get("/api/v1/users/999999/addresses", headers=auth(make.token(admin))).status_code == 404
    # Never in the public account views.
    assert "testclient" not in client.get(f"/api/v1/users/{user.id}").text
    assert "testclient" not in client.get(f"/users/{user.id}").text
    # The staff account page shows them to those who see rosters.
    marshal = make.user("page-marshal", role="marshal")
    login(client, marshal.name)
    shown = client.get(f"/admin/accounts/{user.id}")
    assert (
        shown.status_code == 200 and "<code>testclient</code>" in shown.text and "Registration" in shown.text
    )


def test_the_background_job_scans_once_per_period_across_processes(
    backend: str, ctx: Context, make: Factory, clock: Clock
) -> None:
    from kizuna.jobs.integrity_watch import IntegrityWatch

    dirty(ctx, make, clock)
    first, second = IntegrityWatch(ctx), IntegrityWatch(ctx)  # two processes
    assert first.check() == 4
    assert second.check() is None  # the period is taken
    clock.at += integrity.SCAN_EVERY + timedelta(seconds=1)
    assert second.check() == 0  # its turn; nothing new
    assert len(stored(ctx)) == 4
    # A scan that took long makes the next turn wait: at most about 1/20 of the database's time.
    with ctx.db.write() as s:
        s.query(t.IntegrityScan).update({"duration_ms": 60_000})
    clock.at += integrity.SCAN_EVERY + timedelta(seconds=1)
    assert first.check() is None
    clock.at += timedelta(minutes=20)
    assert first.check() == 0


def test_old_addresses_are_forgotten_and_that_is_audited(ctx: Context, make: Factory, clock: Clock) -> None:
    ev = build(ctx, make, clock)
    seen_from(ctx, clock, ev, "A", "203.0.113.1", 0)
    seen_from(ctx, clock, ev, "B", "203.0.113.2", 20 * 86400)
    clock.set(ev.start, 40 * 86400)
    assert integrity.forget_addresses(ctx, timedelta(days=30)) == 1
    with ctx.db.read() as s:
        assert [r.address for r in s.query(t.AccountAddress)] == ["203.0.113.2"]
        (entry,) = s.query(t.AuditEntry).filter(t.AuditEntry.action == "addresses.forgotten").all()
    assert entry.after["count"] == 1


def test_a_scan_stores_a_bounded_number_and_the_next_one_the_rest(
    ctx: Context, make: Factory, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ev = build(ctx, make, clock)
    for n, text in enumerate(("flag{first-shared}", "flag{second-shared}")):
        send(ctx, clock, ev, "A", "X", text, n)
        send(ctx, clock, ev, "B", "X", text, n + 10)
    monkeypatch.setattr(integrity, "PER_KIND", 1)
    assert integrity.scan(ctx) == 1
    assert integrity.scan(ctx) == 1
    assert integrity.scan(ctx) == 0
    assert sorted(r.evidence["guess"] for r in stored(ctx)) == ["flag{first-shared}", "flag{second-shared}"]


def test_the_demo_gives_judges_a_signal_to_look_at(ctx: Context) -> None:
    from kizuna.demo import SHARED_GUESS, load_demo

    load_demo(ctx, "demo-admin-password", "demo-staff-password")
    (row,) = stored(ctx)
    assert row.kind == "shared_guess" and row.evidence["guess"] == SHARED_GUESS


def test_in_individual_mode_the_accounts_are_players(client: Any, ctx: Context, make: Factory) -> None:
    from kizuna.services import event as event_service

    event_service.update_event(ctx, {"mode": "users"})
    one, two = make.user("solo-one"), make.user("solo-two")
    for user in (one, two):
        sessions.start(ctx, user.id, "198.51.100.9", "test browser")
    integrity.scan(ctx)
    (row,) = stored(ctx)
    assert row.kind == "shared_address" and row.evidence["mode"] == "users"
    assert {a["account_id"] for a in row.evidence["accounts"]} == {one.id, two.id}
    token = make.token(make.user("judge-four", role="judge"))
    (item,) = client.get("/api/v1/integrity", headers=auth(token)).json()["data"]
    assert item["title"] == "Different players on one address"
    assert any("solo-one" in line for line in item["text"]) and any(
        "solo-two" in line for line in item["text"]
    )
    ja = client.get("/api/v1/integrity", headers={**auth(token), "Accept-Language": "ja"}).json()["data"][0]
    assert ja["title"] == "同じアドレスを使う別々のプレイヤー"


def test_malformed_dismissals_get_a_4xx_json_answer_in_the_readers_language(
    client: Any, ctx: Context, make: Factory, clock: Clock
) -> None:
    dirty(ctx, make, clock)
    integrity.scan(ctx)
    signal_id = stored(ctx)[0].id
    token = make.token(make.user("judge-five", role="judge"))
    ja = {**auth(token), "Accept-Language": "ja"}
    for body in ("[1, 2]", '{"note": 5}', '{"note": "a\\u0000b"}', "not json"):
        r = client.post(f"/api/v1/integrity/{signal_id}/dismiss", content=body, headers=ja)
        assert 400 <= r.status_code < 500 and r.json()["success"] is False, (body, r.status_code, r.text)
    wrong_type = client.post(f"/api/v1/integrity/{signal_id}/dismiss", json={"note": 5}, headers=ja)
    assert wrong_type.json()["errors"] == {"note": ["この値は正しくありません。"]}
    assert client.post("/api/v1/integrity/abc/dismiss", headers=ja).status_code in (400, 404, 422)
    # Nothing was dismissed by any of them.
    assert all(row.dismissed_at is None for row in stored(ctx))
