"""The venue screen: the public top of the board and the latest announcements, in both languages by
default, refreshed by htmx; it honours the scoreboard freeze even for an admin's browser."""

from __future__ import annotations

from datetime import timedelta

from kizuna.services import event, submissions
from kizuna.services.accounts import Principal
from kizuna.storage import tables as t
from tests.conftest import login


def _solve(ctx, user, team, ch, flag="flag{test}"):
    who = Principal(user.id, user.name, "player", team.id)
    assert submissions.submit_flag(ctx, who, ch.id, flag).status == "correct"


def test_venue_shows_top_and_announcements_in_both_languages(client, make, ctx):
    ch = make.challenge(value=300)
    user, team = make.player_in_team(team_name="広島チーム")
    _solve(ctx, user, team, ch)
    with ctx.db.write() as s:
        s.add(
            t.Notification(
                title="Welcome",
                content="Good luck!",
                locale="en",
                translations={"ja": {"title": "ようこそ", "content": "頑張ってください！"}},
            )
        )
    page = client.get("/venue")
    assert page.status_code == 200
    assert '<body class="venue both">' in page.text
    assert "広島チーム" in page.text and "300" in page.text
    assert '<figure class="score-graph">' in page.text  # the score-over-time graph of the top
    assert "Welcome" in page.text and "ようこそ" in page.text and "頑張ってください！" in page.text
    assert "Scoreboard / スコアボード" in page.text
    assert 'hx-get="/venue/fragment?display=both&amp;lang=en"' in page.text
    assert 'href="/venue?display=single&amp;lang=ja"' in page.text  # the screen's language switch
    single = client.get("/venue?display=single&lang=ja")
    assert "ようこそ" in single.text and "Welcome" not in single.text
    assert 'hx-get="/venue/fragment?display=single&amp;lang=ja"' in single.text
    fragment = client.get("/venue/fragment?display=both")
    assert "<html" not in fragment.text and "広島チーム" in fragment.text


def test_venue_honours_the_freeze_even_for_admins(client, make, ctx):
    ch = make.challenge(value=100)
    user, team = make.player_in_team(team_name="Late Team")
    now = ctx.now()
    event.update_event(ctx, {"start_at": now - timedelta(hours=2), "freeze_at": now - timedelta(hours=1)})
    _solve(ctx, user, team, ch)  # after the freeze: not on the public board yet
    make.admin("boss")
    login(client, "boss")
    assert '<td class="num">100</td>' in client.get("/scoreboard").text  # the admin's live board
    page = client.get("/venue").text
    assert '<td class="num">100</td>' not in page
    assert "frozen" in page
