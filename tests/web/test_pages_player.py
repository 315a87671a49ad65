"""The player pages, driven as a browser without JavaScript would: forms, redirects, messages."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kizuna.services import content, event
from kizuna.storage import tables as t
from kizuna.web.pages.player_helpers import safe_next
from kizuna.web.pages.scoreboard import score_graph
from tests.conftest import PASSWORD, _csrf_from, auth, login


def csrf(client: TestClient, path: str = "/login") -> str:
    return _csrf_from(client.get(path).text)


def post(client: TestClient, path: str, data: dict[str, Any], **kw: Any) -> Any:
    """Submit a page form with the session's CSRF token."""
    token = csrf(client, "/login")
    return client.post(path, data={**data, "csrf_token": token}, **kw)


def register(client: TestClient, name: str, password: str = PASSWORD, **extra: str) -> Any:
    data = {"name": name, "password": password, "confirm": password, **extra}
    return post(client, "/register", data, follow_redirects=False)


def text_of(html: str) -> str:
    """The page's text with tags removed and white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- register / log in / log out -----------------------------------------------------------------


def test_register_logs_in_and_sends_to_the_team_page(backend, client, ctx):
    r = register(client, "alice", email="alice@example.com")
    assert r.status_code == 303
    assert r.headers["location"] == "/team"
    page = client.get("/account")
    assert page.status_code == 200
    assert "alice" in page.text
    with ctx.db.read() as s:
        user = s.query(t.User).filter(t.User.name == "alice").one()
        assert user.email == "alice@example.com"


def test_register_refuses_lookalike_name_and_keeps_stored_data(backend, client, make, ctx):
    admin = make.admin("admin")
    with ctx.db.read() as s:
        before = [(u.id, u.name, u.password_hash) for u in s.query(t.User).order_by(t.User.id)]
    r = register(client, "ａｄｍｉｎ", password="another-password-1")
    assert r.status_code == 400
    assert "That name is already taken." in r.text
    assert 'role="alert"' in r.text
    assert re.search(r'aria-describedby="[^"]*e-name"', r.text)
    assert 'value="ａｄｍｉｎ"' in r.text  # what they typed is kept for correcting
    with ctx.db.read() as s:
        after = [(u.id, u.name, u.password_hash) for u in s.query(t.User).order_by(t.User.id)]
    assert after == before
    assert client.get("/account", follow_redirects=False).status_code == 303  # not logged in
    assert admin.name == "admin"


def test_register_password_confirmation_and_short_password(client, ctx):
    r = register(client, "bob", password="long-enough-1", confirm="different-1")
    assert r.status_code == 400
    assert "The two passwords do not match." in r.text
    r = register(client, "bob", password="short")
    assert "Passwords must be at least 8 characters long." in r.text
    with ctx.db.read() as s:
        assert s.query(t.User).count() == 0


def test_register_requires_email_when_the_event_does(client, ctx):
    event.update_event(ctx, {"email_required": True})
    page = client.get("/register")
    assert re.search(r'id="f-email"[^>]*required', page.text)
    r = register(client, "carol")
    assert r.status_code == 400
    assert "An email address is required for this event." in r.text


def test_login_and_logout(backend, client, make):
    make.user("dave")
    login(client, "dave")
    assert client.get("/account").status_code == 200
    r = post(client, "/logout", {}, follow_redirects=False)
    assert r.status_code == 303
    r = client.get("/account", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/account"


def test_login_by_email_and_next_stays_local(client, make):
    make.user("erin", email="erin@example.com")
    token = csrf(client)
    data = {"name": "erin@example.com", "password": PASSWORD, "csrf_token": token}
    r = client.post("/login", data={**data, "next": "/scoreboard"}, follow_redirects=False)
    assert r.headers["location"] == "/scoreboard"
    post(client, "/logout", {})
    token = csrf(client)
    data["csrf_token"] = token
    r = client.post("/login", data={**data, "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] in ("/team", "/challenges")


def test_safe_next_only_allows_local_paths():
    assert safe_next("/challenges/1?x=2") == "/challenges/1?x=2"
    for bad in ("//evil.example", "https://evil.example/", "/\\evil.example", "javascript:x", "", "/a\r\nb"):
        assert safe_next(bad) == "/"


def test_wrong_password_shows_a_message_on_the_page(client, make):
    make.user("frank")
    r = post(client, "/login", {"name": "frank", "password": "wrong-password"}, follow_redirects=False)
    assert r.status_code == 401
    assert "The name or password is incorrect." in r.text
    assert 'role="alert"' in r.text
    assert 'value="frank"' in r.text


def test_missing_csrf_token_is_refused_with_a_page(client, make):
    make.user("grace")
    r = client.post("/login", data={"name": "grace", "password": PASSWORD})
    assert r.status_code == 403
    assert "Your session has expired; reload the page and try again." in r.text
    assert "<html" in r.text


def test_anonymous_visitors_are_sent_to_log_in(client, make):
    ch = make.challenge()
    for path in ("/challenges", f"/challenges/{ch.id}", "/account", "/team", "/teams/new", "/teams/join"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"] == f"/login?next={path}"
    assert 'name="next" value="/account"' in client.get("/login?next=/account").text


# --- account: password, tokens, language ---------------------------------------------------------


def test_change_password_ends_other_sessions(app, make):
    make.user("heidi")
    with TestClient(app) as one, TestClient(app) as two:
        login(one, "heidi")
        login(two, "heidi")
        data = {"password": PASSWORD, "new_password": "a-new-password-2", "confirm": "a-new-password-2"}
        r = post(one, "/account/password", data)
        assert r.status_code == 200
        assert "Your password has been changed." in r.text
        assert one.get("/account", follow_redirects=False).status_code == 200  # this session continues
        assert two.get("/account", follow_redirects=False).status_code == 303  # the other one ended
    with TestClient(app) as three:
        login(three, "heidi", "a-new-password-2")


def test_change_password_wrong_current(client, make):
    make.user("ivan")
    login(client, "ivan")
    data = {"password": "not-my-password", "new_password": "a-new-password-2", "confirm": "a-new-password-2"}
    r = post(client, "/account/password", data)
    assert r.status_code == 400
    assert "Your current password is incorrect." in r.text


def test_token_create_shows_value_once_and_delete(backend, client, make, ctx):
    make.user("judy")
    login(client, "judy")
    r = post(client, "/account/tokens", {"description": "ctfcli", "expires_days": "30"})
    assert r.status_code == 200
    value = re.search(r'id="new-token"[^>]*value="(kzn_[0-9a-f]+)"', r.text)
    assert value, r.text
    assert "ctfcli" in r.text
    assert client.get("/api/v1/scoreboard", headers=auth(value.group(1))).status_code == 200
    page = client.get("/account").text
    assert value.group(1) not in page  # shown once only
    with ctx.db.read() as s:
        token = s.query(t.Token).one()
        assert token.expires_at is not None
    r = post(client, f"/account/tokens/{token.id}/delete", {})
    assert "The token has been deleted." in r.text
    with ctx.db.read() as s:
        assert s.query(t.Token).count() == 0


def test_token_expiry_must_be_a_positive_number(client, make):
    make.user("karl")
    login(client, "karl")
    r = post(client, "/account/tokens", {"description": "x", "expires_days": "-3"})
    assert r.status_code == 400
    assert 'aria-describedby="h-expires_days e-expires_days"' in r.text


def test_language_preference_is_saved(client, make, ctx):
    user = make.user("lena")
    login(client, "lena")
    r = post(client, "/account/language", {"locale": "ja"})
    assert r.status_code == 200
    assert '<html lang="ja">' in r.text
    with ctx.db.read() as s:
        assert s.get(t.User, user.id).locale == "ja"
    assert '<html lang="ja">' in client.get("/challenges").text


def test_language_switch_returns_to_the_same_page(client, make):
    make.challenge()
    page = client.get("/scoreboard")
    assert 'href="/lang/ja?next=/scoreboard"' in page.text
    assert ">日本語<" in page.text and ">English<" in page.text
    r = client.get("/lang/ja?next=/scoreboard", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/scoreboard"
    assert "lang=ja" in r.headers["set-cookie"]
    assert '<html lang="ja">' in client.get("/scoreboard").text
    r = client.get("/lang/en?next=https://evil.example/", follow_redirects=False)
    assert r.headers["location"] == "/"
    assert '<html lang="en">' in client.get("/").text


def test_language_switch_is_for_this_browser_only(client, make, ctx):
    """A GET never writes: the switch changes this browser's language, not the account's; the
    account page's form (a POST with its CSRF token) stores it."""
    user = make.user("mona")
    login(client, "mona")
    client.get("/lang/ja?next=/account")
    assert '<html lang="ja">' in client.get("/account").text
    with ctx.db.read() as s:
        assert s.get(t.User, user.id).locale == ""


# --- teams ---------------------------------------------------------------------------------------


def test_team_create_join_and_leave(backend, app, make, ctx):
    make.user("nina")
    make.user("omar")
    with TestClient(app) as nina, TestClient(app) as omar:
        login(nina, "nina")
        r = post(nina, "/teams/new", {"name": "Kizuna Crew"}, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/team"
        page = nina.get("/team").text
        assert "Kizuna Crew" in page
        code = re.search(r'id="invite-code"[^>]*value="([^"]+)"', page).group(1)
        assert "Make a new invite code" in page  # the captain may replace it

        login(omar, "omar")
        r = post(omar, "/teams/join", {"code": "wrong-code"})
        assert r.status_code == 400
        assert "That invite code is not valid." in r.text
        r = post(omar, "/teams/join", {"code": code}, follow_redirects=False)
        assert r.status_code == 303
        page = omar.get("/team").text
        assert "nina" in page and "omar" in page
        assert "Make a new invite code" not in page  # members see the code but cannot replace it
        assert code in page

        r = post(nina, "/team/invite", {})
        assert "The old code no longer works." in r.text
        assert code not in r.text

        r = post(omar, "/team/leave", {})
        assert "You have left the team." in r.text
    with ctx.db.read() as s:
        omar_row = s.query(t.User).filter(t.User.name == "omar").one()
        assert omar_row.team_id is None


def test_duplicate_team_name_is_refused(client, make):
    make.team("Ｒｅｄ")
    make.user("pia")
    login(client, "pia")
    r = post(client, "/teams/new", {"name": "red"})
    assert r.status_code == 400
    assert "That name is already taken." in r.text


def test_public_team_and_user_pages(client, make):
    user, team = make.player_in_team("quinn", "Blue")
    ch = make.challenge(name="Warm-up", value=50)
    h = auth(make.token(user))
    client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "flag{test}"}, headers=h
    )
    page = text_of(client.get(f"/teams/{team.id}").text)
    assert "Blue" in page and "quinn" in page and "Warm-up" in page
    assert "Rank 1 Score 50 points" in page
    assert "Captain" in page
    page = text_of(client.get(f"/users/{user.id}").text)
    assert "Team: Blue" in page and "Warm-up" in page
    assert "Blue" in client.get("/teams").text
    assert client.get("/teams/9999").status_code == 404


def test_team_pages_in_individual_mode_explain(client, make, ctx):
    event.update_event(ctx, {"mode": "users"})
    make.user("rita")
    login(client, "rita")
    for path in ("/team", "/teams", "/teams/new", "/teams/join", "/teams/1"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "This event is played individually, without teams." in r.text


# --- challenges ----------------------------------------------------------------------------------


def test_solved_challenge_names_who_solved_it_in_each_mode(client, make, ctx):
    """A team event says the team solved it (a teammate may not have); an individual event says
    you did. The same for the first solvers' table and the score graph (ja-review)."""
    make.player_in_team("una")
    ch = make.challenge(name="Shared", flag="flag{s}")
    login(client, "una")
    post(client, f"/challenges/{ch.id}/attempt", {"submission": "flag{s}"})
    page = client.get(f"/challenges/{ch.id}").text
    assert "Your team has solved this challenge." in page
    assert "The first teams to solve this challenge" in page
    assert re.search(r"top \d+ teams?\.", client.get("/scoreboard").text)
    ja = client.get(f"/challenges/{ch.id}?lang=ja").text
    assert "あなたのチームはこの問題を解答済みです。" in ja

    event.update_event(ctx, {"mode": "users"})
    make.user("vic")
    login(client, "vic")
    ch2 = make.challenge(name="Solo", flag="flag{solo}")
    post(client, f"/challenges/{ch2.id}/attempt", {"submission": "flag{solo}"})
    page = client.get(f"/challenges/{ch2.id}").text
    assert "You have solved this challenge." in page and "Your team" not in page
    assert "The first players to solve this challenge" in page
    board = client.get("/scoreboard").text
    assert re.search(r"top \d+ players?\.", board) and not re.search(r"top \d+ teams?\.", board)
    assert "この問題は解答済みです。" in client.get(f"/challenges/{ch2.id}?lang=ja").text


def test_board_shows_solved_mark_and_solve_count(backend, client, make):
    user, _team = make.player_in_team("sam")
    other, _ = make.player_in_team("tess")
    solved = make.challenge(name="Easy one", category="web", value=100)
    open_ = make.challenge(name="Hard one", category="crypto", value=300)
    for who in (user, other):
        client.post(
            "/api/v1/challenges/attempt",
            json={"challenge_id": solved.id, "submission": "flag{test}"},
            headers=auth(make.token(who)),
        )
    login(client, "sam")
    html = client.get("/challenges").text
    cards = {
        m.group(1): m.group(0)
        for m in re.finditer(r'<li class="card[^"]*"[^>]*>.*?href="/challenges/(\d+)".*?</li>', html, re.S)
    }
    assert "solved" in cards[str(solved.id)].split('"')[1]  # the class
    assert "chip-solved" in cards[str(solved.id)] and "(solved)" in cards[str(solved.id)]
    assert "2 solves" in text_of(cards[str(solved.id)])
    assert "solved" not in cards[str(open_.id)].split('"')[1]
    assert "0 solves" in text_of(cards[str(open_.id)])
    assert "300 points" in text_of(cards[str(open_.id)])
    assert ">web<" in html and ">crypto<" in html


def test_anonymized_locked_challenge_is_a_question_mark_card(client, make):
    make.player_in_team("uma")
    first = make.challenge(name="First")
    make.challenge(name="Secret next", requirements={"prerequisites": [first.id], "anonymize": True})
    make.challenge(name="Quiet next", requirements={"prerequisites": [first.id]})
    login(client, "uma")
    html = client.get("/challenges").text
    assert "???" in html and "A locked challenge" in html
    assert "Secret next" not in html and "Quiet next" not in html


def test_board_before_the_start_shows_the_start_time(client, make, ctx):
    make.player_in_team("vera")
    make.challenge(name="Not yet")
    event.update_event(ctx, {"start_at": ctx.now() + timedelta(days=1)})
    login(client, "vera")
    html = client.get("/challenges").text
    assert "The event has not started yet." in html
    assert 'title="Asia/Tokyo">Tokyo</span>' in html and 'title="Europe/London">London</span>' in html
    assert "Not yet" not in html


def test_player_without_a_team_is_told_to_join_one(client, make):
    make.user("walt")
    make.challenge(name="Needs a team")
    login(client, "walt")
    html = client.get("/challenges").text
    assert "You need to join or create a team first." in html
    assert "Needs a team" not in html


def test_submit_incorrect_then_correct_by_form(backend, client, make):
    make.player_in_team("xena")
    ch = make.challenge(name="Flag me", flag="flag{yes}", value=120, max_attempts=5)
    login(client, "xena")
    page = client.get(f"/challenges/{ch.id}").text
    assert "5 attempts left" in page
    r = post(client, f"/challenges/{ch.id}/attempt", {"submission": "flag{no}"})
    assert r.status_code == 200
    assert re.search(r'role="status"[^>]*>\s*<p>Incorrect. You have 4 tries remaining.</p>', r.text)
    assert "4 attempts left" in r.text
    r = post(client, f"/challenges/{ch.id}/attempt", {"submission": "flag{yes}"})
    assert re.search(r'role="status"[^>]*>\s*<p>Correct! \+120 points for [^<]+ — first blood!</p>', r.text)
    assert "Your team has solved this challenge." in r.text  # a team event: the team's solve
    board = client.get("/scoreboard").text
    assert "120" in board


def test_submit_with_htmx_returns_only_the_result(client, make):
    make.player_in_team("yuri")
    ch = make.challenge(flag="flag{h}")
    login(client, "yuri")
    token = csrf(client)
    r = client.post(
        f"/challenges/{ch.id}/attempt",
        data={"submission": "flag{h}", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert r.text.strip().startswith('<div id="attempt-result"')
    assert "<html" not in r.text
    assert "Correct" in r.text


def test_challenge_page_shows_content_files_and_solvers(client, make, ctx):
    user, team = make.player_in_team("zoe", "Green")
    ch = make.challenge(name="Rich", description="**bold** text", connection_info="nc host 1337")
    content.create_tag(ctx, ch.id, "beginner")
    content.save_file(ctx, ch.id, "data.txt", b"hello")
    client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": ch.id, "submission": "flag{test}"},
        headers=auth(make.token(user)),
    )
    login(client, "zoe")
    html = client.get(f"/challenges/{ch.id}").text
    assert "<strong>bold</strong>" in html
    assert "nc host 1337" in html
    assert "beginner" in html
    assert re.search(r'href="/files/[0-9a-f]+/data.txt\?token=[^"]+"', html)
    assert f'href="/teams/{team.id}">Green<' in html


def test_hint_unlock_deducts_points(backend, client, make, ctx):
    user, _team = make.player_in_team("amir", "Hinters")
    solved = make.challenge(name="Points", value=100)
    ch = make.challenge(name="Hinted", value=200)
    hint = content.create_hint(ctx, ch.id, "Look **closer**", cost=30, title="A nudge")
    client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": solved.id, "submission": "flag{test}"},
        headers=auth(make.token(user)),
    )
    login(client, "amir")
    page = client.get(f"/challenges/{ch.id}").text
    assert "Look" not in page  # content stays hidden until unlocked
    assert "Unlock this hint for 30 points" in page
    r = post(client, f"/challenges/{ch.id}/hints/{hint.id}/unlock", {"confirm_cost": "30"})
    assert r.status_code == 200
    assert "Hint unlocked." in r.text
    assert "Look <strong>closer</strong>" in r.text
    rows = client.get("/api/v1/scoreboard").json()["data"]
    assert rows[0]["score"] == 70
    board = text_of(client.get("/scoreboard").text)
    assert "Hinters" in board and "70" in board
    r = post(client, f"/challenges/{ch.id}/hints/{hint.id}/unlock", {"confirm_cost": "30"})
    assert "You have already unlocked this hint." in r.text
    rows = client.get("/api/v1/scoreboard").json()["data"]
    assert rows[0]["score"] == 70


def test_hint_without_enough_points_is_refused_on_the_page(client, make, ctx):
    make.player_in_team("bea")
    ch = make.challenge()
    hint = content.create_hint(ctx, ch.id, "secret", cost=10)
    login(client, "bea")
    r = post(client, f"/challenges/{ch.id}/hints/{hint.id}/unlock", {"confirm_cost": "10"})
    assert r.status_code == 200  # after the redirect to the challenge page
    assert "You do not have enough points to unlock this hint." in r.text
    assert "secret" not in r.text


def test_hidden_challenge_is_a_404_page(client, make):
    make.player_in_team("cleo")
    ch = make.challenge(name="Invisible", state="hidden")
    login(client, "cleo")
    r = client.get(f"/challenges/{ch.id}")
    assert r.status_code == 404
    assert "Page not found." in r.text and "<html" in r.text
    assert "Invisible" not in client.get("/challenges").text
    r = post(client, f"/challenges/{ch.id}/attempt", {"submission": "flag{test}"})
    assert r.status_code == 404


# --- scoreboard ----------------------------------------------------------------------------------


def test_scoreboard_table_and_graph(client, make):
    user, team = make.player_in_team("dina", "Orange")
    make.join(make.user("eli"), team)
    ch = make.challenge(value=250)
    client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": ch.id, "submission": "flag{test}"},
        headers=auth(make.token(user)),
    )
    html = client.get("/scoreboard").text
    assert "<svg" in html and '<title id="graph-title">Score graph</title>' in html
    assert "<desc" in html and "<polyline" in html
    assert f'href="/teams/{team.id}">Orange<' in html
    assert ">eli<" in html  # members in team mode
    assert 'hx-get="/scoreboard/fragment"' in html and 'hx-trigger="every 30s"' in html
    fragment = client.get("/scoreboard/fragment").text
    assert "<html" not in fragment and "Orange" in fragment


def test_scoreboard_frozen_notice_and_frozen_scores(client, make, ctx):
    user, _team = make.player_in_team("finn", "Frozen")
    ch = make.challenge(value=100)
    event.update_event(ctx, {"freeze_at": ctx.now() - timedelta(minutes=1)})
    client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": ch.id, "submission": "flag{test}"},
        headers=auth(make.token(user)),
    )
    html = text_of(client.get("/scoreboard").text)
    assert "The scoreboard is frozen" in html
    assert "Frozen finn 0" in html


def test_score_graph_is_a_step_chart():
    top = {
        "1": {
            "id": 7,
            "account_url": "/teams/7",
            "name": "A",
            "score": 300,
            "solves": [
                {"value": 100, "date": "2025-01-01T01:00:00Z"},
                {"value": 200, "date": "2025-01-01T02:00:00Z"},
            ],
        },
        "2": {"id": 8, "account_url": "/teams/8", "name": "B", "score": 0, "solves": []},
    }
    from datetime import datetime

    graph = score_graph(top, datetime(2025, 1, 1), datetime(2025, 1, 1, 3))
    assert graph is not None
    first = [tuple(map(float, p.split(","))) for p in graph.series[0].points.split()]
    # start, then for each solve a horizontal move followed by a vertical one, then on to the end
    assert len(first) == 1 + 2 * 2 + 1
    assert first[1][0] == first[2][0] and first[1][1] != first[2][1]
    assert first[-1][0] == graph.width - graph.right
    assert [s.name for s in graph.series] == ["A", "B"]
    assert score_graph({}, None, datetime(2025, 1, 1)) is None


# --- base layout ---------------------------------------------------------------------------------


def test_layout_has_landmarks_skip_link_and_navigation(client, make):
    html = client.get("/").text
    for needle in (
        '<html lang="en">',
        'class="skip" href="#main"',
        "<header",
        "<nav",
        '<main id="main"',
        "<footer",
    ):
        assert needle in html
    assert 'href="/register"' in html and 'href="/login"' in html
    make.admin("root")
    login(client, "root")
    html = client.get("/").text
    assert 'href="/admin"' in html and 'action="/logout"' in html and 'href="/account"' in html


def test_every_page_renders_in_japanese(client, make, ctx):
    user, team = make.player_in_team("jun", "Sakura")
    ch = make.challenge(name="問題", value=100, max_attempts=3)
    content.create_hint(ctx, ch.id, "ヒント", cost=5)
    client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": ch.id, "submission": "flag{test}"},
        headers=auth(make.token(user)),
    )
    client.get("/lang/ja?next=/")
    for path in (
        "/",
        "/login",
        "/register",
        "/scoreboard",
        "/teams",
        f"/teams/{team.id}",
        f"/users/{user.id}",
    ):
        r = client.get(path)
        assert r.status_code == 200, path
        assert '<html lang="ja">' in r.text, path
    login(client, "jun")
    for path in ("/challenges", f"/challenges/{ch.id}", "/account", "/team", "/teams/new", "/teams/join"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert '<html lang="ja">' in r.text, path


def test_the_site_has_an_icon(client):
    home = client.get("/").text
    assert '<link rel="icon" href="/static/kizuna-mark.svg" type="image/svg+xml">' in home
    mark = client.get("/static/kizuna-mark.svg")
    assert mark.status_code == 200 and mark.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in mark.content and b"<script" not in mark.content
    old = client.get("/favicon.ico", follow_redirects=False)
    assert old.status_code == 301 and old.headers["location"] == "/static/kizuna-mark.svg"


def test_a_missing_page_says_page_not_found(client, make):
    """(The API's 404 keeps "Not found.": tests/security/test_input_errors_i18n.py.)"""
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "Page not found." in r.text
    make.player_in_team("wyn")
    login(client, "wyn")
    hidden = make.challenge(name="Secret", state="hidden")
    r = client.get(f"/challenges/{hidden.id}")
    assert r.status_code == 404 and "Page not found." in r.text and "Secret" not in r.text


def test_invite_codes_are_grouped_and_read_back_however_they_are_typed(backend, app, make, ctx):
    """The team page shows the code in groups of four with copy buttons (shown by the script), a
    join link that carries the code in its fragment (never sent to a server, so never logged) and
    that link's QR code; the join form takes the code in any case, spacing or width."""
    make.user("pia")
    make.user("quin")
    make.user("ross")
    with TestClient(app) as pia, TestClient(app) as quin, TestClient(app) as ross:
        login(pia, "pia")
        post(pia, "/teams/new", {"name": "Grouped"})
        with ctx.db.read() as s:
            stored = s.scalar(select(t.Team.invite_code).where(t.Team.name == "Grouped"))
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{16}", stored)
        shown = "-".join(stored[i : i + 4] for i in range(0, 16, 4))
        page = pia.get("/team").text
        assert re.search(rf'id="invite-code"[^>]*value="{shown}"', page)
        assert re.search(
            r'<button type="button" class="secondary" data-copy="invite-code"[^>]* hidden>', page
        )
        link = re.search(r'id="join-link"[^>]*value="([^"]+)"', page).group(1)
        assert link == f"http://testserver/teams/join#code={shown}"
        assert "?code=" not in page and re.search(r'<svg [^>]*class="qr"', page)

        login(quin, "quin")
        typed = "  " + shown.lower().replace("-", " ").replace("0", "o").replace("1", "l") + " "
        r = post(quin, "/teams/join", {"code": typed}, follow_redirects=False)
        assert r.status_code == 303, r.text
        login(ross, "ross")
        wide = shown.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})  # full-width, as an IME types
        assert post(ross, "/teams/join", {"code": wide}, follow_redirects=False).status_code == 303
    with ctx.db.read() as s:
        team_id = s.scalar(select(t.Team.id).where(t.Team.name == "Grouped"))
        members = s.scalars(select(t.User.name).where(t.User.team_id == team_id)).all()
    assert sorted(members) == ["pia", "quin", "ross"]


def test_a_code_made_before_the_new_alphabet_still_works_exactly(backend, app, make, ctx):
    _captain, team = make.player_in_team("sal", "Oldtimers")
    with ctx.write() as uow:
        uow.session.get(t.Team, team.id).invite_code = "old_Code-xyz123"
    make.user("tia")
    with TestClient(app) as tia:
        login(tia, "tia")
        assert post(tia, "/teams/join", {"code": "OLD_CODE-XYZ123"}).status_code == 400
        assert (
            post(tia, "/teams/join", {"code": "old_Code-xyz123"}, follow_redirects=False).status_code == 303
        )
        assert 'value="old_Code-xyz123"' in tia.get("/team").text


def test_a_language_chosen_before_logging_in_wins_over_the_stored_one(client, make, ctx):
    user = make.user("mona")
    with ctx.write() as uow:
        stored = uow.session.get(t.User, user.id)
        stored.locale, stored.display = "ja", "both"
    # Nothing chosen in this browser: the account's own language and mode.
    login(client, "mona")
    page = client.get("/challenges").text
    assert '<html lang="ja">' in page and "Challenges" in page  # both languages side by side
    client.post("/logout", data={"csrf_token": _csrf_from(page)})
    client.cookies.clear()

    # English alone, chosen on the log-in page, stays after logging in ...
    client.get("/lang/en?next=/login")
    login(client, "mona")
    page = client.get("/challenges").text
    assert '<html lang="en">' in page and "問題" not in text_of(page)
    # ... and the stored preference is unchanged until the account page saves a new one.
    with ctx.db.read() as s:
        assert (s.get(t.User, user.id).locale, s.get(t.User, user.id).display) == ("ja", "both")


def test_the_theme_switch_sets_only_this_browsers_cookie(client, make, ctx):
    page = client.get("/scoreboard").text
    assert "data-theme" not in page.split(">", 2)[1]  # follows the system's setting
    assert 'href="/theme/dark?next=/scoreboard"' in page
    r = client.get("/theme/dark?next=/scoreboard", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/scoreboard"
    assert "theme=dark" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    assert '<html lang="en" data-theme="dark">' in client.get("/scoreboard").text
    client.get("/theme/neon")  # not a theme: nothing changes
    assert 'data-theme="dark"' in client.get("/").text
    away = client.get("/theme/light?next=https://evil.example/", follow_redirects=False)
    assert away.headers["location"] == "/"
    assert 'data-theme="light"' in client.get("/").text
    client.get("/theme/auto")
    assert "data-theme" not in client.get("/").text.split(">", 2)[1]
    # The venue's colours are the organisers' choice (event.venue_theme), not the browser's: light here.
    client.get("/theme/dark")
    assert '<html lang="en" data-theme="light" data-venue-theme="light">' in client.get("/venue").text


def test_the_clock_switch_sets_only_this_browsers_cookie(client, make, ctx):
    """A 12-hour clock is this browser's choice (a cookie, like the theme); British English and
    Japanese write a 24-hour clock by default."""
    make.token(make.user("kit"))
    login(client, "kit")
    client.cookies.set("tz", "Europe/London")
    page = client.get("/account").text
    assert 'href="/clock/12?next=/account"' in page
    assert re.search(r'href="/clock/24\?next=/account" aria-current="true"', page)
    created = re.search(r"<td>(\d[^<]*(?:BST|GMT))</td>", page)
    assert created and re.search(r"\b\d\d:\d\d (BST|GMT)$", created.group(1)), page
    r = client.get("/clock/12?next=/account", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account"
    assert "clock=12" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    page = client.get("/account").text
    assert re.search(r'href="/clock/12\?next=/account" aria-current="true"', page)
    assert re.search(r"<td>\d[^<]* \d{1,2}:\d\d [ap]m (BST|GMT)</td>", page), page
    assert re.search(
        r"<td>\d{4}/\d\d/\d\d 午[前後]\d{1,2}:\d\d (GMT|GMT\+1)</td>", client.get("/account?lang=ja").text
    )
    client.get("/clock/13")  # not a clock: nothing changes
    assert re.search(r"<td>\d[^<]* [ap]m (BST|GMT)</td>", client.get("/account").text)
    assert (
        client.get("/clock/24?next=https://evil.example/", follow_redirects=False).headers["location"] == "/"
    )
    assert not re.search(r"<td>\d[^<]* [ap]m (BST|GMT)</td>", client.get("/account").text)
    client.get("/clock/auto")
    assert "clock" not in client.cookies


def test_empty_lists_say_so_in_the_same_empty_state_box(client, make):
    """An empty list is one component on every page (kizuna.css .empty-state), in each language."""
    make.player_in_team("una")
    login(client, "una")
    expected = {
        "/announcements": "There are no announcements yet.",
        "/challenges": "There are no challenges yet.",
    }
    for path, sentence in expected.items():
        assert f'<p class="empty-state">{sentence}</p>' in client.get(path).text, path
    ch = make.challenge()
    page = client.get(f"/challenges/{ch.id}?lang=ja").text
    assert '<p class="empty-state">この問題はまだ誰も正解していません。</p>' in page
