"""The live activity feed (/admin/feed, /admin/feed/rows, /api/v1/feed) and the rosters
(/admin/rosters): who may open them, what they show (first bloods, hidden accounts, addresses, never
what was typed), their server-side filters and paging, and hiding an account from the rosters."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.services import moderation, submissions
from kizuna.services.accounts import Principal
from kizuna.storage import tables as t
from tests.conftest import _csrf_from, auth, login

SECRET_GUESS = "flag{typed-by-a-player-7731}"


def rows_of(html: str) -> list[str]:
    """The feed's table rows, as text, newest first."""
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r'<tr class="result-[^"]+" data-id="\d+">(.*?)</tr>', html, re.S)
    ]


def ids_of(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr class="result-[^"]+" data-id="(\d+)">', html)]


def who(row: str) -> str:
    """Whose attempt a row is."""
    return next(name for name in ("alice", "bob", "carol") if f" {name} " in f" {row} ")


def as_user(user: Any) -> Principal:
    return Principal.of(user)


@pytest.fixture
def world(ctx: Any, make: Any) -> dict[str, Any]:
    """Red (alice, carol) and Blue (bob); two challenges; attempts from two addresses; Blue hidden."""
    alice, red = make.player_in_team("alice", "Red")
    carol = make.user("carol")
    make.join(carol, red)
    bob, blue = make.player_in_team("bob", "Blue")
    one = make.challenge(name="Warm-up", flag="flag{one}")
    two = make.challenge(name="Crypto 1", flag="flag{two}")
    staff = {role: make.user(f"the-{role}", role=role) for role in ("admin", "judge", "marshal", "author")}
    submissions.submit_flag(ctx, as_user(alice), one.id, "wrong guess", ip="192.0.2.1")
    submissions.submit_flag(ctx, as_user(alice), one.id, "flag{one}", ip="192.0.2.1")  # first blood
    submissions.submit_flag(ctx, as_user(bob), one.id, "flag{one}", ip="198.51.100.7")  # second
    submissions.submit_flag(ctx, as_user(bob), two.id, SECRET_GUESS, ip="198.51.100.7")
    moderation.hide_account(ctx, as_user(staff["marshal"]), "team", blue.id, True)
    return {
        "red": red,
        "blue": blue,
        "one": one,
        "two": two,
        "alice": alice,
        "bob": bob,
        "carol": carol,
        **staff,
    }


def test_the_feed_shows_attempts_newest_first_with_first_blood_and_hidden_accounts(client, world):
    login(client, "the-marshal")
    r = client.get("/admin/feed")
    assert r.status_code == 200
    rows = rows_of(r.text)
    assert len(rows) == 4
    # Newest first: bob's wrong answer on Crypto 1, his solve, alice's first blood, her wrong guess.
    assert "Blue bob Hidden Crypto 1 Incorrect 198.51.100.7" in rows[0]
    assert "Blue bob Hidden Warm-up Correct 198.51.100.7" in rows[1] and "First blood" not in rows[1]
    assert "Red alice Warm-up Correct First blood 192.0.2.1" in rows[2]
    assert "Red alice Warm-up Incorrect 192.0.2.1" in rows[3]
    assert r.text.count("First blood") == 1
    # What a player typed never reaches the feed (marshals read it; an answer can be a flag).
    assert SECRET_GUESS not in r.text and "wrong guess" not in r.text
    assert "Blue was hidden pending review." in r.text
    # The live part: the rows' address with the filters, the newest id, the script.
    assert 'data-rows-url="/admin/feed/rows"' in r.text
    assert f'data-after="{ids_of(r.text)[0]}"' in r.text
    assert '<script src="/static/kizuna-feed.js" defer></script>' in r.text
    # A marshal may open accounts (to hide them) but not challenges.
    assert f'href="/admin/accounts/{world["alice"].id}"' in r.text
    assert 'href="/admin/challenges/' not in r.text


def test_times_are_in_the_readers_zone_and_language(client, world):
    login(client, "the-judge")
    client.post(
        "/account/time-zone",
        data={"time_zone": "Asia/Tokyo", "csrf_token": _csrf_from(client.get("/account").text)},
    )
    page = client.get("/admin/feed?lang=ja").text
    assert "リアルタイム提出状況" in page and "ファーストブラッド" in page
    times = re.findall(r'<td><time datetime="[^"]+Z">([^<]+)</time></td>', page)
    tokyo = re.compile(r"\d{4}/\d{2}/\d{2} \d{1,2}:\d{2} JST")
    assert len(times) == 4 and all(tokyo.fullmatch(x) for x in times), times


@pytest.mark.parametrize(
    "query, expected",
    [
        ("result=correct", ["bob", "alice"]),
        ("result=incorrect", ["bob", "alice"]),
        ("challenge={two}", ["bob"]),
        ("team={red}", ["alice", "alice"]),
        ("q=ALI", ["alice", "alice"]),  # names fold as elsewhere (case, width)
        ("q=ｂｏｂ", ["bob", "bob"]),
        ("q=198.51", ["bob", "bob"]),  # the address
        ("q=Crypto", ["bob"]),  # the challenge's name
        ("q=typed-by-a-player", []),  # never what was typed
        ("result=bogus&challenge=abc&team=", ["bob", "bob", "alice", "alice"]),  # ignored, as on other lists
    ],
)
def test_filters_are_applied_on_the_server(client, world, query, expected):
    login(client, "the-judge")
    url = "/admin/feed?" + query.format(two=world["two"].id, red=world["red"].id)
    page = client.get(url).text
    assert [who(row) for row in rows_of(page)] == expected
    if "bogus" not in query:
        api_query = query.replace("challenge=", "challenge_id=").replace("team=", "team_id=")
        api_url = "/api/v1/feed?" + api_query.format(two=world["two"].id, red=world["red"].id)
        api = client.get(api_url, headers=auth_for(client, world, "judge"))
        assert [row["user"]["name"] for row in api.json()["data"]] == expected


def auth_for(client: TestClient, world: dict[str, Any], role: str) -> dict[str, str]:
    from kizuna.services import accounts

    return auth(accounts.create_token(client.app.state.ctx, world[role].id).value)


def test_new_rows_come_from_the_rows_fragment(client, ctx, world):
    login(client, "the-marshal")
    newest = ids_of(client.get("/admin/feed").text)[0]
    assert client.get(f"/admin/feed/rows?after={newest}").text.strip() == ""
    submissions.submit_flag(ctx, as_user(world["carol"]), world["two"].id, "flag{two}", ip="203.0.113.5")
    submissions.submit_flag(ctx, as_user(world["bob"]), world["two"].id, "nope", ip="198.51.100.7")
    fresh = client.get(f"/admin/feed/rows?after={newest}").text
    assert [who(row) for row in rows_of(fresh)] == ["bob", "carol"]
    assert "First blood" in rows_of(fresh)[1] and "203.0.113.5" in rows_of(fresh)[1]
    # With the page's filters: only the matching new rows.
    assert len(rows_of(client.get(f"/admin/feed/rows?after={newest}&result=correct").text)) == 1
    # A malformed id starts from the beginning rather than failing.
    assert len(rows_of(client.get("/admin/feed/rows?after=abc").text)) == 6


def test_the_feed_pages_back_with_before(client, ctx, world):
    with ctx.write() as uow:
        for i in range(60):
            uow.session.add(
                t.Submission(
                    challenge_id=world["two"].id,
                    user_id=world["alice"].id,
                    team_id=world["red"].id,
                    account_id=world["red"].id,
                    ip="192.0.2.9",
                    provided=f"guess {i}",
                    type="incorrect",
                    date=ctx.now() + timedelta(seconds=i),
                )
            )
    login(client, "the-judge")
    first = client.get("/admin/feed").text
    ids = ids_of(first)
    assert len(ids) == 50 and ids == sorted(ids, reverse=True)
    older = re.search(r'href="(/admin/feed\?before=\d+)" rel="next"', first)
    assert older is not None and older.group(1) == f"/admin/feed?before={ids[-1]}"
    second = client.get(older.group(1)).text
    assert ids_of(second) == sorted(set(range(1, ids[-1])) & set(ids_of(second)), reverse=True)
    assert len(ids_of(second)) == 14 and 'rel="next"' not in second
    assert "data-rows-url" not in second and "Back to the newest submissions" in second
    api = client.get("/api/v1/feed?limit=100", headers=auth_for(client, world, "judge")).json()
    assert len(api["data"]) == 64 and api["meta"]["before"] is None
    api = client.get("/api/v1/feed?limit=10", headers=auth_for(client, world, "judge")).json()
    older = f"/api/v1/feed?limit=10&before={api['meta']['before']}"
    nxt = client.get(older, headers=auth_for(client, world, "judge")).json()
    assert [r["id"] for r in nxt["data"]] == [r - 10 for r in [x["id"] for x in api["data"]]]


@pytest.mark.parametrize(
    "role, page_status",
    [("admin", 200), ("judge", 200), ("marshal", 200), ("author", 403), ("alice", 403)],
)
def test_who_may_open_the_feed_and_the_rosters(client, world, role, page_status):
    name = role if role == "alice" else f"the-{role}"
    login(client, name)
    for path in ("/admin/feed", "/admin/feed/rows", "/admin/rosters"):
        assert client.get(path, follow_redirects=False).status_code == page_status, path
    api = client.get("/api/v1/feed", headers=auth_for(client, world, role))
    assert api.status_code == page_status


def test_anonymous_visitors_are_sent_to_log_in_or_refused(client, world):
    for path in ("/admin/feed", "/admin/feed/rows", "/admin/rosters"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    assert client.get("/api/v1/feed").status_code == 401


def test_the_api_refuses_bad_input_in_the_readers_language(client, world):
    headers = {**auth_for(client, world, "marshal"), "Accept-Language": "ja"}
    for query in ("limit=0", "limit=101", "result=bogus", "before=0", "q=" + "x" * 101):
        r = client.get(f"/api/v1/feed?{query}", headers=headers)
        assert r.status_code == 400, query
        assert r.json()["success"] is False
        assert "この値は正しくありません。" in str(r.json()["errors"]), query
    row = client.get("/api/v1/feed?limit=1", headers=headers).json()["data"][0]
    assert set(row) == {
        "id",
        "date",
        "user",
        "team",
        "challenge",
        "result",
        "address",
        "first_blood",
        "hidden",
        "banned",
    }
    assert SECRET_GUESS not in str(client.get("/api/v1/feed", headers=headers).json())


# --- rosters ------------------------------------------------------------------------------------------


def test_the_rosters_list_every_team_with_members_state_and_last_submission(client, world):
    login(client, "the-judge")
    page = client.get("/admin/rosters").text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert re.search(r"Blue Hidden bob Captain 1 .*?198\.51\.100\.7", text)
    assert re.search(r"Red alice Captain carol 2 .*?192\.0\.2\.1", text)
    # A judge watches; hiding is for marshals and admins.
    assert "Hide pending review" not in page and "Show on the scoreboard" not in page
    assert "Red" in client.get("/admin/rosters?q=CAROL").text
    assert "Blue" not in client.get("/admin/rosters?q=CAROL").text


def test_a_marshal_hides_a_team_from_the_rosters_and_the_feed_says_so(client, ctx, world):
    login(client, "the-marshal")
    page = client.get("/admin/rosters").text
    red = world["red"].id
    assert f'action="/admin/teams/{red}/toggle"' in page
    token = _csrf_from(page)
    r = client.post(
        f"/admin/teams/{red}/toggle",
        data={"field": "hidden", "value": "1", "back": "rosters", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/rosters"
    back = client.get("/admin/rosters").text
    assert "The account has been hidden pending review." in back
    assert "Red was hidden pending review." in client.get("/admin/feed").text
    with ctx.db.read() as s:
        assert s.get(t.Team, red).hidden
        [entry] = s.query(t.AuditEntry).filter(t.AuditEntry.action == "account.hidden").all()[1:]
        assert (entry.target_type, entry.target_id, entry.actor_role) == ("team", str(red), "marshal")
    # Not on the public scoreboard any more.
    assert "Red" not in [row["name"] for row in client.get("/api/v1/scoreboard").json()["data"]]
    # And shown again.
    r = client.post(
        f"/admin/teams/{red}/toggle",
        data={"field": "hidden", "value": "0", "back": "rosters", "csrf_token": token},
        follow_redirects=False,
    )
    assert "The account is shown on the scoreboard again." in client.get(r.headers["location"]).text
    assert "Red is shown on the scoreboard again." in client.get("/admin/feed").text


def test_individual_mode_lists_players(client, ctx, make):
    from kizuna.services import event

    event.update_event(ctx, {"mode": "users"})
    make.user("dave")
    make.user("the-marshal", role="marshal")
    login(client, "the-marshal")
    page = client.get("/admin/rosters").text
    assert "dave" in page and "Players in no team" not in page and "Teams with their members" not in page
    assert (
        "the-marshal"
        not in re.sub(r'<header class="site">.*?</header>', "", page, flags=re.S).split("<h1>")[1]
    )
