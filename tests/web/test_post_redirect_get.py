"""Post/Redirect/Get on the player pages: a form that changes something answers 303 to a page that
shows the outcome once, so reloading that page repeats nothing. The message waits in the session as
an id plus values — rendered in the reader's language when shown, never holding the flag."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from fastapi.testclient import TestClient

from kizuna.storage import tables as t
from tests.conftest import PASSWORD, login
from tests.web.test_pages_player import post, text_of

FLAG = "flag{prg-Sekret-42}"
WRONG = "flag{prg-wrong-guess-17}"


def session_of(client: TestClient) -> dict[str, Any]:
    """The session cookie's content (Starlette signs it, base64 JSON; it is not encrypted)."""
    raw = client.cookies.get("kizuna_session")
    if not raw:
        return {}
    payload = raw.split(".")[0]
    data: dict[str, Any] = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    return data


def result_area(html: str) -> str:
    m = re.search(r'<div id="attempt-result"[^>]*>(.*?)</div>', html, re.S)
    assert m, "no result area"
    return text_of(m.group(1)).strip()


def _submissions(ctx: Any) -> int:
    with ctx.db.read() as s:
        return s.query(t.Submission).count()


# --- flags without JavaScript ---------------------------------------------------------------------


def test_a_flag_form_redirects_and_the_result_shows_once(backend, client, make, ctx):
    make.player_in_team("prg-flag")
    ch = make.challenge(name="PRG flag", flag=FLAG, value=50, max_attempts=5)
    login(client, "prg-flag")

    r = post(client, f"/challenges/{ch.id}/attempt", {"submission": WRONG}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/challenges/{ch.id}#attempt-result"
    # The flag is nowhere but in the database: not in the address, not in the session cookie.
    assert WRONG not in r.headers["location"] and WRONG not in json.dumps(session_of(client))
    assert session_of(client)["flash"]["id"] == "incorrect_remaining"

    page = client.get(f"/challenges/{ch.id}")
    assert result_area(page.text) == "Incorrect. You have 4 tries remaining."
    assert WRONG not in page.text
    assert "flash" not in session_of(client)
    # Reloading shows the page without the message and submits nothing again.
    again = client.get(f"/challenges/{ch.id}")
    assert result_area(again.text) == ""
    assert "4 attempts left" in again.text
    assert _submissions(ctx) == 1

    r = post(client, f"/challenges/{ch.id}/attempt", {"submission": FLAG}, follow_redirects=False)
    assert r.status_code == 303 and FLAG not in r.headers["location"]
    assert FLAG not in json.dumps(session_of(client))
    page = client.get(r.headers["location"])
    assert result_area(page.text) == "Correct! +50 points for team1 — first blood!"
    assert FLAG not in page.text
    assert "Your team has solved this challenge." in page.text
    assert result_area(client.get(f"/challenges/{ch.id}").text) == ""
    assert _submissions(ctx) == 2


def test_the_message_is_rendered_in_the_language_of_the_page_that_shows_it(client, make):
    make.player_in_team("prg-lang")
    ch = make.challenge(flag=FLAG)
    login(client, "prg-lang")
    post(client, f"/challenges/{ch.id}/attempt", {"submission": WRONG}, follow_redirects=False)
    # Stored as an id, so switching the language before it is shown still shows it in Japanese.
    assert result_area(client.get(f"/challenges/{ch.id}?lang=ja").text) == "不正解"
    post(client, f"/challenges/{ch.id}/attempt", {"submission": WRONG}, follow_redirects=False)
    both = result_area(client.get(f"/challenges/{ch.id}?display=both&lang=ja").text)
    assert "不正解" in both and "Incorrect" in both


def test_an_empty_flag_and_a_refused_attempt_also_redirect(client, make, ctx):
    make.player_in_team("prg-empty")
    ch = make.challenge(flag=FLAG, max_attempts=1)
    login(client, "prg-empty")
    r = post(client, f"/challenges/{ch.id}/attempt", {"submission": "   "}, follow_redirects=False)
    assert r.status_code == 303
    assert result_area(client.get(f"/challenges/{ch.id}").text) == "This field is required."
    assert _submissions(ctx) == 0
    post(client, f"/challenges/{ch.id}/attempt", {"submission": WRONG})
    r = post(client, f"/challenges/{ch.id}/attempt", {"submission": FLAG}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert result_area(page) == "Not accepted. You have no attempts left for this challenge."
    assert FLAG not in page


def test_a_message_for_one_page_is_not_taken_by_another(client, make):
    make.player_in_team("prg-tabs")
    ch = make.challenge(flag=FLAG)
    other = make.challenge(name="Other tab")
    login(client, "prg-tabs")
    post(client, f"/challenges/{ch.id}/attempt", {"submission": WRONG}, follow_redirects=False)
    assert result_area(client.get(f"/challenges/{other.id}").text) == ""
    client.get("/scoreboard")
    assert result_area(client.get(f"/challenges/{ch.id}").text) == "Incorrect"


def test_htmx_still_gets_the_result_fragment(client, make):
    make.player_in_team("prg-htmx")
    ch = make.challenge(flag=FLAG)
    login(client, "prg-htmx")
    r = post(client, f"/challenges/{ch.id}/attempt", {"submission": WRONG}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert r.text.strip().startswith('<div id="attempt-result"') and "Incorrect" in r.text
    assert WRONG not in r.text
    assert "flash" not in session_of(client)


def test_a_hidden_challenge_still_answers_404_to_a_flag(client, make, ctx):
    make.player_in_team("prg-hidden")
    ch = make.challenge(flag=FLAG, state="hidden")
    login(client, "prg-hidden")
    r = post(client, f"/challenges/{ch.id}/attempt", {"submission": FLAG}, follow_redirects=False)
    assert r.status_code == 404
    assert "flash" not in session_of(client)


# --- teams ----------------------------------------------------------------------------------------


def test_team_forms_redirect_and_say_what_happened_once(backend, app, make, ctx):
    make.user("prg-cap")
    make.user("prg-mate")
    with TestClient(app) as cap, TestClient(app) as mate:
        login(cap, "prg-cap")
        r = post(cap, "/teams/new", {"name": "Redirectors"}, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/team")
        assert "Your team has been created." in cap.get("/team").text
        assert "Your team has been created." not in cap.get("/team").text

        r = post(cap, "/team/invite", {}, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/team")
        page = cap.get("/team").text
        assert "The old code no longer works." in page
        assert "The old code no longer works." not in cap.get("/team").text
        code = re.search(r'id="invite-code"[^>]*value="([^"]+)"', page).group(1)

        login(mate, "prg-mate")
        r = post(mate, "/teams/join", {"code": code}, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/team")
        assert "You have joined the team." in mate.get("/team?lang=en").text
        r = post(mate, "/team/leave", {}, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/team")
        assert "チームを抜けました。" in mate.get("/team?lang=ja").text  # shown in the language asked for
        assert "チームを抜けました。" not in mate.get("/team?lang=ja").text
    with ctx.db.read() as s:
        assert s.query(t.User).filter(t.User.name == "prg-mate").one().team_id is None


def test_a_refused_team_form_is_shown_again_with_its_error(client, make):
    make.user("prg-solo")
    login(client, "prg-solo")
    r = post(client, "/teams/join", {"code": "nope"}, follow_redirects=False)
    assert r.status_code == 400
    assert "That invite code is not valid." in r.text


# --- the account page -----------------------------------------------------------------------------


def test_account_forms_redirect_and_say_what_happened_once(backend, client, make, ctx):
    user = make.user("prg-acct")
    token = make.token(user)
    login(client, "prg-acct")
    cases = [
        ("/account/time-zone", {"time_zone": "Asia/Tokyo"}, "Your time zone preference has been saved."),
        ("/account/language", {"locale": "ja"}, "言語の設定を保存しました。"),
        ("/account/language", {"locale": "en"}, "Your language preference has been saved."),
        (
            "/account/password",
            {"password": PASSWORD, "new_password": "prg-new-password-1", "confirm": "prg-new-password-1"},
            "Your password has been changed.",
        ),
    ]
    for path, data, message in cases:
        r = post(client, path, data, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/account"), path
        assert message in client.get("/account").text, path
        assert message not in client.get("/account").text, path
    assert "prg-new-password-1" not in json.dumps(session_of(client))
    with ctx.db.read() as s:
        row = s.query(t.User).filter(t.User.name == "prg-acct").one()
        assert (row.time_zone, row.locale) == ("Asia/Tokyo", "en")
        token_id = s.query(t.Token).filter(t.Token.user_id == user.id).one().id
    r = post(client, f"/account/tokens/{token_id}/delete", {}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/account")
    assert "The token has been deleted." in client.get("/account").text
    assert token not in client.get("/account").text


def test_a_new_token_is_shown_once_by_the_answer_itself_and_never_kept(client, make):
    """The one exception: the token is a secret, so it is not parked in the (readable) session
    cookie for a redirect; the answer carries it and may not be stored."""
    make.user("prg-token")
    login(client, "prg-token")
    r = post(client, "/account/tokens", {"description": "ci"}, follow_redirects=False)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    value = re.search(r'id="new-token"[^>]*value="(kzn_[0-9a-f]+)"', r.text).group(1)
    assert value not in json.dumps(session_of(client))
    assert value not in client.get("/account").text


def test_a_refused_account_form_is_shown_again_with_its_error(client, make):
    make.user("prg-bad")
    login(client, "prg-bad")
    r = post(client, "/account/language", {"locale": "xx"}, follow_redirects=False)
    assert r.status_code == 400
    assert "This value is not valid." in r.text
