"""The challenge board as a board (issue 10): the viewer's score and rank at a glance, filters that work
as a plain GET form, state chips (solved, first blood, locked, new), and the challenge page's message
after a correct answer — with the scoreboard's freeze and hidden accounts respected throughout."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.services import event
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD
from tests.conftest import auth, login
from tests.web.test_pages_player import csrf, post, text_of
from tests.web.test_post_redirect_get import result_area


class Clock:
    """The app's clock, moved by the test (``ctx.now``)."""

    def __init__(self, ctx: Any) -> None:
        self.now = ctx.now()
        ctx.now = lambda: self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def solve(client: TestClient, make: Any, user: Any, challenge: Any, flag: str = "flag{test}") -> None:
    r = client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": challenge.id, "submission": flag},
        headers=auth(make.token(user)),
    )
    assert r.json()["data"]["status"] == "correct", r.text


def cards(html: str) -> dict[int, str]:
    """Each challenge's card on the board, by id (locked cards have no link and are left out)."""
    found = re.finditer(r'<li class="card[^"]*"[^>]*>.*?href="/challenges/(\d+)".*?</li>', html, re.S)
    return {int(m.group(1)): m.group(0) for m in found}


def opening(card: str) -> str:
    return card.split(">", 1)[0]


def is_hidden(card: str) -> bool:
    return " hidden" in opening(card)


def standing(html: str) -> str:
    m = re.search(r'<section class="standing-bar".*?</section>', html, re.S)
    return text_of(m.group(0)).strip() if m else ""


def notices(html: str) -> list[str]:
    return [text_of(x) for x in re.findall(r'<p class="notice" role="status">(.*?)</p>', html, re.S)]


# --- filters ----------------------------------------------------------------------------------------


@pytest.fixture
def board(client: TestClient, make: Any) -> dict[str, Any]:
    user, _team = make.player_in_team("fil", "Filters")
    web_solved = make.challenge(name="Web solved", category="web")
    web_open = make.challenge(name="Web open", category="web")
    crypto_open = make.challenge(name="Crypto open", category="crypto")
    solve(client, make, user, web_solved)
    login(client, "fil")
    return {"web_solved": web_solved, "web_open": web_open, "crypto_open": crypto_open, "user": user}


def ids(board: dict[str, Any]) -> dict[str, int]:
    return {k: v.id for k, v in board.items() if k != "user"}


def test_without_filters_every_card_is_shown_and_the_form_offers_the_categories(client, board):
    html = client.get("/challenges").text
    shown = cards(html)
    assert set(shown) == set(ids(board).values()) and not any(is_hidden(c) for c in shown.values())
    form = re.search(r'<form class="board-filters" method="get" action="/challenges".*?</form>', html, re.S)
    assert form, "the filters are an ordinary GET form"
    assert 'name="show" value="unsolved"' in form.group(0) and "checked" not in form.group(0)
    assert '<option value="web">web</option>' in form.group(0)
    assert '<option value="crypto">crypto</option>' in form.group(0)
    assert "data-filters-clear hidden" in form.group(0)  # nothing to clear
    assert notices(html) == []


def test_unsolved_only_hides_the_solved_cards_but_keeps_them_on_the_page(client, board):
    board = ids(board)
    html = client.get("/challenges?show=unsolved").text
    shown = cards(html)
    assert is_hidden(shown[board["web_solved"]])  # still there, for the script to show again
    assert not is_hidden(shown[board["web_open"]]) and not is_hidden(shown[board["crypto_open"]])
    assert re.search(r'name="show" value="unsolved" checked', html)
    assert "data-filters-clear hidden" not in html


def test_a_category_filter_hides_other_categories_and_their_sections(client, board):
    board = ids(board)
    html = client.get("/challenges?category=crypto").text
    shown = cards(html)
    assert not is_hidden(shown[board["crypto_open"]])
    assert is_hidden(shown[board["web_open"]]) and is_hidden(shown[board["web_solved"]])
    sections = re.findall(r"<section class=\"category\"[^>]*>\s*<h2[^>]*>(.*?)</h2>", html, re.S)
    hidden_sections = re.findall(r"<section class=\"category\"[^>]*hidden>\s*<h2[^>]*>(.*?)</h2>", html, re.S)
    assert sorted(text_of(x).strip() for x in sections) == ["crypto", "web"]
    assert [text_of(x).strip() for x in hidden_sections] == ["web"]
    assert '<option value="crypto" selected>' in html


def test_both_filters_together_can_leave_nothing_and_say_so(client, board, make):
    html = client.get("/challenges?show=unsolved&category=web").text
    shown = cards(html)
    assert not is_hidden(shown[board["web_open"].id]) and is_hidden(shown[board["web_solved"].id])
    assert re.search(r'<p class="board-empty" role="status" data-board-empty hidden>', html)
    # Every web challenge solved: the empty state is shown.
    solve(client, make, board["user"], board["web_open"])
    html = client.get("/challenges?show=unsolved&category=web").text
    assert re.search(r'<p class="board-empty" role="status" data-board-empty>', html)
    assert "No challenge matches these filters." in html


@pytest.mark.parametrize(
    ("query", "unknown_show", "unknown_category"),
    [
        ("show=everything", True, False),
        ("show=", False, False),
        ("category=pwn", False, True),
        ("category=" + "x" * 5000, False, True),
        ("show=%00&category=%FF%FE", True, True),
        ("show=unsolved&show=all&category=web&category=crypto", False, False),
        ("category=%E3%82%A6%E3%82%A7%E3%83%96", False, True),  # a display name is not the key
        ("show[]=unsolved&category[]=web", False, False),
    ],
)
def test_malformed_filters_are_ignored_with_a_clear_message_never_an_error(
    client, board, query, unknown_show, unknown_category
):
    r = client.get(f"/challenges?{query}")
    assert r.status_code == 200
    said = notices(r.text)
    assert ("That filter is not known, so every challenge is shown." in said) is unknown_show
    assert ("There is no such category, so every category is shown." in said) is unknown_category
    assert len(cards(r.text)) == 3


def test_the_filter_messages_are_in_the_readers_language(client, board):
    said = notices(client.get("/challenges?show=nope&category=nope&lang=ja").text)
    assert said == [
        "不明な絞り込み条件のため、すべての問題を表示しています。",
        "該当するカテゴリがないため、すべてのカテゴリを表示しています。",
    ]


def test_a_category_only_hidden_challenges_have_is_as_unknown_as_a_missing_one(client, board, make, ctx):
    secret = make.challenge(name="Secret", category="zq7x-cat")
    with ctx.write() as uow:
        uow.session.get(t.Challenge, secret.id).state = "hidden"
        uow.bump(CHALLENGES)
    hidden = client.get("/challenges?category=zq7x-cat")
    missing = client.get("/challenges?category=no-such-cat")
    assert hidden.status_code == missing.status_code == 200
    # The asked-for value comes back only in the language links' return addresses (the reader's own).
    assert "zq7x" not in hidden.text.replace("category%3Dzq7x-cat", "")
    assert hidden.text.replace("zq7x-cat", "?") == missing.text.replace("no-such-cat", "?")


def test_locked_cards_stay_with_unsolved_and_go_with_a_category(client, make):
    make.player_in_team("lok")
    first = make.challenge(name="First", category="web")
    make.challenge(name="Next", category="web", requirements={"prerequisites": [first.id], "anonymize": True})
    login(client, "lok")
    locked = re.compile(r'<li class="card locked"[^>]*?( hidden)?>')
    assert locked.search(client.get("/challenges?show=unsolved").text).group(1) is None
    assert locked.search(client.get("/challenges?category=web").text).group(1) == " hidden"
    assert "chip-locked" in client.get("/challenges").text


# --- the standing at a glance ------------------------------------------------------------------------


def test_team_mode_shows_the_teams_name_rank_score_and_progress(client, make):
    leader, _ = make.player_in_team("lead", "Red Dragons")
    me, _ = make.player_in_team("me", "Blue Herons")
    big = make.challenge(name="Big", value=300)
    small = make.challenge(name="Small", value=100)
    solve(client, make, leader, big)
    solve(client, make, me, small)
    login(client, "me")
    bar = standing(client.get("/challenges").text)
    assert bar == standing(client.get("/challenges").text)  # stable (served from the snapshot)
    assert re.search(r"Team\s+Blue Herons\s+Rank\s+2\s+Score\s+100 points\s+Solved\s+1 of 2", bar), bar
    ja = standing(client.get("/challenges?lang=ja").text)
    assert re.search(r"チーム\s+Blue Herons\s+順位\s+2\s+得点\s+100点\s+解答済み\s+2問中1問", ja), ja


def test_individual_mode_shows_the_players_own_standing(client, make, ctx):
    event.update_event(ctx, {"mode": "users"})
    solo = make.user("solo")
    make.user("idle")
    ch = make.challenge(value=50)
    solve(client, make, solo, ch)
    login(client, "solo")
    html = client.get("/challenges").text
    assert re.search(r"Player\s+solo\s+Rank\s+1\s+Score\s+50 points", standing(html))
    assert "Your standing" in html and "Your team" not in standing(html)


def test_staff_have_no_standing(client, make):
    make.challenge()
    make.admin("boss")
    login(client, "boss")
    assert standing(client.get("/challenges").text) == ""


def test_a_hidden_team_is_not_ranked_and_its_score_is_not_shown(client, make, ctx):
    user, team = make.player_in_team("hid", "Hidden Team")
    ch = make.challenge(value=100)
    solve(client, make, user, ch)
    with ctx.write() as uow:
        uow.session.get(t.Team, team.id).hidden = True
        uow.bump(SCOREBOARD, CHALLENGES)
    login(client, "hid")
    bar = standing(client.get("/challenges").text)
    assert bar == "Your team's standing Your team is not ranked on the public scoreboard."
    assert "100" not in bar


def test_a_frozen_scoreboard_gives_the_frozen_score_rank_and_no_later_first_blood(backend, client, make, ctx):
    clock = Clock(ctx)
    me, _ = make.player_in_team("ice", "Ice")
    rival, _ = make.player_in_team("fire", "Fire")
    before = make.challenge(name="Before", value=100)
    after = make.challenge(name="After", value=200)
    solve(client, make, me, before)
    event.update_event(ctx, {"freeze_at": clock.now + timedelta(minutes=1)})
    clock.advance(minutes=2)
    solve(client, make, rival, after)  # Fire's first blood, after the freeze
    login(client, "fire")
    html = client.get("/challenges").text
    bar = standing(html)
    # Fire's 200 points came after the freeze: the board still says 0 points, second place.
    assert re.search(r"Rank\s+2\s+Score\s+0 points", bar), bar
    assert "The scoreboard is frozen" in bar
    shown = cards(html)
    assert "chip-solved" in shown[after.id]  # their own solve they know about
    assert "chip-blood" not in shown[after.id]  # but not whether anyone else solved it after the freeze
    assert "1 solve" not in text_of(shown[after.id]) and "0 solves" in text_of(shown[after.id])
    login(client, "ice")
    assert "chip-blood" in cards(client.get("/challenges").text)[before.id]  # before the freeze: shown


# --- chips: first blood, new ------------------------------------------------------------------------


def test_first_blood_is_marked_only_for_the_account_that_took_it(backend, client, make):
    first, _ = make.player_in_team("quick", "Quick")
    second, _ = make.player_in_team("slow", "Slow")
    ch = make.challenge(name="Race")
    solve(client, make, first, ch)
    solve(client, make, second, ch)
    login(client, "quick")
    card = cards(client.get("/challenges").text)[ch.id]
    assert "blood" in opening(card) and "chip-blood" in card and "First blood" in card
    assert 'class="icon icon-blood" aria-hidden="true"' in card
    login(client, "slow")
    card = cards(client.get("/challenges").text)[ch.id]
    assert "chip-solved" in card and "chip-blood" not in card and "blood" not in opening(card)
    login(client, "quick")
    assert "ファーストブラッド" in cards(client.get("/challenges?lang=ja").text)[ch.id]


def test_a_challenge_released_during_the_event_is_new_for_an_hour(client, make, ctx):
    clock = Clock(ctx)
    event.update_event(ctx, {"start_at": clock.now - timedelta(hours=1)})
    make.player_in_team("nova")
    fresh = make.challenge(name="Fresh")
    login(client, "nova")
    assert "chip-new" in cards(client.get("/challenges").text)[fresh.id]
    clock.advance(minutes=61)
    assert "chip-new" not in cards(client.get("/challenges").text)[fresh.id]


def test_challenges_there_from_the_start_are_not_new(client, make, ctx):
    clock = Clock(ctx)
    early = make.challenge(name="Early")
    event.update_event(ctx, {"start_at": clock.now + timedelta(minutes=5)})
    clock.advance(minutes=10)
    make.player_in_team("nora")
    login(client, "nora")
    assert "chip-new" not in cards(client.get("/challenges").text)[early.id]


# --- the message after a correct answer -------------------------------------------------------------


def _answer(client: TestClient, challenge_id: int, flag: str = "flag{test}", lang: str = "") -> str:
    """Submit through the form (no JavaScript) and return the result area of the page it leads to."""
    r = post(client, f"/challenges/{challenge_id}/attempt", {"submission": flag}, follow_redirects=False)
    assert r.status_code == 303
    suffix = f"?{lang}" if lang else ""
    return result_area(client.get(f"/challenges/{challenge_id}{suffix}").text)


def test_first_blood_in_team_mode_in_each_language_mode(client, make):
    make.player_in_team("red", "Red Dragons")
    ones = [make.challenge(name=f"One {i}", value=100) for i in range(3)]
    login(client, "red")
    assert _answer(client, ones[0].id) == "Correct! +100 points for Red Dragons — first blood!"
    head = re.search(r'<div id="challenge-head".*?</div>', client.get(f"/challenges/{ones[0].id}").text, re.S)
    assert head and "chip-blood" in head.group(0) and "Your team has solved this challenge." in head.group(0)
    assert (
        _answer(client, ones[1].id, lang="lang=ja")
        == "正解です！Red Dragons が 100点を獲得しました。ファーストブラッドです！"
    )
    both = _answer(client, ones[2].id, lang="lang=ja&display=both")
    assert both == (
        "正解です！Red Dragons が 100点を獲得しました。ファーストブラッドです！"
        " / Correct! +100 points for Red Dragons — first blood!"
    )


def test_a_later_solve_is_not_called_first_blood(client, make):
    first, _ = make.player_in_team("early-bird", "Early")
    make.player_in_team("late-bird", "Late Birds")
    ch = make.challenge(value=1)
    solve(client, make, first, ch)
    login(client, "late-bird")
    assert _answer(client, ch.id) == "Correct! +1 point for Late Birds."
    assert "Your team has solved this challenge." in client.get(f"/challenges/{ch.id}").text


def test_individual_mode_speaks_to_the_player(client, make, ctx):
    event.update_event(ctx, {"mode": "users"})
    make.user("ann")
    make.user("bob")
    ch = make.challenge(value=1500)
    login(client, "ann")
    assert _answer(client, ch.id) == "Correct! You have scored 1,500 points — first blood!"
    login(client, "bob")
    assert _answer(client, ch.id, lang="lang=ja") == "正解です！1,500点を獲得しました。"


def test_during_a_freeze_the_message_does_not_say_whether_it_was_first_blood(client, make, ctx):
    make.player_in_team("frost", "Frost")
    ch = make.challenge(value=100)
    event.update_event(ctx, {"freeze_at": ctx.now() - timedelta(minutes=1)})
    login(client, "frost")
    assert _answer(client, ch.id) == "Correct! +100 points for Frost."


def test_the_api_answer_keeps_ctfds_shape(client, make):
    user, _ = make.player_in_team("api")
    ch = make.challenge()
    r = client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": ch.id, "submission": "flag{test}"},
        headers=auth(make.token(user)),
    )
    assert r.json() == {"success": True, "data": {"status": "correct", "message": "Correct"}}


def test_htmx_gets_the_message_and_the_solved_parts_of_the_page_out_of_band(client, make):
    other, _ = make.player_in_team("first-one", "Firsts")
    make.player_in_team("hx", "Htmx Team")
    ch = make.challenge(value=100)
    solve(client, make, other, ch)
    login(client, "hx")
    before = client.get(f"/challenges/{ch.id}").text
    assert re.search(r'<dd class="solve-count">1</dd>', before)
    r = client.post(
        f"/challenges/{ch.id}/attempt",
        data={"submission": "flag{test}", "csrf_token": csrf(client)},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and "<html" not in r.text
    assert r.text.lstrip().startswith('<div id="attempt-result"')
    assert result_area(r.text) == "Correct! +100 points for Htmx Team."
    head = re.search(
        r'<div id="challenge-head" class="challenge-head solved" hx-swap-oob="true">.*?</div>', r.text, re.S
    )
    assert head, r.text
    assert '<dd class="solve-count">2</dd>' in head.group(0)
    assert "chip-blood" not in head.group(0)  # Firsts solved it first
    assert "Your team has solved this challenge." in head.group(0)
    solvers = re.search(r'<section id="challenge-solvers"[^>]*hx-swap-oob="true">.*?</section>', r.text, re.S)
    assert solvers and "Htmx Team" in solvers.group(0) and "Firsts" in solvers.group(0)


def test_htmx_wrong_answers_get_only_the_result(client, make):
    make.player_in_team("hx2")
    ch = make.challenge()
    login(client, "hx2")
    r = client.post(
        f"/challenges/{ch.id}/attempt",
        data={"submission": "flag{nope}", "csrf_token": csrf(client)},
        headers={"HX-Request": "true"},
    )
    assert result_area(r.text) == "Incorrect" and "hx-swap-oob" not in r.text


def test_without_a_start_time_nothing_is_new(client, make):
    make.player_in_team("none")
    ch = make.challenge(name="Whenever")
    login(client, "none")
    assert "chip-new" not in cards(client.get("/challenges").text)[ch.id]


def test_staff_checking_a_flag_get_a_plain_correct_and_nothing_swapped(client, make):
    ch = make.challenge()
    make.admin("checker")
    login(client, "checker")
    r = client.post(
        f"/challenges/{ch.id}/attempt",
        data={"submission": "flag{test}", "csrf_token": csrf(client)},
        headers={"HX-Request": "true"},
    )
    assert result_area(r.text) == "Correct" and "hx-swap-oob" not in r.text


def test_first_blood_goes_to_the_first_ranked_account_as_the_first_solvers_list_says(
    backend, client, make, ctx
):
    early, early_team = make.player_in_team("shady", "Shady")
    make.player_in_team("honest", "Honest")
    ch = make.challenge(name="Contested")
    solve(client, make, early, ch)
    login(client, "honest")
    assert _answer(client, ch.id) == "Correct! +100 points for Honest."  # the second solve
    assert "chip-blood" not in cards(client.get("/challenges").text)[ch.id]
    with ctx.write() as uow:  # the first solver is hidden pending review: no longer ranked
        uow.session.get(t.Team, early_team.id).hidden = True
        uow.bump(SCOREBOARD, CHALLENGES)
    assert "chip-blood" in cards(client.get("/challenges").text)[ch.id]
    assert "Shady" not in client.get(f"/challenges/{ch.id}").text


def test_first_solver_on_a_tie_is_the_lowest_ranked_solve(backend, make, ctx):
    from kizuna.storage import repo, snapshot_queries
    from tests.conftest import record_solve

    hidden_user, hidden_team = make.player_in_team("tie-hidden")
    a_user, a_team = make.player_in_team("tie-a")
    b_user, b_team = make.player_in_team("tie-b")
    ch = make.challenge()
    same = ctx.now() - timedelta(minutes=5)
    with ctx.write() as uow:
        record_solve(uow, ch.id, hidden_user, hidden_team.id, same)
        record_solve(uow, ch.id, b_user, b_team.id, same)
        record_solve(uow, ch.id, a_user, a_team.id, same)
        uow.session.get(t.Team, hidden_team.id).hidden = True
    with ctx.db.read() as s:
        ranked = repo._ranked_accounts_subquery(s)
        assert snapshot_queries.first_solvers(s, ranked, [(ch.id, same)]) == {ch.id: b_team.id}
        rows = {r["id"]: r for r in snapshot_queries.challenge_rows(s, None)}
        assert rows[ch.id]["first_account"] == b_team.id and rows[ch.id]["solves"] == 2
        assert snapshot_queries.challenge_rows(s, same)[0]["first_account"] is None  # nothing before
