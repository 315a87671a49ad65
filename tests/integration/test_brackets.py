"""Brackets (部門), countries and per-filter boards through the API: CTFd's shapes, the ranks within
a bracket or a country, the freeze, and the CTFtime feed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from kizuna.domain.errors import DomainError
from kizuna.services import accounts, brackets, event, teams
from kizuna.services.context import Context
from kizuna.storage import tables as t
from tests.conftest import Factory, auth, record_solve

T0 = datetime(2026, 3, 1, 9, 0, 0)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(ctx: Context) -> Clock:
    c = Clock(T0)
    ctx.now = c
    event.update_event(ctx, {"start_at": T0 - timedelta(hours=1), "end_at": T0 + timedelta(days=1)})
    return c


def _solve(ctx: Context, challenge: Any, user: Any, team: Any, when: datetime) -> None:
    from kizuna.storage.db import SCOREBOARD

    with ctx.write() as uow:
        record_solve(uow, challenge.id, user, team.id if team else None, when)
        uow.bump(SCOREBOARD)


# --- brackets in CTFd's shapes --------------------------------------------------------------------


def test_brackets_through_ctfds_shapes_as_admin_and_refused_to_players(
    backend: str, client: Any, make: Factory, ctx: Context
) -> None:
    admin = auth(make.token(make.admin()))
    player = auth(make.token(make.user("aoi")))
    r = client.post(
        "/api/v1/brackets",
        json={"name": "Students", "description": "Full-time students", "type": "teams"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    created = r.json()["data"]
    assert {k: created[k] for k in ("name", "description", "type")} == {
        "name": "Students",
        "description": "Full-time students",
        "type": "teams",
    }
    bid = created["id"]
    other = client.post("/api/v1/brackets", json={"name": "Solo", "type": "users"}, headers=admin).json()[
        "data"
    ]

    # Anyone lists them; ?type= keeps one kind.
    listed = client.get("/api/v1/brackets").json()
    assert listed["success"] is True
    assert [b["id"] for b in listed["data"]] == [bid, other["id"]]
    assert [b["id"] for b in client.get("/api/v1/brackets?type=users").json()["data"]] == [other["id"]]
    assert client.get("/api/v1/brackets?type=robots").status_code == 400

    # A Japanese name is additive, read in the reader's language.
    r = client.patch(
        f"/api/v1/brackets/{bid}",
        json={"name": "University students", "translations": {"ja": {"name": "学生"}}},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["data"]["name"] == "University students"
    ja = client.get("/api/v1/brackets?lang=ja").json()["data"][0]
    assert ja["name"] == "学生" and ja["translations"]["ja"]["name"] == "学生"

    # Players (and anonymous callers) may not write.
    assert client.post("/api/v1/brackets", json={"name": "Mine"}, headers=player).status_code == 403
    assert client.patch(f"/api/v1/brackets/{bid}", json={"name": "x"}, headers=player).status_code == 403
    assert client.delete(f"/api/v1/brackets/{bid}", headers=player).status_code == 403
    assert client.post("/api/v1/brackets", json={"name": "Mine"}).status_code == 401
    assert client.post("/api/v1/brackets", json={"description": "no name"}, headers=admin).status_code == 400
    assert client.patch("/api/v1/brackets/999", json={"name": "x"}, headers=admin).status_code == 404

    assert client.delete(f"/api/v1/brackets/{bid}", headers=admin).json() == {"success": True}
    assert [b["id"] for b in client.get("/api/v1/brackets").json()["data"]] == [other["id"]]
    with ctx.db.read() as s:
        actions = [a.action for a in s.query(t.AuditEntry).filter(t.AuditEntry.target_type == "bracket")]
    assert actions == ["bracket.created", "bracket.created", "bracket.updated", "bracket.deleted"]


def test_bracket_id_on_users_and_teams(backend: str, client: Any, make: Factory, ctx: Context) -> None:
    admin = auth(make.token(make.admin()))
    students = brackets.create_bracket(ctx, {"name": "Students", "type": "teams"})
    solo = brackets.create_bracket(ctx, {"name": "Solo", "type": "users"})
    captain, team = make.player_in_team("aoi", "Hiroshima")
    token = auth(make.token(captain))

    # The captain chooses the team's bracket; a bracket of the other kind is refused.
    r = client.patch("/api/v1/teams/me", json={"bracket_id": students.id}, headers=token)
    assert r.status_code == 200 and r.json()["data"]["bracket_id"] == students.id
    r = client.patch("/api/v1/teams/me", json={"bracket_id": solo.id}, headers=token)
    assert r.status_code == 400 and "bracket_id" in r.json()["errors"]
    assert client.get(f"/api/v1/teams/{team.id}").json()["data"]["bracket_id"] == students.id
    # Chosen once: the captain cannot move the team to another bracket (CTFd: CVE-2024-11716), nor
    # leave it; sending the same one again is fine.
    open_ = brackets.create_bracket(ctx, {"name": "Open", "type": "teams"})
    r = client.patch("/api/v1/teams/me", json={"bracket_id": open_.id}, headers=token)
    assert r.status_code == 400 and r.json()["errors"]["bracket_id"] == [
        "Your bracket has already been chosen. Ask the organisers to change it."
    ]
    assert client.patch("/api/v1/teams/me", json={"bracket_id": None}, headers=token).status_code == 400
    assert (
        client.patch("/api/v1/teams/me", json={"bracket_id": students.id}, headers=token).status_code == 200
    )

    # A user's own bracket is of type users.
    r = client.patch("/api/v1/users/me", json={"bracket_id": solo.id}, headers=token)
    assert r.status_code == 200 and r.json()["data"]["bracket_id"] == solo.id
    assert client.patch("/api/v1/users/me", json={"bracket_id": 999}, headers=token).status_code == 400
    solo_two = brackets.create_bracket(ctx, {"name": "Solo two", "type": "users"})
    ja = {**token, "Accept-Language": "ja"}
    r = client.patch("/api/v1/users/me", json={"bracket_id": solo_two.id}, headers=ja)
    assert r.status_code == 400 and r.json()["errors"]["bracket_id"] == [
        "部門はすでに選ばれています。変更は運営に依頼してください。"
    ]
    # The organisers move accounts between brackets.
    r = client.patch(f"/api/v1/users/{captain.id}", json={"bracket_id": solo_two.id}, headers=admin)
    assert r.status_code == 200 and r.json()["data"]["bracket_id"] == solo_two.id
    r = client.patch(f"/api/v1/teams/{team.id}", json={"bracket_id": open_.id}, headers=admin)
    assert r.status_code == 200 and r.json()["data"]["bracket_id"] == open_.id
    # Admins set it on create and edit.
    r = client.post(
        "/api/v1/users", json={"name": "ben", "password": "x" * 12, "bracket_id": solo.id}, headers=admin
    )
    assert r.status_code == 200 and r.json()["data"]["bracket_id"] == solo.id
    r = client.patch(f"/api/v1/teams/{team.id}", json={"bracket_id": None}, headers=admin)
    assert r.status_code == 200 and r.json()["data"]["bracket_id"] is None
    r = client.post("/api/v1/teams", json={"name": "Cardiff", "bracket_id": students.id}, headers=admin)
    assert r.status_code == 200 and r.json()["data"]["bracket_id"] == students.id

    # A bracket that changes kind leaves the accounts of the other kind.
    brackets.update_bracket(ctx, students.id, {"type": "users"})
    with ctx.db.read() as s:
        assert s.query(t.Team).filter(t.Team.bracket_id == students.id).count() == 0
    # Deleting a bracket leaves its accounts in none.
    brackets.delete_bracket(ctx, solo_two.id)
    assert client.get(f"/api/v1/users/{captain.id}").json()["data"]["bracket_id"] is None


# --- per-bracket and per-country ranks ------------------------------------------------------------


def _event(ctx: Context, make: Factory) -> dict[str, Any]:
    """Five teams of one event: two British (one a student team), three Japanese (two students),
    scored so that the full board interleaves the countries."""
    students = brackets.create_bracket(ctx, {"name": "Students", "type": "teams"})
    open_ = brackets.create_bracket(ctx, {"name": "Open", "type": "teams"})
    spec = [
        ("Tokyo Tigers", "JP", open_.id, "Tokyo Tech", 500),
        ("Cardiff Dragons", "GB", students.id, "Cardiff University", 400),
        ("Kyoto Foxes", "JP", students.id, "Kyoto University", 300),
        ("London Owls", "GB", open_.id, "", 300),
        ("Osaka Cranes", "JP", students.id, "ｋｙｏｔｏ university", 100),
    ]
    out: dict[str, Any] = {"students": students, "open": open_}
    for i, (name, country, bracket, affiliation, value) in enumerate(spec):
        user, team = make.player_in_team(team_name=name)
        teams.update_team(
            ctx,
            team.id,
            {"country": country, "bracket_id": bracket, "affiliation": affiliation},
            user.id,
            True,
        )
        ch = make.challenge(value=value)
        # Kyoto Foxes reach 300 before London Owls: the tie-break keeps them ahead on every board.
        _solve(ctx, ch, user, team, T0 + timedelta(minutes=i))
        out[name] = team
    return out


def _names(rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(r["pos"], r["name"]) for r in rows]


def test_a_japan_board_and_a_uk_board_of_one_event(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    ev = _event(ctx, make)
    full = client.get("/api/v1/scoreboard").json()["data"]
    assert _names(full) == [
        (1, "Tokyo Tigers"),
        (2, "Cardiff Dragons"),
        (3, "Kyoto Foxes"),
        (4, "London Owls"),
        (5, "Osaka Cranes"),
    ]
    assert full[1]["bracket_id"] == ev["students"].id and full[1]["bracket_name"] == "Students"
    assert full[1]["country"] == "GB"

    japan = client.get("/api/v1/scoreboard?country=JP").json()["data"]
    assert _names(japan) == [(1, "Tokyo Tigers"), (2, "Kyoto Foxes"), (3, "Osaka Cranes")]
    uk = client.get("/api/v1/scoreboard?country=gb").json()["data"]
    assert _names(uk) == [(1, "Cardiff Dragons"), (2, "London Owls")]
    # Kyoto Foxes and London Owls tie on 300 on the full board; the tie-break holds within brackets.
    students = client.get(f"/api/v1/scoreboard?bracket_id={ev['students'].id}").json()["data"]
    assert _names(students) == [(1, "Cardiff Dragons"), (2, "Kyoto Foxes"), (3, "Osaka Cranes")]
    assert {r["bracket_name"] for r in students} == {"Students"}
    both = client.get(f"/api/v1/scoreboard?bracket_id={ev['students'].id}&country=JP").json()["data"]
    assert _names(both) == [(1, "Kyoto Foxes"), (2, "Osaka Cranes")]
    # Affiliations are compared as read: full-width and case do not matter.
    kyoto = client.get("/api/v1/scoreboard", params={"affiliation": "Kyoto University"}).json()["data"]
    assert _names(kyoto) == [(1, "Kyoto Foxes"), (2, "Osaka Cranes")]

    # Top N takes the same filters (CTFd: bracket_id), ranked within them.
    top = client.get(f"/api/v1/scoreboard/top/2?bracket_id={ev['open'].id}").json()["data"]
    assert list(top) == ["1", "2"]
    assert (top["1"]["name"], top["2"]["name"]) == ("Tokyo Tigers", "London Owls")
    assert top["1"]["bracket_id"] == ev["open"].id and top["1"]["bracket_name"] == "Open"
    assert [s["value"] for s in top["2"]["solves"]] == [300]

    # A bracket id naming no bracket gives an empty board, as on CTFd; a valid country with no
    # accounts too.
    assert client.get("/api/v1/scoreboard?bracket_id=999").json()["data"] == []
    assert client.get("/api/v1/scoreboard/top/10?bracket_id=999").json()["data"] == {}
    assert client.get("/api/v1/scoreboard?country=FR").json()["data"] == []

    # Filtered boards come from the snapshot, with their own ETag.
    first = client.get("/api/v1/scoreboard?country=JP")
    again = client.get("/api/v1/scoreboard?country=JP", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_hidden_and_banned_accounts_stay_off_filtered_boards(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    ev = _event(ctx, make)
    admin = make.admin()
    teams.update_team(ctx, ev["Kyoto Foxes"].id, {"hidden": True}, admin.id, True)
    teams.update_team(ctx, ev["Tokyo Tigers"].id, {"banned": True}, admin.id, True)
    japan = client.get("/api/v1/scoreboard?country=JP").json()["data"]
    assert _names(japan) == [(1, "Osaka Cranes")]
    feed = client.get("/api/v1/ctftime?country=JP").json()
    assert feed["standings"] == [
        {"pos": 1, "team": "Osaka Cranes", "score": 100, "lastAccept": feed["standings"][0]["lastAccept"]}
    ]


@pytest.mark.parametrize(
    "lang, sentence",
    [
        ("en", "“XX” is not a country or region code. Use a two-letter ISO 3166 code such as GB or JP."),
        (
            "ja",
            "「XX」は国・地域のコードではありません。"
            "GB や JP のような ISO 3166 の2文字のコードを使ってください。",
        ),
    ],
)
def test_an_unknown_country_is_refused_in_the_readers_language(
    client: Any, make: Factory, ctx: Context, lang: str, sentence: str
) -> None:
    user, _team = make.player_in_team("aoi", "Hiroshima")
    token = auth(make.token(user))
    headers = {**token, "Accept-Language": lang}
    for r in (
        client.patch("/api/v1/users/me", json={"country": "XX"}, headers=headers),
        client.patch("/api/v1/teams/me", json={"country": "XX"}, headers=headers),
        client.get("/api/v1/scoreboard?country=XX", headers={"Accept-Language": lang}),
        client.get("/api/v1/ctftime?country=XX", headers={"Accept-Language": lang}),
    ):
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["success"] is False
        assert body["errors"]["country"] == [sentence]
    # Codes are stored upper case; "" clears it.
    assert (
        client.patch("/api/v1/users/me", json={"country": "jp"}, headers=token).json()["data"]["country"]
        == "JP"
    )
    assert (
        client.patch("/api/v1/users/me", json={"country": ""}, headers=token).json()["data"]["country"] == ""
    )
    assert client.get("/api/v1/scoreboard?bracket_id=abc").status_code == 400
    with pytest.raises(DomainError):
        accounts.register_user(ctx, "ben", "x" * 12, country="Wales", by_admin=True)


# --- the freeze and the CTFtime feed --------------------------------------------------------------


def test_filtered_boards_and_the_ctftime_feed_respect_the_freeze(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    ev = _event(ctx, make)
    admin = auth(make.token(make.admin()))
    event.update_event(ctx, {"freeze_at": T0 + timedelta(minutes=30)})
    clock.at = T0 + timedelta(minutes=40)
    osaka = ev["Osaka Cranes"]
    with ctx.db.read() as s:
        member = s.query(t.User).filter(t.User.team_id == osaka.id).one()
    _solve(ctx, make.challenge(value=1000), member, osaka, T0 + timedelta(minutes=35))

    japan = client.get("/api/v1/scoreboard?country=JP").json()["data"]
    assert _names(japan) == [(1, "Tokyo Tigers"), (2, "Kyoto Foxes"), (3, "Osaka Cranes")]
    feed = client.get("/api/v1/ctftime").json()
    assert [(e["pos"], e["team"], e["score"]) for e in feed["standings"]][-1] == (5, "Osaka Cranes", 100)
    # The feed is the public board whoever asks; admins see the live board on the scoreboard.
    assert client.get("/api/v1/ctftime", headers=admin).json() == feed
    live = client.get("/api/v1/scoreboard?country=JP", headers=admin).json()["data"]
    assert _names(live)[0] == (1, "Osaka Cranes")

    event.update_event(ctx, {"freeze_at": None})
    assert client.get("/api/v1/ctftime").json()["standings"][0]["team"] == "Osaka Cranes"


def test_ctftime_feed_shape_and_per_bracket_variants(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    ev = _event(ctx, make)
    r = client.get("/api/v1/ctftime")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    feed = r.json()
    assert set(feed) == {"standings"}  # CTFtime reads it at the top level: no CTFd envelope
    first = feed["standings"][0]
    assert first == {
        "pos": 1,
        "team": "Tokyo Tigers",
        "score": 500,
        "lastAccept": int((T0 - datetime(1970, 1, 1)).total_seconds()),
    }
    assert [e["pos"] for e in feed["standings"]] == [1, 2, 3, 4, 5]
    students = client.get(f"/api/v1/ctftime?bracket_id={ev['students'].id}").json()["standings"]
    assert [(e["pos"], e["team"]) for e in students] == [
        (1, "Cardiff Dragons"),
        (2, "Kyoto Foxes"),
        (3, "Osaka Cranes"),
    ]
    etag = r.headers["etag"]
    assert client.get("/api/v1/ctftime", headers={"If-None-Match": etag}).status_code == 304
    # A team that never scored has no lastAccept.
    make.player_in_team(team_name="Newcomers")
    last = client.get("/api/v1/ctftime").json()["standings"][-1]
    assert last == {"pos": 6, "team": "Newcomers", "score": 0}


def test_openapi_lists_the_new_routes(client: Any) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/v1/brackets"]) >= {"get", "post"}
    assert set(paths["/api/v1/brackets/{bracket_id}"]) >= {"patch", "delete"}
    assert "get" in paths["/api/v1/ctftime"]
    names = {p["name"] for p in paths["/api/v1/scoreboard"]["get"].get("parameters", [])}
    assert names >= {"bracket_id", "country", "affiliation"}
    names = {p["name"] for p in paths["/api/v1/scoreboard/top/{count}"]["get"].get("parameters", [])}
    assert "bracket_id" in names


def test_filtered_boards_are_derived_from_the_cached_board_and_bounded(
    client: Any, make: Factory, ctx: Context, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filtered board is the full board's snapshot, filtered and ranked again: once the full board
    is built, no filter reads the standings again; and however many filters visitors ask for, only
    the most recent MAX_FILTERED are kept."""
    from kizuna.services import scoreboard
    from kizuna.services.scoreboard import BoardFilter
    from kizuna.web import snapshots as snapshots_module

    _event(ctx, make)
    snaps = client.app.state.snapshots
    full = snaps.scoreboard(False)

    def no_standings(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a filtered board must not recompute the standings")

    monkeypatch.setattr(scoreboard, "standings", no_standings)
    japan = snaps.board(False, BoardFilter(country="JP"))
    assert [r["pos"] for r in japan.data] == [1, 2, 3]
    assert japan.stamp == full.stamp
    assert snaps.board(False, BoardFilter(country="JP")) is japan  # served again, not rebuilt
    feed = snaps.ctftime(BoardFilter(country="GB"))
    assert [e["team"] for e in feed.data["standings"]] == ["Cardiff Dragons", "London Owls"]

    monkeypatch.setattr(snapshots_module, "MAX_FILTERED", 5)
    for n in range(20):
        snaps.board(False, BoardFilter(affiliation=f"Club {n}"))
    kept = [k for k in snaps._cache if k.startswith("scoreboard:False:")]
    assert len(kept) <= 5
    assert "scoreboard:False:||club 19" in kept


def test_the_demo_event_has_brackets_and_two_countries(ctx: Context) -> None:
    from kizuna.demo import load_demo

    load_demo(ctx, "admin-password-for-tests")
    names = {b.name: b.translations for b in brackets.all_brackets(ctx, "teams")}
    assert names == {
        "Students": {"ja": {"name": "学生", "description": "全員が学生のチーム。"}},
        "Open": names["Open"],
    }
    assert names["Open"]["ja"]["name"] == "一般"
    with ctx.db.read() as s:
        rows = s.query(t.Team.country, t.Team.bracket_id).all()
    assert {c for c, _b in rows} == {"GB", "JP"} and all(b is not None for _c, b in rows)


def test_in_individual_mode_users_brackets_make_the_boards(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    event.update_event(ctx, {"mode": "users"})
    solo = brackets.create_bracket(ctx, {"name": "Solo", "type": "users"})
    crews = brackets.create_bracket(ctx, {"name": "Crews", "type": "teams"})
    aoi = make.user("aoi", country="JP", bracket_id=solo.id)
    ben = make.user("ben", country="GB")
    with pytest.raises(DomainError):
        make.user("cai", bracket_id=crews.id)
    for i, (user, value) in enumerate(((ben, 200), (aoi, 100))):
        _solve(ctx, make.challenge(value=value), user, None, T0 + timedelta(minutes=i))
    rows = client.get("/api/v1/scoreboard").json()["data"]
    assert [(r["name"], r["bracket_id"], r["bracket_name"]) for r in rows] == [
        ("ben", None, None),
        ("aoi", solo.id, "Solo"),
    ]
    solo_board = client.get(f"/api/v1/scoreboard?bracket_id={solo.id}").json()["data"]
    assert [(r["pos"], r["name"], r["account_type"]) for r in solo_board] == [(1, "aoi", "user")]
    assert client.get(f"/api/v1/scoreboard?bracket_id={crews.id}").json()["data"] == []


def test_a_bracket_deleted_while_teams_are_put_in_it_never_fails_with_a_500(
    backend: str, make: Factory, ctx: Context
) -> None:
    """Organisers moving teams into a bracket while another deletes it: each move either lands before
    the delete (and the delete empties it) or is refused as BRACKET_INVALID, never a foreign-key
    error; afterwards no team points at the deleted bracket."""
    from kizuna.domain.errors import ErrorCode
    from tests.racing import race

    admin = make.admin()
    for _ in range(10):
        doomed = brackets.create_bracket(ctx, {"name": "Doomed", "type": "teams"})
        team_ids = [make.player_in_team()[1].id for _ in range(3)]

        def work(i: int, doomed_id: int = doomed.id, team_ids: list[int] = team_ids) -> object:
            if i == 0:
                brackets.delete_bracket(ctx, doomed_id)
                return "deleted"
            teams.update_team(ctx, team_ids[i - 1], {"bracket_id": doomed_id}, admin.id, manage_any=True)
            return "moved"

        outcomes = race(4, work)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                assert isinstance(outcome, DomainError), repr(outcome)
                assert outcome.code is ErrorCode.BRACKET_INVALID
        assert outcomes[0] == "deleted"
        with ctx.db.read() as s:
            assert s.query(t.Team).filter(t.Team.bracket_id == doomed.id).count() == 0
