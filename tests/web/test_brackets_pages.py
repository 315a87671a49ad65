"""Brackets, affiliations and countries on the pages: the admin page, the choices at registration,
team creation and in the settings, the scoreboard's filter form (without JavaScript, in English and
Japanese) and the venue screen's board."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from kizuna.services import brackets, event, teams
from kizuna.services.context import Context
from kizuna.storage import tables as t
from kizuna.storage.db import SCOREBOARD
from tests.conftest import PASSWORD, Factory, login, record_solve
from tests.web.test_pages_admin import as_admin, post, text_of

T0 = datetime(2026, 3, 1, 9, 0, 0)


def _board(ctx: Context, make: Factory) -> dict[str, Any]:
    students = brackets.create_bracket(
        ctx, {"name": "Students", "type": "teams", "translations": {"ja": {"name": "学生"}}}
    )
    event.update_event(ctx, {"start_at": T0 - timedelta(hours=1)})
    out: dict[str, Any] = {"students": students}
    for i, (name, country, bracket, value) in enumerate(
        [
            ("Tokyo Tigers", "JP", None, 500),
            ("Cardiff Dragons", "GB", students.id, 400),
            ("Kyoto Foxes", "JP", students.id, 300),
        ]
    ):
        user, team = make.player_in_team(team_name=name)
        teams.update_team(ctx, team.id, {"country": country, "bracket_id": bracket}, user.id, True)
        ch = make.challenge(value=value)
        with ctx.write() as uow:
            record_solve(uow, ch.id, user, team.id, T0 + timedelta(minutes=i))
            uow.bump(SCOREBOARD)
        out[name] = team
    return out


def _ranks(html: str) -> list[str]:
    body = html.split('id="scoreboard-body"', 1)[1]
    return [name for name in ("Tokyo Tigers", "Cardiff Dragons", "Kyoto Foxes") if name in body]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Bracket", "All brackets", "Country or region", "Japan", "United Kingdom", "Show")),
        ("ja", ("部門", "すべての部門", "国・地域", "日本", "イギリス", "表示する")),
    ],
)
def test_the_scoreboard_filter_form_works_without_javascript(client, make, ctx, lang, words):
    ev = _board(ctx, make)
    client.get(f"/lang/{lang}")
    page = client.get("/scoreboard")
    assert page.status_code == 200
    assert '<form method="get" action="/scoreboard"' in page.text
    for word in words:
        assert word in page.text, word
    # The Japan board: its first place is rank 1, and the fragment keeps the filter.
    japan = client.get("/scoreboard?country=JP")
    assert _ranks(japan.text) == ["Tokyo Tigers", "Kyoto Foxes"]
    assert 'hx-get="/scoreboard/fragment?country=JP"' in japan.text
    assert '<option value="JP" selected>' in japan.text
    fragment = client.get("/scoreboard/fragment?country=JP").text
    assert "Cardiff Dragons" not in fragment and "Kyoto Foxes" in fragment
    students = client.get(f"/scoreboard?bracket_id={ev['students'].id}")
    table = students.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = [line for line in table.split("<tr") if "data-account" in line]
    assert [("Cardiff Dragons" in r, "Kyoto Foxes" in r) for r in rows] == [(True, False), (False, True)]
    assert ">1<" in rows[0] and ">2<" in rows[1]
    # A refused filter is said on the page, over the whole board.
    bad = client.get("/scoreboard?country=XX")
    assert bad.status_code == 400
    expected = "“XX” is not a country" if lang == "en" else "「XX」は国・地域のコードではありません。"
    assert expected in bad.text
    assert _ranks(bad.text) == ["Tokyo Tigers", "Cardiff Dragons", "Kyoto Foxes"]


def test_the_venue_screen_shows_one_board_when_asked(client, make, ctx):
    ev = _board(ctx, make)
    screen = client.get(f"/venue?bracket_id={ev['students'].id}&display=single&lang=en")
    assert screen.status_code == 200
    board = client.get(f"/venue/board?bracket_id={ev['students'].id}&display=single&lang=en").text
    assert "Tokyo Tigers" not in board and "Cardiff Dragons" in board
    assert "Scoreboard: Students" in board
    assert f"/venue/board?display=single&amp;lang=en&amp;bracket_id={ev['students'].id}" in screen.text
    # An unattended screen shows the whole board rather than an error.
    assert "Tokyo Tigers" in client.get("/venue/board?country=XX").text


def test_registration_offers_country_and_affiliation_and_bracket_in_individual_mode(client, make, ctx):
    event.update_event(ctx, {"mode": "users"})
    solo = brackets.create_bracket(ctx, {"name": "Solo", "type": "users"})
    brackets.create_bracket(ctx, {"name": "Crews", "type": "teams"})
    page = client.get("/register").text
    assert 'name="country"' in page and '<option value="GB">United Kingdom</option>' in page
    assert "Solo" in page and "Crews" not in page  # only brackets for users
    client.get("/lang/ja")
    assert '<option value="JP">日本</option>' in client.get("/register").text
    form = {
        "name": "aoi",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "affiliation": "Hiroshima University",
        "country": "JP",
        "bracket_id": str(solo.id),
    }
    bad = post(client, "/register", {**form, "country": "XX"})
    assert bad.status_code == 400 and "「XX」は国・地域のコードではありません。" in text_of(bad.text)
    assert post(client, "/register", form).status_code == 303
    with ctx.db.read() as s:
        user = s.query(t.User).filter(t.User.name == "aoi").one()
        assert (user.affiliation, user.country, user.bracket_id) == ("Hiroshima University", "JP", solo.id)


def test_team_creation_and_settings_choose_the_teams_bracket(client, make, ctx):
    students = brackets.create_bracket(ctx, {"name": "Students", "type": "teams"})
    make.user("aoi")
    login(client, "aoi")
    assert "Students" in client.get("/teams/new").text
    r = post(client, "/teams/new", {"name": "Hiroshima", "country": "JP", "bracket_id": str(students.id)})
    assert r.status_code == 303
    with ctx.db.read() as s:
        team = s.query(t.Team).filter(t.Team.name == "Hiroshima").one()
        assert (team.country, team.bracket_id) == ("JP", students.id)
    settings = client.get("/team").text
    assert 'action="/team/profile"' in settings
    # The bracket is chosen once: the settings show it rather than offer it again.
    assert 'name="bracket_id"' not in settings and "Bracket: Students." in settings
    r = post(
        client, "/team/profile", {"affiliation": "Hiroshima University", "country": "GB", "bracket_id": ""}
    )
    assert r.status_code == 303
    with ctx.db.read() as s:
        team = s.get(t.Team, team.id)
        assert (team.affiliation, team.country, team.bracket_id) == (
            "Hiroshima University",
            "GB",
            students.id,
        )
    # The account's own settings: affiliation and country (a player's own bracket only in
    # individual mode).
    assert post(client, "/account/profile", {"affiliation": "Keio", "country": "jp"}).status_code == 303
    with ctx.db.read() as s:
        user = s.query(t.User).filter(t.User.name == "aoi").one()
        assert (user.affiliation, user.country) == ("Keio", "JP")
    bad = post(client, "/account/profile", {"country": "Wales"})
    assert bad.status_code == 400 and "is not a country or region code" in text_of(bad.text)


def test_admin_page_adds_edits_and_removes_a_bracket(client, make, ctx):
    as_admin(client, make)
    assert "Brackets" in client.get("/admin").text  # in the admin menu
    r = post(client, "/admin/brackets/new", {"name_en": "Students", "name_ja": "学生", "type": "teams"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/brackets"
    (row,) = brackets.all_brackets(ctx)
    assert (row.name, row.type, row.translations) == ("Students", "teams", {"ja": {"name": "学生"}})
    assert "The bracket has been added." in client.get("/admin/brackets").text
    r = post(client, f"/admin/brackets/{row.id}", {"name_en": "Students", "name_ja": "学生", "type": "users"})
    assert r.status_code == 303 and brackets.get_bracket(ctx, row.id).type == "users"
    bad = post(client, "/admin/brackets/new", {"name_en": "", "name_ja": "", "type": "teams"})
    assert bad.status_code == 400 and "Name: Give the name in at least one language." in text_of(bad.text)
    assert "Remove the bracket “Students”?" in client.get(f"/admin/brackets/{row.id}/delete").text
    assert post(client, f"/admin/brackets/{row.id}/delete").status_code == 303
    assert brackets.all_brackets(ctx) == []
    assert client.get(f"/admin/brackets/{row.id}").status_code == 404


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Country or region: “Wales” is not a country"),
        ("ja", "国・地域：「Wales」は国・地域のコードではありません。"),
    ],
)
def test_organisers_move_teams_and_accounts_between_brackets(client, make, ctx, lang, expected):
    students = brackets.create_bracket(ctx, {"name": "Students", "type": "teams"})
    open_ = brackets.create_bracket(ctx, {"name": "Open", "type": "teams"})
    solo = brackets.create_bracket(ctx, {"name": "Solo", "type": "users"})
    captain, team = make.player_in_team("aoi", "Hiroshima")
    teams.update_team(ctx, team.id, {"bracket_id": students.id}, captain.id, False)
    as_admin(client, make)
    client.get(f"/lang/{lang}")
    page = client.get(f"/admin/teams/{team.id}").text
    assert f'action="/admin/teams/{team.id}/profile"' in page
    form = {"affiliation": "Hiroshima University", "country": "JP", "bracket_id": str(open_.id)}
    assert post(client, f"/admin/teams/{team.id}/profile", form).status_code == 303
    with ctx.db.read() as s:
        row = s.get(t.Team, team.id)
        assert (row.affiliation, row.country, row.bracket_id) == ("Hiroshima University", "JP", open_.id)
    bad = post(client, f"/admin/teams/{team.id}/profile", {**form, "country": "Wales"})
    assert bad.status_code == 400 and expected in text_of(bad.text)
    form = {"affiliation": "", "country": "GB", "bracket_id": str(solo.id)}
    assert post(client, f"/admin/accounts/{captain.id}/profile", form).status_code == 303
    with ctx.db.read() as s:
        user = s.get(t.User, captain.id)
        assert (user.country, user.bracket_id) == ("GB", solo.id)
    # A player cannot use the organisers' form.
    client.post("/logout", data={"csrf_token": ""})
    login(client, "aoi")
    assert post(client, f"/admin/teams/{team.id}/profile", {"bracket_id": ""}).status_code == 403


def test_public_team_and_user_pages_name_the_country_and_bracket_in_the_readers_language(
    client: Any, ctx: Context, make: Factory
) -> None:
    teams_ = _board(ctx, make)
    cardiff = teams_["Cardiff Dragons"]
    ja = client.get(f"/teams/{cardiff.id}", params={"lang": "ja"}).text
    assert "国・地域：イギリス" in ja and "部門：学生" in ja
    en = client.get(f"/teams/{cardiff.id}", params={"lang": "en"}).text
    assert "Country or region: United Kingdom" in en and "Bracket: Students" in en
    tokyo = client.get(f"/teams/{teams_['Tokyo Tigers'].id}", params={"lang": "en"}).text
    assert "Country or region: Japan" in tokyo and "Bracket:" not in tokyo


def test_individual_mode_user_page_names_the_users_bracket(client: Any, ctx: Context, make: Factory) -> None:
    event.update_event(ctx, {"mode": "users"})
    open_ = brackets.create_bracket(
        ctx, {"name": "Open", "type": "users", "translations": {"ja": {"name": "一般"}}}
    )
    player = make.user("solo")
    with ctx.write() as uow:
        row = uow.session.get(t.User, player.id)
        row.bracket_id, row.country = open_.id, "JP"
    page = client.get(f"/users/{player.id}", params={"lang": "ja"}).text
    assert "部門：一般" in page and "国・地域：日本" in page
