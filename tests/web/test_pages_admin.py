"""The admin pages, driven as a browser without JavaScript would: forms, redirects and messages,
checked against what players then see through the API."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from kizuna.services import event, submissions
from kizuna.services.accounts import Principal
from kizuna.storage import tables as t
from tests.conftest import PASSWORD, _csrf_from, auth, login

ADMIN_PAGES = (
    "/admin",
    "/admin/event",
    "/admin/challenges",
    "/admin/challenges/new",
    "/admin/accounts",
    "/admin/teams",
    "/admin/awards",
    "/admin/submissions",
)


def text_of(html: str) -> str:
    """The page's text with tags removed and white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def post(client: TestClient, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    """Submit a page form with the session's CSRF token, without following the redirect."""
    token = _csrf_from(client.get("/login").text)
    kw.setdefault("follow_redirects", False)
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kw)


def as_admin(client: TestClient, make: Any) -> Any:
    admin = make.admin("root")
    login(client, "root")
    return admin


def scoreboard(client: TestClient) -> dict[str, int]:
    rows = client.get("/api/v1/scoreboard").json()["data"]
    return {row["name"]: row["score"] for row in rows}


def challenge_form(**overrides: Any) -> dict[str, Any]:
    """The challenge details form in English; ``name`` and ``description`` fill the English column."""
    for field in ("name", "description"):
        if field in overrides:
            overrides[f"{field}_en"] = overrides.pop(field)
    form: dict[str, Any] = {
        "locale": "en",
        "name_en": "Warm-up",
        "category": "web",
        "description_en": "Find the **flag**.",
        "connection_info": "nc warmup.example 1337",
        "type": "standard",
        "value": "150",
        "function": "static",
        "initial": "",
        "minimum": "",
        "decay": "",
        "state": "visible",
        "max_attempts": "0",
        "position": "1",
    }
    form.update(overrides)
    return form


# --- who may use the admin pages ------------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_player_gets_403(client, make, path):
    make.user("mallory")
    login(client, "mallory")
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 403
    assert "You do not have permission to do that." in r.text


def test_a_player_cannot_post_to_admin_forms(client, make, ctx):
    ch = make.challenge(name="Keep me")
    make.user("mallory")
    login(client, "mallory")
    assert post(client, "/admin/challenges/new", challenge_form()).status_code == 403
    assert post(client, f"/admin/challenges/{ch.id}/delete").status_code == 403
    assert post(client, "/admin/event", {"name": "Pwned"}).status_code == 403
    with ctx.db.read() as s:
        assert s.query(t.Challenge).count() == 1
    assert event.get_event(ctx).name != "Pwned"


@pytest.mark.parametrize("path", [*ADMIN_PAGES, "/admin/submissions?type=correct"])
def test_anonymous_visitors_are_sent_to_log_in(client, path):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=" + path.replace("?", "%3F").replace("=", "%3D")


def test_the_overview_counts_and_links(client, make):
    make.player_in_team("alice")
    make.challenge(name="One")
    as_admin(client, make)
    r = client.get("/admin")
    assert r.status_code == 200
    page = text_of(r.text)
    assert "The event is running." in page
    assert 'href="/admin/challenges/new"' in r.text
    assert re.search(r'<span class="count">2</span> Accounts', r.text)
    assert re.search(r'<span class="count">1</span> Challenges', r.text)
    assert 'aria-label="Administration"' in r.text


# --- challenges -----------------------------------------------------------------------------------


def test_create_a_challenge_with_flag_hint_tag_and_file_then_a_player_sees_it(backend, client, make, ctx):
    player, _team = make.player_in_team("alice")
    token = make.token(player)
    as_admin(client, make)

    r = post(client, "/admin/challenges/new", challenge_form())
    assert r.status_code == 303, r.text
    edit_url = r.headers["location"]
    challenge_id = int(edit_url.rsplit("/", 1)[-1])
    page = client.get(edit_url)
    assert "The challenge has been created." in page.text
    assert "<strong>flag</strong>" in page.text  # the description preview

    r = post(
        client,
        f"/admin/challenges/{challenge_id}/flags",
        {"flag_type": "static", "flag_content": "kizuna{Warm}", "flag_case_insensitive": "1"},
    )
    assert r.status_code == 303 and r.headers["location"].endswith("#flags")
    r = post(
        client,
        f"/admin/challenges/{challenge_id}/hints",
        {"hint_title_en": "Nudge", "hint_content_en": "Look at the *source*.", "hint_cost": "10"},
    )
    assert r.status_code == 303
    assert (
        post(client, f"/admin/challenges/{challenge_id}/tags", {"tag_value": "beginner"}).status_code == 303
    )
    data = b"\x00binary\xffcontent"
    r = client.post(
        f"/admin/challenges/{challenge_id}/files",
        data={"csrf_token": _csrf_from(client.get("/login").text)},
        files={"file": ("../../etc/hand out.bin", data, "application/octet-stream")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text

    page = client.get(edit_url).text
    assert "The file has been uploaded." in page
    assert "kizuna{Warm}" in page
    assert hashlib.sha1(data, usedforsecurity=False).hexdigest() in page
    assert "<td>hand out.bin</td>" in page  # the path is dropped from the name

    listed = client.get("/api/v1/challenges", headers=auth(token)).json()["data"]
    assert [(c["name"], c["value"], c["category"]) for c in listed] == [("Warm-up", 150, "web")]
    detail = client.get(f"/api/v1/challenges/{challenge_id}", headers=auth(token)).json()["data"]
    assert detail["tags"] == ["beginner"]
    assert detail["connection_info"] == "nc warmup.example 1337"
    assert [h["title"] for h in detail["hints"]] == ["Nudge"]
    assert len(detail["files"]) == 1
    assert unquote(detail["files"][0].split("?")[0]).endswith("/hand out.bin")
    r = client.post(
        "/api/v1/challenges/attempt",
        headers=auth(token),
        json={"challenge_id": challenge_id, "submission": "KIZUNA{warm}"},
    )
    assert r.json()["data"]["status"] == "correct"


def test_new_challenges_start_hidden(client, make):
    as_admin(client, make)
    page = client.get("/admin/challenges/new").text
    assert re.search(r'<option value="hidden" selected>', page)


def test_a_dangerous_regex_shows_the_error_and_stores_nothing(backend, client, make, ctx):
    ch = make.challenge(name="Regex", flag=None)
    as_admin(client, make)
    r = post(
        client,
        f"/admin/challenges/{ch.id}/flags",
        {"flag_type": "regex", "flag_content": "kizuna{(a+)+}"},
    )
    assert r.status_code == 400
    message = "Flag: The regular expression could take too long to match; simplify it."
    assert 'role="alert"' in r.text
    assert re.search(r'<p class="field-error" id="e-flag_content">' + re.escape(message), r.text)
    assert re.search(r'id="f-flag_content"[^>]*aria-describedby="[^"]*e-flag_content', r.text)
    assert 'value="kizuna{(a+)+}"' in r.text  # what was typed is kept
    with ctx.db.read() as s:
        assert s.query(t.Flag).count() == 0


def test_challenge_form_errors_keep_the_input_and_change_nothing(client, make, ctx):
    ch = make.challenge(name="Stable", value=100)
    as_admin(client, make)
    r = post(client, f"/admin/challenges/{ch.id}", challenge_form(name="Renamed", value="lots"))
    assert r.status_code == 400
    assert re.search(r'id="e-value">Value: enter a whole number.</p>', r.text)
    assert 'value="Renamed"' in r.text
    r = post(client, "/admin/challenges/new", challenge_form(name=" "))
    assert r.status_code == 400
    assert re.search(r'id="e-name_en">Name \(English\): fill this in.</p>', r.text)
    with ctx.db.read() as s:
        assert [(c.name, c.value) for c in s.query(t.Challenge)] == [("Stable", 100)]


def test_dynamic_scoring_and_prerequisites(client, make, ctx):
    first = make.challenge(name="First")
    as_admin(client, make)
    form = challenge_form(
        name="Second",
        type="dynamic",
        value="",
        function="linear",
        initial="500",
        minimum="100",
        decay="50",
        prerequisites=[str(first.id)],
        anonymize="1",
    )
    r = post(client, "/admin/challenges/new", form)
    assert r.status_code == 303, r.text
    with ctx.db.read() as s:
        second = s.query(t.Challenge).filter(t.Challenge.name == "Second").one()
    assert (second.type, second.function, second.value, second.minimum) == ("dynamic", "linear", 500, 100)
    assert second.requirements == {"prerequisites": [first.id], "anonymize": True}
    page = client.get(f"/admin/challenges/{second.id}").text
    assert re.search(rf'<option value="{first.id}" selected>First</option>', page)
    # Missing decay parameters are reported next to the decay field.
    r = post(
        client, f"/admin/challenges/{second.id}", challenge_form(type="dynamic", value="", function="linear")
    )
    assert r.status_code == 400
    assert "Decaying challenges need initial, minimum and decay values." in r.text


def test_edit_and_delete_a_hint_and_refuse_another_challenges_parts(client, make, ctx):
    ch = make.challenge(name="Hinted")
    other = make.challenge(name="Other")
    as_admin(client, make)
    post(client, f"/admin/challenges/{ch.id}/hints", {"hint_content_en": "old", "hint_cost": "5"})
    with ctx.db.read() as s:
        hint = s.query(t.Hint).one()
    r = post(
        client,
        f"/admin/challenges/{ch.id}/hints/{hint.id}",
        {"title_en": "T", "content_en": "new", "cost": "-1"},
    )
    assert r.status_code == 400
    assert re.search(rf'id="e-hint-{hint.id}-cost">Cost in points: enter a whole number.', r.text)
    r = post(
        client,
        f"/admin/challenges/{ch.id}/hints/{hint.id}",
        {"title_en": "T", "content_en": "new", "cost": "7"},
    )
    assert r.status_code == 303
    assert post(client, f"/admin/challenges/{other.id}/hints/{hint.id}/delete").status_code == 404
    with ctx.db.read() as s:
        assert [(h.title, h.content, h.cost) for h in s.query(t.Hint)] == [("T", "new", 7)]
    assert post(client, f"/admin/challenges/{ch.id}/hints/{hint.id}/delete").status_code == 303
    with ctx.db.read() as s:
        assert s.query(t.Hint).count() == 0


def test_deleting_a_challenge_asks_first(client, make, ctx):
    ch = make.challenge(name="Doomed")
    as_admin(client, make)
    confirm = client.get(f"/admin/challenges/{ch.id}/delete")
    assert confirm.status_code == 200
    assert "This cannot be undone." in confirm.text
    assert f'action="/admin/challenges/{ch.id}/delete"' in confirm.text
    with ctx.db.read() as s:
        assert s.query(t.Challenge).count() == 1
    r = post(client, f"/admin/challenges/{ch.id}/delete")
    assert r.headers["location"] == "/admin/challenges"
    assert "The challenge has been deleted." in client.get("/admin/challenges").text
    with ctx.db.read() as s:
        assert s.query(t.Challenge).count() == 0
    assert client.get(f"/admin/challenges/{ch.id}").status_code == 404


# --- event settings -------------------------------------------------------------------------------


def event_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name_en": "Kizuna CTF 2025",
        "description_en": "Welcome!",
        "name_ja": "",
        "description_ja": "",
        "time_zones": "Europe/London\nAsia/Tokyo",
        "content_locales": "",
        "mode": "teams",
        "team_size_limit": "4",
        "start_at": "2025-03-01T09:00",
        "end_at": "2025-03-02T09:00",
        "freeze_at": "",
        "registration_open": "1",
        "default_locale": "ja",
    }
    form.update(overrides)
    return form


def test_event_settings_are_saved_as_utc(backend, client, make, ctx):
    as_admin(client, make)
    r = post(client, "/admin/event", event_form(paused="1"))
    assert r.status_code == 303, r.text
    ev = event.get_event(ctx)
    assert (ev.name, ev.start_at, ev.end_at) == (
        "Kizuna CTF 2025",
        datetime(2025, 3, 1, 9, 0),
        datetime(2025, 3, 2, 9, 0),
    )
    assert (ev.paused, ev.registration_open, ev.email_required, ev.default_locale) == (
        True,
        True,
        False,
        "ja",
    )
    page = client.get("/admin/event").text
    assert "The event settings have been saved." in page
    # The form had no zones (as before they were offered): read as UTC, shown back in UTC.
    assert 'value="2025-03-01T09:00"' in page
    assert '<option value="UTC" selected>' in page


def test_invalid_event_settings_show_the_message_and_change_nothing(backend, client, make, ctx):
    as_admin(client, make)
    before = event.get_event(ctx)
    r = post(client, "/admin/event", event_form(end_at="2025-02-28T09:00", name_en="Changed?"))
    assert r.status_code == 400
    assert 'role="alert"' in r.text
    assert re.search(r'<p class="field-error" id="e-end_at">End: must be later than the start.', r.text)
    assert 'value="Changed?"' in r.text and 'value="2025-02-28T09:00"' in r.text
    r = post(client, "/admin/event", event_form(team_size_limit="-2"))
    assert r.status_code == 400 and 'id="e-team_size_limit"' in r.text
    r = post(client, "/admin/event", event_form(start_at="not a time"))
    assert r.status_code == 400 and 'id="e-start_at"' in r.text
    after = event.get_event(ctx)
    assert (after.name, after.start_at, after.end_at, after.team_size_limit) == (
        before.name,
        before.start_at,
        before.end_at,
        before.team_size_limit,
    )


def test_event_name_and_description_per_language_with_markers(client, make, ctx):
    as_admin(client, make)
    page = client.get("/admin/event").text
    assert 'name="name_en"' in page and 'name="name_ja"' in page and 'name="description_ja"' in page
    assert 'lang="ja"' in page
    r = post(client, "/admin/event", event_form(name_ja="絆CTF 2025", description_ja=""))
    assert r.status_code == 303, r.text
    ev = event.get_event(ctx)
    assert (ev.name, ev.description, ev.locale) == ("Kizuna CTF 2025", "Welcome!", "en")
    assert ev.translations == {"ja": {"name": "絆CTF 2025"}}
    page = text_of(client.get("/admin/event").text)
    assert "English (original) Complete" in page and "日本語 Missing: description" in page
    # Emptying a language removes its translation; the event's own name is required.
    post(client, "/admin/event", event_form())
    assert event.get_event(ctx).translations is None
    r = post(client, "/admin/event", event_form(name_en=" ", name_ja="絆"))
    assert r.status_code == 400 and 'id="e-name_en"' in r.text
    assert 'value="絆"' in r.text


def test_event_time_zones_and_content_order_on_the_settings_page(client, make, ctx):
    as_admin(client, make)
    page = client.get("/admin/event").text
    assert "Europe/London\nAsia/Tokyo</textarea>" in page
    assert "Leave empty for the default order: en, ja." in text_of(page)
    r = post(
        client,
        "/admin/event",
        event_form(time_zones="Asia/Tokyo\r\nAmerica/New_York", content_locales="ja, en"),
    )
    assert r.status_code == 303, r.text
    ev = event.get_event(ctx)
    assert (ev.time_zones, ev.content_locales) == (["Asia/Tokyo", "America/New_York"], ["ja", "en"])
    r = post(client, "/admin/event", event_form(time_zones="Asia/Tokyo\nMars/Olympus"))
    assert r.status_code == 400
    assert re.search(
        r'<p class="field-error" id="e-time_zones">Time zones: “Mars/Olympus” is not a time zone', r.text
    )
    assert "Asia/Tokyo\nMars/Olympus</textarea>" in r.text
    r = post(
        client, "/admin/event", event_form(time_zones="UTC Asia/Tokyo Europe/Paris Europe/Berlin Asia/Seoul")
    )
    assert r.status_code == 400 and "Time zones: enter one to four time zones." in r.text
    r = post(client, "/admin/event", event_form(content_locales="ja, 日本語"))
    assert r.status_code == 400 and 'id="e-content_locales"' in r.text
    # Left empty: the default zones and order.
    post(client, "/admin/event", event_form(time_zones="", content_locales=""))
    ev = event.get_event(ctx)
    assert (ev.time_zones, ev.content_locales) == (None, None)


# --- accounts and teams ---------------------------------------------------------------------------


def test_ban_a_team_and_it_leaves_the_scoreboard(backend, client, make, ctx):
    alice, red = make.player_in_team("alice", "Red")
    _bob, _blue = make.player_in_team("bob", "Blue")
    ch = make.challenge(name="Easy", flag="flag{x}")
    submissions.submit_flag(ctx, Principal.of(alice), ch.id, "flag{x}")
    as_admin(client, make)
    assert set(scoreboard(client)) == {"Red", "Blue"}
    page = client.get(f"/admin/teams/{red.id}").text
    assert "alice" in page and "Captain" in page
    r = post(client, f"/admin/teams/{red.id}/toggle", {"field": "banned", "value": "1"})
    assert r.status_code == 303
    assert set(scoreboard(client)) == {"Blue"}
    assert "Lift the ban" in client.get(f"/admin/teams/{red.id}").text
    with ctx.db.read() as s:
        assert s.get(t.Team, red.id).banned is True


def test_rename_and_delete_a_team(client, make, ctx):
    alice, red = make.player_in_team("alice", "Red")
    make.player_in_team("bob", "Blue")
    as_admin(client, make)
    r = post(client, f"/admin/teams/{red.id}", {"name": "ｂｌｕｅ"})
    assert r.status_code == 400 and "That name is already taken." in r.text
    assert post(client, f"/admin/teams/{red.id}", {"name": "Crimson"}).status_code == 303
    assert "Crimson" in client.get("/admin/teams").text
    assert "This cannot be undone." in client.get(f"/admin/teams/{red.id}/delete").text
    assert post(client, f"/admin/teams/{red.id}/delete").headers["location"] == "/admin/teams"
    with ctx.db.read() as s:
        assert s.get(t.Team, red.id) is None
        assert s.get(t.User, alice.id).team_id is None


def test_account_list_search_and_edit(client, make, ctx):
    alice = make.user("Alice")
    make.user("bob")
    as_admin(client, make)
    page = client.get("/admin/accounts", params={"q": "ＡＬＩ"}).text
    assert ">Alice</a>" in page and ">bob</a>" not in page
    r = post(client, f"/admin/accounts/{alice.id}", {"name": "alice2", "email": "bad", "role": "player"})
    assert r.status_code == 400 and "That does not look like an email address." in r.text
    r = post(
        client, f"/admin/accounts/{alice.id}", {"name": "alice2", "email": "a@example.com", "role": "admin"}
    )
    assert r.status_code == 303
    assert (
        post(client, f"/admin/accounts/{alice.id}/toggle", {"field": "hidden", "value": "1"}).status_code
        == 303
    )
    with ctx.db.read() as s:
        row = s.get(t.User, alice.id)
        assert (row.name, row.email, row.role, row.hidden) == ("alice2", "a@example.com", "admin", True)


def test_set_a_password_and_ban_an_account(client, make, ctx):
    alice = make.user("alice")
    as_admin(client, make)
    r = post(client, f"/admin/accounts/{alice.id}/password", {"password": "short", "confirm": "short"})
    assert r.status_code == 400 and "Passwords must be at least 8 characters long." in r.text
    r = post(client, f"/admin/accounts/{alice.id}/password", {"password": "new-password-1", "confirm": "x"})
    assert r.status_code == 400 and "The two passwords do not match." in r.text
    r = post(
        client,
        f"/admin/accounts/{alice.id}/password",
        {"password": "new-password-1", "confirm": "new-password-1"},
    )
    assert r.status_code == 303
    assert (
        post(client, f"/admin/accounts/{alice.id}/toggle", {"field": "banned", "value": "1"}).status_code
        == 303
    )
    other = TestClient(client.app)
    page = other.get("/login")
    r = other.post(
        "/login",
        data={"name": "alice", "password": "new-password-1", "csrf_token": _csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 403  # the new password is right, but the account is banned


def test_an_admin_cannot_lock_themselves_out(client, make, ctx):
    admin = as_admin(client, make)
    r = post(client, f"/admin/accounts/{admin.id}", {"name": "root", "email": "", "role": "player"})
    assert r.status_code == 400 and "You cannot remove your own admin role or ban yourself." in r.text
    r = post(client, f"/admin/accounts/{admin.id}/toggle", {"field": "banned", "value": "1"})
    assert r.status_code == 400
    r = post(
        client, f"/admin/accounts/{admin.id}/password", {"password": PASSWORD * 2, "confirm": PASSWORD * 2}
    )
    assert r.status_code == 303
    assert client.get("/admin").status_code == 200  # still logged in after changing their own password


# --- awards ---------------------------------------------------------------------------------------


def test_a_negative_award_lowers_the_score(backend, client, make, ctx):
    alice, red = make.player_in_team("alice", "Red")
    ch = make.challenge(name="Easy", flag="flag{x}", value=100)
    submissions.submit_flag(ctx, Principal.of(alice), ch.id, "flag{x}")
    as_admin(client, make)
    assert scoreboard(client)["Red"] == 100
    form = {
        "recipient": f"team:{red.id}",
        "name": "Flag sharing",
        "description": "Posted a flag",
        "value": "-30",
    }
    r = post(client, "/admin/awards", form)
    assert r.status_code == 303, r.text
    assert scoreboard(client)["Red"] == 70
    page = client.get("/admin/awards").text
    assert "The award has been granted." in page and "Flag sharing" in page
    with ctx.db.read() as s:
        award = s.query(t.Award).one()
    assert post(client, f"/admin/awards/{award.id}/delete").status_code == 303
    assert scoreboard(client)["Red"] == 100


def test_award_form_errors(client, make, ctx):
    lone = make.user("lone")
    as_admin(client, make)
    r = post(client, "/admin/awards", {"recipient": "", "name": "x", "value": "ten"})
    assert r.status_code == 400
    assert re.search(r'id="e-recipient">Recipient: choose a team or user.</p>', r.text)
    assert re.search(
        r'id="e-value">Points: enter a whole number; a negative number is a penalty.</p>', r.text
    )
    assert 'value="ten"' in r.text  # what was typed is kept
    r = post(client, "/admin/awards", {"recipient": f"user:{lone.id}", "name": "x", "value": "5"})
    assert r.status_code == 400
    assert "Recipient: this user is not in a team, so the award cannot count." in r.text
    with ctx.db.read() as s:
        assert s.query(t.Award).count() == 0


# --- submissions ----------------------------------------------------------------------------------


def test_submissions_page_lists_attempts_with_filters(backend, client, make, ctx):
    alice, red = make.player_in_team("alice", "Red")
    bob, _blue = make.player_in_team("bob", "Blue")
    one = make.challenge(name="One", flag="flag{one}")
    two = make.challenge(name="Two", flag="flag{two}")
    submissions.submit_flag(ctx, Principal.of(alice), one.id, "wrong guess", ip="192.0.2.1")
    submissions.submit_flag(ctx, Principal.of(alice), one.id, "flag{one}", ip="192.0.2.1")
    submissions.submit_flag(ctx, Principal.of(bob), two.id, "<b>bold</b>", ip="198.51.100.7")
    as_admin(client, make)

    page = client.get("/admin/submissions").text
    assert "3 submissions found." in page
    rows = re.findall(r"<code class=\"provided\">(.*?)</code>", page)
    assert rows == ["&lt;b&gt;bold&lt;/b&gt;", "flag{one}", "wrong guess"]  # newest first, escaped
    assert "192.0.2.1" in page and '<th scope="col">Time</th>' in page

    def provided(**params: Any) -> list[str]:
        return re.findall(
            r"<code class=\"provided\">(.*?)</code>", client.get("/admin/submissions", params=params).text
        )

    assert provided(challenge=one.id) == ["flag{one}", "wrong guess"]
    assert provided(account=red.id, type="incorrect") == ["wrong guess"]
    assert provided(type="correct") == ["flag{one}"]
    assert provided(user=bob.id) == ["&lt;b&gt;bold&lt;/b&gt;"]
    assert provided(type="nonsense", challenge="x") == provided()  # unknown filters are ignored


def test_submissions_are_paginated_50_to_a_page(client, make, ctx):
    alice, red = make.player_in_team("alice", "Red")
    ch = make.challenge(name="One")
    start = datetime(2025, 1, 1)
    with ctx.db.write() as s:
        for i in range(55):
            s.add(
                t.Submission(
                    challenge_id=ch.id,
                    user_id=alice.id,
                    team_id=red.id,
                    account_id=red.id,
                    provided=f"guess-{i:02d}",
                    type="incorrect",
                    date=start + timedelta(minutes=i),
                )
            )
    as_admin(client, make)
    first = client.get("/admin/submissions", params={"type": "incorrect"}).text
    assert first.count('<code class="provided">') == 50
    assert "guess-54" in first and "guess-04" not in first
    assert "Page 1 of 2" in first
    assert 'href="/admin/submissions?type=incorrect&amp;page=2"' in first
    second = client.get("/admin/submissions", params={"type": "incorrect", "page": "2"}).text
    assert second.count('<code class="provided">') == 5
    assert "guess-04" in second and 'rel="prev"' in second
