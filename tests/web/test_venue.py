"""The venue screen: the public top of the board, the graph, tickers of first bloods and announcements,
the clock and the paused and frozen states, in both languages by default; its parts as fragments the
live script re-reads; the number of rows as an event setting. It honours the freeze even for an
admin's browser and never shows what the public may not see (hidden challenges and accounts)."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest

from kizuna.services import event, submissions
from kizuna.services.accounts import Principal
from kizuna.storage import tables as t
from kizuna.web.pages.scoreboard import COLOURS, DASHES, _spread, team_style
from tests.conftest import auth, login
from tests.web.test_pages_admin import as_admin, event_form, post


def _solve(ctx, user, team, ch, flag="flag{test}"):
    who = Principal(user.id, user.name, "player", team.id)
    assert submissions.submit_flag(ctx, who, ch.id, flag).status == "correct"


def _announce(ctx, title="Welcome", title_ja="ようこそ"):
    with ctx.db.write() as s:
        s.add(
            t.Notification(
                title=title,
                content="Good luck!",
                locale="en",
                translations={"ja": {"title": title_ja, "content": "頑張ってください！"}},
            )
        )


def _rows(html: str) -> list[str]:
    """The team names of the venue table's rows, in order."""
    return re.findall(r'<th scope="row" class="name">([^<]*)</th>', html)


def test_venue_shows_top_and_announcements_in_both_languages(client, make, ctx):
    ch = make.challenge(value=300, name="Warm-up", locale="en", translations={"ja": {"name": "準備運動"}})
    user, team = make.player_in_team(team_name="広島チーム")
    _solve(ctx, user, team, ch)
    _announce(ctx)
    page = client.get("/venue")
    assert page.status_code == 200
    assert '<body class="venue both"' in page.text
    assert "広島チーム" in page.text and "300" in page.text
    assert 'class="venue-graph"' in page.text and "<polyline" in page.text  # the score graph
    assert "Welcome" in page.text and "ようこそ" in page.text and "頑張ってください！" in page.text
    assert 'Rank / <span lang="ja">順位</span>' in page.text
    assert 'First bloods / <span lang="ja">ファーストブラッド</span>' in page.text
    # The first blood's sentence in both languages, the screen's language first.
    assert "First blood! 広島チーム solved Warm-up." in page.text
    assert '<p lang="ja">' in page.text and "準備運動" in page.text
    assert 'hx-get="/venue/fragment?display=both&amp;lang=en"' in page.text
    assert 'href="/venue?display=single&amp;lang=ja"' in page.text  # the screen's language switch
    # Live: the stream in the screen's languages, and the parts the script re-reads.
    assert 'data-live="1" data-events-url="/events?public=true&amp;display=both&amp;lang=en"' in page.text
    assert re.search(r'data-last-event-id="[1-9][0-9]*"', page.text)  # listens from after this page
    assert (
        'data-live-refresh="/venue/board?display=both&amp;lang=en" data-live-on="scoreboard event_state"'
        in page.text
    )
    assert (
        'data-live-refresh="/venue/status?display=both&amp;lang=en" data-live-on="event_state"' in page.text
    )
    assert 'data-live-refresh="/venue/news?display=both&amp;lang=en"' in page.text
    assert 'data-live-ticker="solve"' in page.text and 'data-live-ticker="announcement"' in page.text
    assert '<script src="/static/kizuna-live.js" defer></script>' in page.text
    assert 'http-equiv="refresh"' in page.text  # without JavaScript the screen still refreshes
    single = client.get("/venue?display=single&lang=ja")
    assert "ようこそ" in single.text and "Welcome" not in single.text
    assert "ファーストブラッド" in single.text and "First blood!" not in single.text
    assert 'hx-get="/venue/fragment?display=single&amp;lang=ja"' in single.text
    assert 'data-events-url="/events?public=true&amp;display=single&amp;lang=ja"' in single.text
    fragment = client.get("/venue/fragment?display=both")
    assert "<html" not in fragment.text and "広島チーム" in fragment.text


def test_fragments_are_the_parts_of_the_screen(client, make, ctx):
    ch = make.challenge(value=150)
    user, team = make.player_in_team(team_name="Fragment Team")
    _solve(ctx, user, team, ch)
    _announce(ctx, "Fragment news", "断片のお知らせ")
    now = ctx.now()
    event.update_event(ctx, {"start_at": now - timedelta(hours=1), "end_at": now + timedelta(hours=2)})

    board = client.get("/venue/board?display=single&lang=en")
    assert board.status_code == 200 and "<html" not in board.text and "<body" not in board.text
    assert _rows(board.text) == ["Fragment Team"] and ">150</td>" in board.text
    assert "venue-table rows-10" in board.text and "<svg" in board.text
    assert "Announcements" not in board.text  # only its own part

    status = client.get("/venue/status?display=single&lang=ja")
    assert status.status_code == 200 and "<html" not in status.text
    assert 'data-live-countdown="end"' in status.text and "終了" in status.text
    assert "Fragment Team" not in status.text

    news = client.get("/venue/news?display=single&lang=ja")
    assert news.status_code == 200 and "<html" not in news.text
    assert "断片のお知らせ" in news.text and "Fragment news" not in news.text
    both = client.get("/venue/news?display=both&lang=en").text
    assert "Fragment news" in both and "断片のお知らせ" in both
    assert client.get("/venue/news").text.count("Fragment news") == 1  # both languages by default
    assert "断片のお知らせ" in client.get("/venue/news").text


def test_each_team_keeps_its_colour_in_the_table_and_the_graph(client, make, ctx):
    ch1, ch2 = make.challenge(value=100), make.challenge(value=300)
    first, first_team = make.player_in_team(team_name="Early")
    second, second_team = make.player_in_team(team_name="Late")
    _solve(ctx, first, first_team, ch1)
    before = client.get("/venue/board").text
    assert _rows(before) == ["Early", "Late"]
    colour = re.search(rf'<tr data-account="{first_team.id}" class="team-c(\d+)">', before)
    assert colour is not None
    _solve(ctx, second, second_team, ch2)  # "Late" overtakes "Early"
    html = client.get("/venue/board").text
    assert _rows(html) == ["Late", "Early"]
    for team in (first_team, second_team):
        style = team_style(team.id)
        assert f'<tr data-account="{team.id}" class="{style.css_class}">' in html
        assert re.search(
            rf'<g class="series {style.css_class}" data-account="{team.id}"[^>]*>'
            rf'\s*<polyline[^>]*stroke="{style.colour}"',
            html,
        )
    assert team_style(first_team.id).colour == COLOURS[int(colour.group(1))]  # the same whatever the rank


def test_team_styles_are_stable_and_tell_neighbours_apart():
    assert team_style(7) == team_style(7)
    ten = [team_style(n).colour for n in range(1, 11)]
    assert len(set(ten)) == len(COLOURS)  # ten consecutive accounts: ten colours
    hundred = {(team_style(n).colour, team_style(n).dash) for n in range(100, 200)}
    assert len(hundred) == len(COLOURS) * len(DASHES)  # no two of a hundred look the same


def test_end_labels_are_spread_apart_within_the_plot():
    labels = _spread([100.0, 101.0, 102.0, 300.0], gap=34, low=20, high=320)
    assert labels[3] - labels[2] >= 34 or labels[2] - labels[3] >= 34
    ordered = sorted(labels)
    assert all(b - a >= 34 - 0.05 for a, b in itertools.pairwise(ordered))
    assert labels[0] == 100.0  # the top one stays where its line ends
    crowded = _spread([300.0, 310.0, 315.0], gap=34, low=20, high=320)
    assert max(crowded) <= 320 + 0.05 and min(crowded) >= 20


def test_the_rows_setting_through_the_api(client, make, ctx):
    ch = make.challenge(value=100)
    for n in range(5):
        user, team = make.player_in_team(team_name=f"Row {n}")
        _solve(ctx, user, team, ch)
    assert len(_rows(client.get("/venue").text)) == 5  # ten by default: all five
    admin = make.admin("venue-boss")
    r = client.patch("/api/v1/event", json={"venue_rows": 3}, headers=auth(make.token(admin)))
    assert r.status_code == 200 and r.json()["data"]["venue_rows"] == 3
    assert client.get("/api/v1/event").json()["data"]["venue_rows"] == 3
    page = client.get("/venue").text
    assert _rows(page) == ["Row 0", "Row 1", "Row 2"] and "venue-table rows-3" in page
    assert len(_rows(client.get("/venue/board").text)) == 3


@pytest.mark.parametrize("value", [0, 21, -1, "abc", "", True, 2.5, None, [5], 10**12, "٣", "1_0", " 3e1"])
def test_a_bad_rows_setting_is_refused_and_nothing_is_stored(client, make, ctx, value):
    admin = make.admin("venue-boss")
    r = client.patch(
        "/api/v1/event", json={"venue_rows": value, "name": "Changed?"}, headers=auth(make.token(admin))
    )
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["success"] is False and "venue_rows" in r.text
    assert event.get_event(ctx).venue_rows == 10 and event.get_event(ctx).name != "Changed?"
    ja = client.patch("/api/v1/event?lang=ja", json={"venue_rows": value}, headers=auth(make.token(admin)))
    assert ja.status_code == 400 and re.search(r"[ぁ-んァ-ン一-龥]", ja.text)  # in the reader's language


def test_players_cannot_change_the_rows(client, make, ctx):
    user, _team = make.player_in_team()
    r = client.patch("/api/v1/event", json={"venue_rows": 4}, headers=auth(make.token(user)))
    assert r.status_code == 403
    assert client.patch("/api/v1/event", json={"venue_rows": 4}).status_code in (401, 403)
    assert event.get_event(ctx).venue_rows == 10


def test_the_rows_setting_on_the_admin_event_page(client, make, ctx):
    as_admin(client, make)
    page = client.get("/admin/event").text
    assert 'name="venue_rows"' in page and 'value="10"' in page and 'min="1"' in page and 'max="20"' in page
    r = post(client, "/admin/event", event_form(venue_rows="25"))
    assert r.status_code == 400
    assert "Rows on the venue screen: enter a whole number from 1 to 20." in r.text and 'value="25"' in r.text
    assert event.get_event(ctx).venue_rows == 10
    r = post(client, "/admin/event", event_form(venue_rows="6"))
    assert r.status_code == 303, r.text
    assert event.get_event(ctx).venue_rows == 6
    r = post(client, "/admin/event", event_form())  # a form without the field keeps the setting
    assert r.status_code == 303 and event.get_event(ctx).venue_rows == 6


# --- the high-contrast dark theme (event.venue_theme) ---------------------------------------------


def test_the_venue_is_light_until_the_organisers_choose_dark(client, make, ctx):
    ch = make.challenge(value=100)
    user, team = make.player_in_team(team_name="Dragons")
    _solve(ctx, user, team, ch)
    page = client.get("/venue").text
    assert '<html lang="en" data-theme="light" data-venue-theme="light">' in page
    assert client.get("/api/v1/event").json()["data"]["venue_theme"] == "light"
    admin = make.admin("venue-boss")
    r = client.patch("/api/v1/event", json={"venue_theme": "dark"}, headers=auth(make.token(admin)))
    assert r.status_code == 200 and r.json()["data"]["venue_theme"] == "dark"
    assert client.get("/api/v1/event").json()["data"]["venue_theme"] == "dark"
    page = client.get("/venue").text
    assert '<html lang="en" data-theme="dark" data-venue-theme="dark">' in page
    # The graph's lines carry their team's colour class, which the dark theme redraws.
    style = team_style(team.id)
    assert f'<g class="series {style.css_class}" data-account="{team.id}"' in page
    assert f'<tr data-account="{team.id}" class="{style.css_class}">' in page
    # The rest of the site keeps the reader's own theme.
    assert 'data-theme="dark"' not in client.get("/").text


@pytest.mark.parametrize("value", ["black", "", None, True, 1, ["dark"], "DARK"])
def test_a_bad_theme_is_refused_in_the_readers_language(client, make, ctx, value):
    token = make.token(make.admin("venue-boss"))
    r = client.patch("/api/v1/event", json={"venue_theme": value}, headers=auth(token))
    assert r.status_code == 400 and "venue_theme" in r.json()["errors"], r.text
    ja = client.patch("/api/v1/event?lang=ja", json={"venue_theme": value}, headers=auth(token))
    assert ja.status_code == 400 and re.search(r"[ぁ-んァ-ン一-龥]", ja.json()["errors"]["venue_theme"][0])
    assert event.get_event(ctx).venue_theme == "light"


def test_players_cannot_change_the_theme(client, make, ctx):
    user, _team = make.player_in_team()
    assert (
        client.patch(
            "/api/v1/event", json={"venue_theme": "dark"}, headers=auth(make.token(user))
        ).status_code
        == 403
    )
    assert event.get_event(ctx).venue_theme == "light"


def test_the_theme_on_the_admin_event_page(client, make, ctx):
    as_admin(client, make)
    page = client.get("/admin/event").text
    assert 'name="venue_theme"' in page and "Dark, high contrast" in page
    r = post(client, "/admin/event", event_form(venue_theme="sepia"))
    assert r.status_code == 400 and 'id="e-venue_theme"' in r.text
    assert event.get_event(ctx).venue_theme == "light"
    r = post(client, "/admin/event", event_form(venue_theme="dark"))
    assert r.status_code == 303, r.text
    assert event.get_event(ctx).venue_theme == "dark"
    r = post(client, "/admin/event", event_form())  # a form without the field keeps the setting
    assert r.status_code == 303 and event.get_event(ctx).venue_theme == "dark"


def test_paused_and_frozen_states_are_shown(client, make, ctx):
    now = ctx.now()
    event.update_event(ctx, {"start_at": now - timedelta(hours=1), "freeze_at": now - timedelta(minutes=5)})
    event.update_event(ctx, {"paused": True})
    with ctx.db.write() as s:
        s.get(t.Event, 1).pause_reason = {"en": "Network maintenance", "ja": "ネットワーク保守中"}
    status = client.get("/venue/status?display=both&lang=en").text
    assert 'Paused / <span lang="ja">一時停止中</span>' in status
    assert "Network maintenance" in status and "ネットワーク保守中" in status
    assert "Scoreboard frozen at" in status and "スコアボード凍結" in status
    ja = client.get("/venue/status?display=single&lang=ja").text
    assert "ネットワーク保守中" in ja and "Network maintenance" not in ja
    page = client.get("/venue").text
    assert 'data-frozen-at="20' in page  # the script's tickers hold back news after the freeze
    event.update_event(ctx, {"paused": False, "freeze_at": None})
    calm = client.get("/venue/status").text
    assert "一時停止中" not in calm and "凍結" not in calm
    assert 'data-frozen-at=""' in client.get("/venue").text


def test_venue_honours_the_freeze_even_for_admins(client, make, ctx):
    early_ch = make.challenge(value=50, name="Before the freeze")
    ch = make.challenge(value=100, name="After the freeze")
    early, early_team = make.player_in_team(team_name="Early Team")
    user, team = make.player_in_team(team_name="Late Team")
    now = ctx.now()
    event.update_event(ctx, {"start_at": now - timedelta(hours=2)})
    _solve(ctx, early, early_team, early_ch)
    event.update_event(ctx, {"freeze_at": ctx.now() + timedelta(seconds=1)})
    later = ctx.now() + timedelta(seconds=5)
    ctx.now = lambda: later
    _solve(ctx, user, team, ch)  # after the freeze: not on the public board, not in the ticker
    make.admin("boss")
    login(client, "boss")
    assert '<td class="num">100</td>' in client.get("/scoreboard").text  # the admin's live board
    page = client.get("/venue").text
    assert ">100</td>" not in page and _rows(page) == ["Early Team", "Late Team"]  # late: 0 points
    assert "Scoreboard frozen at" in page
    assert "Before the freeze" in page and "After the freeze" not in page


def test_hidden_challenges_and_accounts_never_reach_the_screen(client, make, ctx):
    secret = make.challenge(value=500, name="Unreleased zeta-7731")
    shown = make.challenge(value=100, name="Open one")
    user, team = make.player_in_team(team_name="Visible Team")
    ghost, ghost_team = make.player_in_team(team_name="Ghost Team 4412")
    _solve(ctx, user, team, shown)
    _solve(ctx, ghost, ghost_team, shown)
    admin = make.admin("hider")
    client.patch(f"/api/v1/challenges/{secret.id}", json={"state": "hidden"}, headers=auth(make.token(admin)))
    # A staff member trying the hidden challenge makes a solve event the public must not see.
    judge = Principal(admin.id, admin.name, "admin", None)
    submissions.submit_flag(ctx, judge, secret.id, "flag{test}")
    r = client.patch(f"/api/v1/teams/{ghost_team.id}", json={"hidden": True}, headers=auth(make.token(admin)))
    assert r.status_code == 200, r.text
    for path in ("/venue", "/venue/fragment", "/venue/board", "/venue/news", "/venue/status"):
        for display in ("both", "single"):
            html = client.get(f"{path}?display={display}").text
            assert "zeta-7731" not in html and "Ghost Team 4412" not in html, path
    assert "Visible Team" in client.get("/venue/news").text


def test_live_hooks_on_the_board_scoreboard_and_layout(client, make, ctx):
    ch = make.challenge(value=100)
    user, team = make.player_in_team(team_name="Hooks")
    _solve(ctx, user, team, ch)
    login(client, user.name)
    board = client.get("/challenges?lang=en").text
    assert f'data-solves-for="{ch.id}" data-count="1"' in board
    assert 'data-one="{num} solve"' in board and 'data-other="{num} solves"' in board
    ja = client.get("/challenges?lang=ja").text
    assert f'data-solves-for="{ch.id}"' in ja and "{num}" in ja
    scoreboard = client.get("/scoreboard").text
    assert 'data-live-refresh="/scoreboard/fragment" data-live-on="scoreboard event_state"' in scoreboard
    assert '<script src="/static/kizuna-live.js" defer></script>' in scoreboard
    assert 'id="kz-unread"' in scoreboard and 'data-clear-on="/announcements"' in scoreboard
    assert 'data-dismiss-label="Close this notice"' in scoreboard
    assert 'data-dismiss-label="この通知を閉じる"' in client.get("/scoreboard?lang=ja").text
    fragment = client.get("/scoreboard/fragment")
    assert fragment.status_code == 200 and "<html" not in fragment.text and "Hooks" in fragment.text


def test_the_live_script_and_styles_are_served(client):
    script = client.get("/static/kizuna-live.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    # No words of its own: every label comes from the page.
    assert "EventSource" in script.text and "data-dismiss-label" in script.text
    for word in ("First blood", "new announcement", "Paused", "Close"):
        assert word not in script.text
    assert client.get("/static/venue.css").status_code == 200


def test_before_the_start_the_screen_shows_the_sites_address_and_its_qr_code(client, ctx):
    now = ctx.now()
    event.update_event(ctx, {"start_at": now + timedelta(hours=1), "end_at": now + timedelta(hours=9)})
    page = client.get("/venue").text
    assert 'class="venue-join"' in page and re.search(r'<svg [^>]*class="qr"', page)
    assert '<span class="venue-join-url mono">http://testserver</span>' in page
    assert "Scan to open the event's site" in page or "Scan to open the event&#39;s site" in page
    # Once it has started the graph's place is the graph's again.
    event.update_event(ctx, {"start_at": now - timedelta(minutes=1)})
    assert 'class="venue-join"' not in client.get("/venue").text
    assert 'class="venue-join"' not in client.get("/venue/board").text


def test_the_sites_address_is_the_public_url_when_one_is_set(tmp_path, sqlite_template):
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app
    from tests.conftest import make_sqlite_ctx

    settings, context = make_sqlite_ctx(tmp_path, sqlite_template, public_url="https://ctf.example.org/")
    now = context.now()
    event.update_event(context, {"start_at": now + timedelta(hours=1)})
    with TestClient(create_app(settings, context)) as c:
        page = c.get("/venue").text
    context.db.dispose()
    assert '<span class="venue-join-url mono">https://ctf.example.org</span>' in page


def test_the_scoreboard_table_shows_each_teams_mark_as_the_graph_draws_it(client, make, ctx):
    ch = make.challenge(value=100)
    ids = []
    for n in range(3):
        user, team = make.player_in_team(team_name=f"Swatch {n}")
        _solve(ctx, user, team, ch)
        ids.append(team.id)
    html = client.get("/scoreboard").text
    for team_id in ids:
        style = team_style(team_id)
        mark = f'<svg class="swatch {style.css_class}"'
        row = re.search(rf'<tr data-account="{team_id}"[^>]*>.*?</tr>', html, re.S)
        assert row and mark in row.group(0) and f'stroke="{style.colour}"' in row.group(0)
        assert re.search(rf'<polyline class="series {style.css_class}" data-account="{team_id}"', html)
        legend = re.search(rf'<li data-account="{team_id}">(.*?)</li>', html, re.S)
        assert (
            legend and mark in legend.group(1) and f'title="Swatch {ids.index(team_id)}"' in legend.group(1)
        )
