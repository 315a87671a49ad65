"""Flags with ``data: "exact"``: accepted by the flags API and the admin form, and compared byte for
byte when players submit, while ordinary flags keep accepting full-width IME input."""

from __future__ import annotations

import re

from kizuna.storage import tables as t
from tests.conftest import auth
from tests.web.test_pages_admin import as_admin, post, text_of


def _attempt(client, headers, challenge_id, text):
    r = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": challenge_id, "submission": text}, headers=headers
    )
    assert r.status_code == 200, r.text
    return r.json()["data"]["status"]


def test_exact_flags_through_the_api_and_attempts(backend, client, make):
    admin = auth(make.token(make.admin()))
    exact = make.challenge(name="Exact", flag=None)
    loose = make.challenge(name="Loose", flag="flag{x}")
    r = client.post(
        "/api/v1/flags",
        json={"challenge_id": exact.id, "type": "static", "content": "ｆｌａｇ｛x｝", "data": "exact"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    flag = r.json()["data"]
    assert (flag["content"], flag["data"]) == ("ｆｌａｇ｛x｝", "exact")
    assert client.get(f"/api/v1/flags/{flag['id']}", headers=admin).json()["data"]["data"] == "exact"
    bad = client.post(
        "/api/v1/flags",
        json={"challenge_id": exact.id, "type": "static", "content": "x", "data": "sometimes"},
        headers=admin,
    )
    assert bad.status_code == 400 and "data" in bad.json()["errors"]

    player, _team = make.player_in_team()
    p = auth(make.token(player))
    for wrong in ("flag{x}", " ｆｌａｇ｛x｝", "ｆｌａｇ｛x｝\u3000", "ｆｌａｇ｛ｘ｝"):
        assert _attempt(client, p, exact.id, wrong) == "incorrect"
    assert _attempt(client, p, exact.id, "ｆｌａｇ｛x｝") == "correct"
    assert _attempt(client, p, loose.id, "\u3000ｆｌａｇ｛ｘ｝\n") == "correct"


def test_patching_a_flag_to_exact_and_a_raw_regex(client, make):
    admin = auth(make.token(make.admin()))
    ch = make.challenge(name="Regex", flag=None)
    made = client.post(
        "/api/v1/flags",
        json={"challenge_id": ch.id, "type": "regex", "content": r"flag\{\d+\}"},
        headers=admin,
    ).json()["data"]
    r = client.patch(f"/api/v1/flags/{made['id']}", json={"data": "exact"}, headers=admin)
    assert r.status_code == 200 and r.json()["data"]["data"] == "exact"
    player, _team = make.player_in_team()
    p = auth(make.token(player))
    assert _attempt(client, p, ch.id, "ｆｌａｇ｛１２｝") == "incorrect"  # NFKC would have made it match
    assert _attempt(client, p, ch.id, "flag{12}") == "correct"


def test_admin_form_adds_an_exact_flag(backend, client, make, ctx):
    ch = make.challenge(name="Width", flag=None)
    as_admin(client, make)
    page = client.get(f"/admin/challenges/{ch.id}").text
    assert re.search(r'<option value="exact"[^>]*>Byte for byte \(no width or space folding\)</option>', page)
    r = post(client, f"/admin/challenges/{ch.id}/flags", {"flag_type": "exact", "flag_content": " ｋ｛x｝"})
    assert r.status_code == 303, r.text
    with ctx.db.read() as s:
        assert [(f.type, f.content, f.data) for f in s.query(t.Flag)] == [("static", " ｋ｛x｝", "exact")]
    shown = text_of(client.get(f"/admin/challenges/{ch.id}").text)
    assert "Byte for byte (no width or space folding) ｋ｛x｝" in shown


def test_admin_form_refuses_an_exact_flag_that_is_case_insensitive(client, make, ctx):
    ch = make.challenge(name="Width", flag=None)
    as_admin(client, make)
    r = post(
        client,
        f"/admin/challenges/{ch.id}/flags",
        {"flag_type": "exact", "flag_content": "k{x}", "flag_case_insensitive": "1"},
    )
    assert r.status_code == 400
    message = "Case-insensitive: A flag compared byte for byte cannot also be case-insensitive."
    assert re.search(r'id="e-flag_case_insensitive">' + re.escape(message), r.text)
    assert re.search(r'<option value="exact" selected>', r.text)  # what was chosen is kept
    with ctx.db.read() as s:
        assert s.query(t.Flag).count() == 0
