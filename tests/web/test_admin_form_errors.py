"""Staff form errors: one line that names the field in the reader's language, beside the field (tied
to it with aria-describedby and aria-invalid) and in the summary at the top, with what was typed
kept. The event settings' times and the challenge form have tests of their own
(test_admin_zoned_times.py, test_admin_challenge_scoring.py)."""

from __future__ import annotations

import re

import pytest

from kizuna.storage import tables as t
from tests.web.test_pages_admin import as_admin, challenge_form, post

JA = {"Accept-Language": "ja"}


def assert_named(html: str, key: str, line: str) -> None:
    """``line`` beside the field ``key`` (described by it, marked invalid) and linked in the summary."""
    assert re.search(rf'<p class="field-error" id="e-{re.escape(key)}">{re.escape(line)}</p>', html), line
    assert re.search(rf'id="f-{re.escape(key)}"[^>]*aria-describedby="[^"]*e-{re.escape(key)}', html)
    assert re.search(rf'id="f-{re.escape(key)}"[^>]*aria-invalid="true"', html)
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert f'<a href="#f-{key}">{line}</a>' in summary


@pytest.mark.parametrize(
    ("headers", "recipient", "points"),
    [
        (
            {},
            "Recipient: choose a team or user.",
            "Points: enter a whole number; a negative number is a penalty.",
        ),
        (
            JA,
            "対象：チームまたはプレイヤーを選んでください。",
            "点数：整数を入力してください。負の数は減点になります。",
        ),
    ],
)
def test_award_errors_name_the_field(client, make, ctx, headers, recipient, points):
    as_admin(client, make)
    form = {"recipient": "", "name": "Write-up", "description": "Clear", "value": "ten", "category": "bonus"}
    r = post(client, "/admin/awards", form, headers=headers)
    assert r.status_code == 400
    assert_named(r.text, "recipient", recipient)
    assert_named(r.text, "value", points)
    assert 'value="Write-up"' in r.text and 'value="ten"' in r.text and ">Clear</textarea>" in r.text
    with ctx.db.read() as s:
        assert s.query(t.Award).count() == 0


@pytest.mark.parametrize(
    ("headers", "line"),
    [
        ({}, "Content (Markdown) (Japanese): fill in both the title and the content, or leave both empty."),
        (JA, "本文（Markdown）（日本語）：タイトルと本文の両方を入力するか、両方とも空欄にしてください。"),
    ],
)
def test_announcement_errors_name_the_field_and_its_language(client, make, ctx, headers, line):
    as_admin(client, make)
    form = {"title_en": "Break", "content_en": "Lunch.", "title_ja": "休憩", "content_ja": ""}
    r = post(client, "/admin/announcements", form, headers=headers)
    assert r.status_code == 400
    assert_named(r.text, "content_ja", line)
    assert 'value="Break"' in r.text and 'value="休憩"' in r.text and ">Lunch.</textarea>" in r.text
    with ctx.db.read() as s:
        assert s.query(t.Notification).count() == 0


@pytest.mark.parametrize(
    ("headers", "route", "title"),
    [
        ({}, "Address: Page addresses use lower-case letters", "Title (English): give the page a title"),
        (JA, "アドレス：", "タイトル（英語）：少なくとも一つの言語でページのタイトルを入力してください。"),
    ],
)
def test_page_errors_name_the_field(client, make, ctx, headers, route, title):
    as_admin(client, make)
    form = {"route": "Bad Route!", "format": "markdown", "title_en": "Rules", "content_en": "Be nice."}
    r = post(client, "/admin/pages/new", form, headers=headers)
    assert r.status_code == 400
    line = re.search(r'<p class="field-error" id="e-route">([^<]*)</p>', r.text)
    assert line and line.group(1).startswith(route)
    assert 'value="Bad Route!"' in r.text and ">Be nice.</textarea>" in r.text
    r = post(client, "/admin/pages/new", {**form, "route": "rules", "title_en": ""}, headers=headers)
    assert r.status_code == 400
    found = re.search(r'<p class="field-error" id="e-title_en">([^<]*)</p>', r.text)
    assert found and found.group(1).startswith(title)
    with ctx.db.read() as s:
        assert s.query(t.Page).count() == 0


def test_challenge_errors_name_the_field_in_japanese(client, make, ctx):
    as_admin(client, make)
    r = post(client, "/admin/challenges/new", challenge_form(name="Kept", value="lots"), headers=JA)
    assert r.status_code == 400
    assert_named(r.text, "value", "配点：整数を入力してください。")
    assert 'value="lots"' in r.text and 'value="Kept"' in r.text
    r = post(client, "/admin/challenges/new", challenge_form(name=" "), headers=JA)
    assert_named(r.text, "name_en", "名前（英語）：入力してください。")


def test_in_both_languages_mode_each_half_names_the_field_in_its_own_language(client, make):
    as_admin(client, make)
    client.get("/lang/both?next=/")
    r = post(client, "/admin/awards", {"recipient": "", "name": "x", "value": "1"})
    found = re.search(r'<p class="field-error" id="e-recipient">([^<]*)</p>', r.text)
    assert found is not None
    assert found.group(1) in (
        "Recipient: choose a team or user. / 対象：チームまたはプレイヤーを選んでください。",
        "対象：チームまたはプレイヤーを選んでください。 / Recipient: choose a team or user.",
    )


@pytest.mark.parametrize(
    ("headers", "name_line", "confirm_line"),
    [
        ({}, "Name: fill this in.", "New password again: The two passwords do not match."),
        (JA, "名前：入力してください。", "新しいパスワード（確認）：2つのパスワードが一致しません。"),
    ],
)
def test_account_and_team_errors_name_the_field(client, make, ctx, headers, name_line, confirm_line):
    as_admin(client, make)
    user, team = make.player_in_team("ivy", team_name="Ivy League")
    form = {"name": "", "email": "ivy@example.org", "role": "player"}
    r = post(client, f"/admin/accounts/{user.id}", form, headers=headers)
    assert r.status_code == 400
    assert_named(r.text, "name", name_line)
    assert 'value="ivy@example.org"' in r.text  # what was typed is kept
    passwords = {"password": "a-long-enough-password", "confirm": "another-long-password"}
    r = post(client, f"/admin/accounts/{user.id}/password", passwords, headers=headers)
    assert r.status_code == 400
    assert_named(r.text, "confirm", confirm_line)
    r = post(client, f"/admin/teams/{team.id}", {"name": ""}, headers=headers)
    assert r.status_code == 400
    assert re.search(r'<p class="field-error" id="e-name">[^<]*(Team name|チーム名)', r.text)
    with ctx.db.read() as s:
        assert s.get(t.User, user.id).name == "ivy" and s.get(t.Team, team.id).name == "Ivy League"
