"""Spending points on a hint asks first, stating the cost in the reader's language: a confirmation
page without JavaScript, the same question in place with htmx. Free hints need no confirmation, the
unlock happens once however often the confirmation is sent, and the API is unchanged."""

from __future__ import annotations

import html
import re
from typing import Any

from kizuna.services import content
from kizuna.storage import tables as t
from tests.conftest import auth, login
from tests.web.test_pages_player import csrf, post, text_of


def _setup(
    client: Any, make: Any, ctx: Any, name: str, earn: int = 100, cost: int = 30
) -> tuple[Any, Any, Any]:
    """A player whose team has ``earn`` points, and a challenge with a hint costing ``cost``."""
    user, _team = make.player_in_team(name)
    if earn:
        solved = make.challenge(name=f"{name} warm-up", value=earn)
        r = client.post(
            "/api/v1/challenges/attempt",
            json={"challenge_id": solved.id, "submission": "flag{test}"},
            headers=auth(make.token(user)),
        )
        assert r.json()["data"]["status"] == "correct"
    ch = make.challenge(name=f"{name} hinted", value=200)
    hint = content.create_hint(ctx, ch.id, "Look **closer**", cost=cost, title="A nudge")
    login(client, name)
    return user, ch, hint


def _unlocks(ctx: Any) -> tuple[int, int]:
    with ctx.db.read() as s:
        return s.query(t.Unlock).count(), s.query(t.Award).filter(t.Award.value < 0).count()


def _score(client: Any) -> int:
    rows = client.get("/api/v1/scoreboard").json()["data"]
    return int(rows[0]["score"])


def test_the_challenge_page_asks_before_spending_points(client, make, ctx):
    _user, ch, hint = _setup(client, make, ctx, "hc-page")
    page = client.get(f"/challenges/{ch.id}").text
    url = f"/challenges/{ch.id}/hints/{hint.id}/unlock"
    form = re.search(rf'<form method="get" action="{url}"[^>]*>', page, re.S)
    assert form, page  # without JavaScript the button opens the confirmation page
    tag = form.group(0)
    assert f'hx-post="{url}"' in tag
    confirm = html.unescape(re.search(r'hx-confirm="([^"]*)"', tag).group(1))
    assert confirm == "Unlock this hint for 30 points? Your score goes down by 30 points."
    values = html.unescape(re.search(r"hx-vals='([^']*)'", tag).group(1))
    assert '"confirm_cost": "30"' in values and csrf(client) in values
    ja = client.get(f"/challenges/{ch.id}?lang=ja").text
    confirm_ja = html.unescape(re.search(r'hx-confirm="([^"]*)"', ja).group(1))
    assert confirm_ja == "30点を消費してこのヒントを開きますか？ 得点が30点下がります。"


def test_the_confirmation_page_states_the_cost_in_english_and_japanese(client, make, ctx):
    _user, ch, hint = _setup(client, make, ctx, "hc-confirm")
    url = f"/challenges/{ch.id}/hints/{hint.id}/unlock"
    r = client.get(url)
    assert r.status_code == 200
    page = text_of(r.text)
    assert "Unlock this hint for 30 points?" in page
    assert "Your score goes down from 100 to 70. This cannot be undone." in page
    assert "Score now 100 points" in page and "A nudge" in page and "hc-confirm hinted" in page
    assert re.search(rf'<form method="post" action="{url}"', r.text)
    assert 'name="confirm_cost" value="30"' in r.text and 'name="csrf_token"' in r.text
    assert f'<a href="/challenges/{ch.id}#hint-{hint.id}">No, keep my points</a>' in r.text
    assert "Look" not in r.text  # the hint itself stays hidden
    ja = text_of(client.get(f"{url}?lang=ja").text)
    assert "30点を消費してこのヒントを開きますか？" in ja
    assert "消費ポイント" in ja
    assert "得点は100点から70点に下がり、元に戻せません。" in ja
    assert "やめる（ポイントを消費しない）" in ja
    assert _unlocks(ctx) == (0, 0)  # looking costs nothing


def test_confirming_unlocks_once_and_the_page_says_so_once(backend, client, make, ctx):
    _user, ch, hint = _setup(client, make, ctx, "hc-once")
    url = f"/challenges/{ch.id}/hints/{hint.id}/unlock"
    r = post(client, url, {"confirm_cost": "30"}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"/challenges/{ch.id}#hint-{hint.id}")
    page = client.get(f"/challenges/{ch.id}").text
    assert "Hint unlocked." in page and "Look <strong>closer</strong>" in page
    again = client.get(f"/challenges/{ch.id}").text
    assert "Hint unlocked." not in again and "Look <strong>closer</strong>" in again
    assert _score(client) == 70
    # The confirmation sent a second time (a double click, the back button) spends nothing more.
    r = post(client, url, {"confirm_cost": "30"}, follow_redirects=False)
    assert r.status_code == 303
    assert "You have already unlocked this hint." in client.get(f"/challenges/{ch.id}").text
    assert _unlocks(ctx) == (1, 1)
    assert _score(client) == 70
    # An unlocked hint has nothing left to confirm.
    r = client.get(url, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"/challenges/{ch.id}#hint-{hint.id}")


def test_an_unconfirmed_or_outdated_confirmation_only_asks(client, make, ctx):
    _user, ch, hint = _setup(client, make, ctx, "hc-ask")
    url = f"/challenges/{ch.id}/hints/{hint.id}/unlock"
    for data in ({}, {"confirm_cost": "10"}, {"confirm_cost": "thirty"}):
        r = post(client, url, data, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, url), data
    # The cost went up after the page was shown: the old confirmation does not spend the new cost.
    content.update_hint(ctx, hint.id, {"cost": 50})
    r = post(client, url, {"confirm_cost": "30"}, follow_redirects=False)
    assert r.headers["location"] == url
    assert "Unlock this hint for 50 points?" in text_of(client.get(url).text)
    assert _unlocks(ctx) == (0, 0)


def test_without_enough_points_the_confirmation_says_so_and_nothing_is_spent(client, make, ctx):
    _user, ch, hint = _setup(client, make, ctx, "hc-poor", earn=20, cost=30)
    url = f"/challenges/{ch.id}/hints/{hint.id}/unlock"
    r = client.get(url)
    assert r.status_code == 200
    assert "You do not have enough points to unlock this hint." in r.text
    assert 'name="confirm_cost"' not in r.text
    # Sent anyway (an old page): refused, shown once next to the hint; a reload sends nothing again.
    r = post(client, url, {"confirm_cost": "30"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/challenges/{ch.id}").text
    assert re.search(r'role="alert">You do not have enough points to unlock this hint.</p>', page)
    assert "enough points" not in client.get(f"/challenges/{ch.id}").text
    assert _unlocks(ctx) == (0, 0)


def test_free_hints_unlock_without_confirmation(client, make, ctx):
    _user, ch, hint = _setup(client, make, ctx, "hc-free", earn=0, cost=0)
    url = f"/challenges/{ch.id}/hints/{hint.id}/unlock"
    page = client.get(f"/challenges/{ch.id}").text
    assert re.search(rf'<form method="post" action="{url}"', page)
    assert "hx-confirm" not in page
    r = client.get(url, follow_redirects=False)  # there is no confirmation page to show
    assert (r.status_code, r.headers["location"]) == (303, f"/challenges/{ch.id}#hint-{hint.id}")
    r = post(client, url, {}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/challenges/{ch.id}").text
    assert "Hint unlocked." in page and "Look <strong>closer</strong>" in page
    assert _unlocks(ctx) == (1, 0)


def test_htmx_confirms_in_place_and_swaps_the_hint(client, make, ctx):
    _user, ch, hint = _setup(client, make, ctx, "hc-htmx")
    url = f"/challenges/{ch.id}/hints/{hint.id}/unlock"
    hx = {"HX-Request": "true"}
    r = post(client, url, {}, headers=hx, follow_redirects=False)
    assert r.status_code == 204 and r.headers["hx-redirect"] == url  # not confirmed: the page asks
    r = post(client, url, {"confirm_cost": "30"}, headers=hx, follow_redirects=False)
    assert r.status_code == 200
    assert r.text.strip().startswith(f'<li id="hint-{hint.id}">') and "<html" not in r.text
    assert "Hint unlocked." in r.text and "Look <strong>closer</strong>" in r.text
    r = post(client, url, {"confirm_cost": "30"}, headers=hx, follow_redirects=False)
    assert "You have already unlocked this hint." in r.text
    assert _unlocks(ctx) == (1, 1)
    assert "Hint unlocked." not in client.get(f"/challenges/{ch.id}").text  # nothing left waiting


def test_hints_of_hidden_or_other_challenges_are_not_found(client, make, ctx):
    _user, ch, _hint = _setup(client, make, ctx, "hc-404")
    hidden = make.challenge(name="Hidden one", state="hidden")
    secret = content.create_hint(ctx, hidden.id, "secret", cost=5)
    for url in (
        f"/challenges/{hidden.id}/hints/{secret.id}/unlock",
        f"/challenges/{ch.id}/hints/{secret.id}/unlock",
        f"/challenges/{ch.id}/hints/987654/unlock",
    ):
        assert client.get(url).status_code == 404, url
        assert post(client, url, {"confirm_cost": "5"}, follow_redirects=False).status_code == 404, url
    assert _unlocks(ctx) == (0, 0)


def test_the_api_unlocks_without_a_confirmation_step(client, make, ctx):
    user, _ch, hint = _setup(client, make, ctx, "hc-api")
    r = client.post(
        "/api/v1/unlocks", json={"target": hint.id, "type": "hints"}, headers=auth(make.token(user))
    )
    assert r.status_code == 200 and r.json()["success"] is True
    assert _unlocks(ctx) == (1, 1)
