"""Authoring in every language on the admin pages: the challenge and hint forms' language columns,
and the translation report with its category display-name forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from kizuna.domain.errors import DomainError
from kizuna.services import challenges, content
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, revisions
from kizuna.web.pages import admin_columns
from tests.conftest import auth, login
from tests.web.test_pages_admin import as_admin, challenge_form, post, text_of

JA = {"Accept-Language": "ja"}


def stored(ctx: Any, challenge_id: int) -> tuple[str, str, str, Any]:
    with ctx.db.read() as s:
        ch = s.get(t.Challenge, challenge_id)
        return ch.locale, ch.name, ch.description, ch.translations


def category_translations(ctx: Any, name: str) -> Any:
    with ctx.db.read() as s:
        row = s.get(t.Category, name)
        return None if row is None else (row.locale, row.translations)


def bilingual(make: Any, **fields: Any) -> Any:
    """A challenge written in English with a Japanese name and category name, no Japanese description."""
    fields.setdefault("name", "Cookie Jar")
    fields.setdefault("category", "web")
    fields.setdefault("description", "Find the **cookie**.")
    fields.setdefault("translations", {"ja": {"name": "クッキー瓶", "category": "ウェブ"}})
    return make.challenge(**fields)


# --- the challenge form -----------------------------------------------------------------------------


def test_create_a_challenge_in_both_languages(client, make, ctx):
    as_admin(client, make)
    page = client.get("/admin/challenges/new").text
    for field in ("name_en", "description_en", "name_ja", "description_ja", "category_ja"):
        assert f'name="{field}"' in page
    assert 'name="category_en"' not in page  # in its own language a category is its own name
    assert re.search(r'<option value="en" selected>English</option>', page)
    form = challenge_form(name_ja="準備運動", description_ja="**フラグ**を探せ。", category_ja="ウェブ")
    r = post(client, "/admin/challenges/new", form)
    assert r.status_code == 303, r.text
    challenge_id = int(r.headers["location"].rsplit("/", 1)[-1])
    assert stored(ctx, challenge_id) == (
        "en",
        "Warm-up",
        "Find the **flag**.",
        {"ja": {"name": "準備運動", "description": "**フラグ**を探せ。"}},
    )
    assert category_translations(ctx, "web") == ("en", {"ja": {"name": "ウェブ"}})
    # Every language's description is previewed.
    page = client.get(f"/admin/challenges/{challenge_id}").text
    assert '<div class="admin-preview" lang="ja"><p><strong>フラグ</strong>を探せ。</p>' in page
    assert '<div class="admin-preview" lang="en"><p>Find the <strong>flag</strong>.</p>' in page


def test_create_a_challenge_written_in_japanese(client, make, ctx):
    as_admin(client, make)
    form = challenge_form(locale="ja", name="", description="", name_ja="準備運動", description_ja="探せ。")
    r = post(client, "/admin/challenges/new", form)
    assert r.status_code == 303, r.text
    challenge_id = int(r.headers["location"].rsplit("/", 1)[-1])
    assert stored(ctx, challenge_id) == ("ja", "準備運動", "探せ。", None)
    page = text_of(client.get(f"/admin/challenges/{challenge_id}").text)
    assert "日本語 (original) Complete" in page
    assert "English Missing: name, description, and category" in page


def test_edit_both_columns_switch_the_original_language_and_remove_a_translation(client, make, ctx):
    ch = bilingual(make)
    as_admin(client, make)
    page = client.get(f"/admin/challenges/{ch.id}").text
    assert 'value="クッキー瓶"' in page and 'value="ウェブ"' in page
    form = challenge_form(
        locale="ja",
        name="Cookie Jar",
        description="Find the **cookie**.",
        name_ja="クッキーの瓶",
        description_ja="**クッキー**を探せ。",
        category_ja="ウェブ",
    )
    r = post(client, f"/admin/challenges/{ch.id}", form)
    assert r.status_code == 303, r.text
    assert stored(ctx, ch.id) == (
        "ja",
        "クッキーの瓶",
        "**クッキー**を探せ。",
        {"en": {"name": "Cookie Jar", "description": "Find the **cookie**."}},
    )
    # An emptied column removes that language's translation.
    form.update(description_en="", category_ja="")
    assert post(client, f"/admin/challenges/{ch.id}", form).status_code == 303
    assert stored(ctx, ch.id)[3] == {"en": {"name": "Cookie Jar"}}
    assert category_translations(ctx, "web") == ("en", None)


def test_renaming_the_category_does_not_copy_the_old_names(client, make, ctx):
    ch = bilingual(make)
    as_admin(client, make)
    form = challenge_form(name="Cookie Jar", name_ja="クッキー瓶", category="crypto", category_ja="ウェブ")
    assert post(client, f"/admin/challenges/{ch.id}", form).status_code == 303
    assert category_translations(ctx, "crypto") is None
    assert category_translations(ctx, "web") == ("en", {"ja": {"name": "ウェブ"}})
    form.update(category_ja="暗号")
    assert post(client, f"/admin/challenges/{ch.id}", form).status_code == 303
    assert category_translations(ctx, "crypto") == ("en", {"ja": {"name": "暗号"}})


def test_columns_show_completeness_markers_in_visible_text(client, make, ctx):
    ch = bilingual(make)
    as_admin(client, make)
    html = client.get(f"/admin/challenges/{ch.id}").text
    page = text_of(html)
    assert "English （original） Complete" not in page  # the English page says "(original)"
    assert "English (original) Complete" in page
    assert "日本語 Missing: description" in page
    assert re.search(r'<span class="lang-status lang-status-partial">Missing: description</span>', html)
    make.challenge(name="Lonely", category="pwn")
    html = client.get(f"/admin/challenges/{make.challenge(name='Plain', category='rev').id}").text
    assert "日本語 Missing: name and category" in text_of(html)
    # In Japanese the markers are in Japanese.
    html = client.get(f"/admin/challenges/{ch.id}?lang=ja", headers=JA).text
    assert "未入力：説明" in html and "翻訳済み" in html


def test_an_error_in_a_language_column_is_shown_next_to_it_and_nothing_changes(client, make, ctx):
    ch = bilingual(make)
    as_admin(client, make)
    before = stored(ctx, ch.id)
    # Japanese as the original language needs a Japanese name.
    form = challenge_form(locale="ja", name="Renamed jar", name_ja="", description_ja="説明だけ")
    r = post(client, f"/admin/challenges/{ch.id}", form)
    assert r.status_code == 400
    assert 'role="alert"' in r.text and '<a href="#f-name_ja">Name (Japanese): fill this in.</a>' in r.text
    assert re.search(r'<p class="field-error" id="e-name_ja">Name \(Japanese\): fill this in.', r.text)
    assert re.search(r'id="f-name_ja"[^>]*aria-describedby="e-name_ja"', r.text)
    assert 'value="Renamed jar"' in r.text and "説明だけ</textarea>" in r.text
    assert re.search(r'<option value="ja" selected>', r.text)
    assert stored(ctx, ch.id) == before
    assert category_translations(ctx, "web") == ("en", {"ja": {"name": "ウェブ"}})


def test_service_errors_about_translations_map_to_their_column():
    keys = admin_columns.error_keys(("name", "category"), ["en", "ja"], "en")
    assert keys["translations.ja.category"] == "category_ja"
    assert keys["translations.ja.name"] == "name_ja"
    assert keys["name"] == "name_en"
    form = {
        "name_ja": " 名前 ",
        "description_fr": "Texte",
        "name_x": "",
        "csrf_token": "t",
        "category": "web",
    }
    texts = admin_columns.typed(form, ("name", "description"), ["en"])
    assert list(texts) == ["en", "ja", "fr", "x"]
    assert texts["ja"] == {"name": "名前", "description": ""}


def test_a_crafted_language_is_refused_as_a_whole(client, make, ctx):
    ch = bilingual(make)
    as_admin(client, make)
    before = stored(ctx, ch.id)
    r = post(client, f"/admin/challenges/{ch.id}", challenge_form(**{"name_ja!": "x", "name_en": "New"}))
    assert r.status_code == 400 and 'role="alert"' in r.text
    assert stored(ctx, ch.id) == before


# --- hints ------------------------------------------------------------------------------------------


def test_hints_have_language_columns(client, make, ctx):
    ch = bilingual(make)
    as_admin(client, make)
    r = post(
        client,
        f"/admin/challenges/{ch.id}/hints",
        {
            "hint_title_en": "Nudge",
            "hint_content_en": "Look at the *cookie*.",
            "hint_title_ja": "ヒント",
            "hint_cost": "5",
        },
    )
    assert r.status_code == 303, r.text
    with ctx.db.read() as s:
        hint = s.query(t.Hint).one()
        assert (hint.locale, hint.title, hint.content, hint.translations) == (
            "en",
            "Nudge",
            "Look at the *cookie*.",
            {"ja": {"title": "ヒント"}},
        )
    key = f"hint-{hint.id}"
    html = client.get(f"/admin/challenges/{ch.id}").text
    article = html[html.index(f'<article id="{key}"') : html.index("</article>", html.index(f'id="{key}"'))]
    assert 'name="title_ja"' in article and 'name="content_ja"' in article
    assert "日本語 Missing: content" in text_of(article) and "English (original) Complete" in text_of(article)
    # A failed save keeps what was typed in each column and changes nothing.
    bad = {
        "title_en": "Nudge",
        "content_en": "x",
        "title_ja": "ヒント",
        "content_ja": "クッキーを見て",
        "cost": "-1",
    }
    r = post(client, f"/admin/challenges/{ch.id}/hints/{hint.id}", bad)
    assert r.status_code == 400
    assert re.search(rf'id="e-{key}-cost">Cost in points: enter a whole number.', r.text)
    assert "クッキーを見て</textarea>" in r.text
    with ctx.db.read() as s:
        assert s.get(t.Hint, hint.id).translations == {"ja": {"title": "ヒント"}}
    # Saving fills the Japanese column; emptying the title then removes it.
    r = post(client, f"/admin/challenges/{ch.id}/hints/{hint.id}", {**bad, "cost": "7"})
    assert r.status_code == 303 and r.headers["location"].endswith(f"#{key}")
    r = post(client, f"/admin/challenges/{ch.id}/hints/{hint.id}", {**bad, "cost": "7", "title_ja": ""})
    with ctx.db.read() as s:
        hint = s.get(t.Hint, hint.id)
        assert (hint.content, hint.cost, hint.translations) == ("x", 7, {"ja": {"content": "クッキーを見て"}})


def test_a_new_hint_takes_the_challenges_original_language(client, make, ctx):
    ch = make.challenge(name="和文", locale="ja")
    as_admin(client, make)
    page = text_of(client.get(f"/admin/challenges/{ch.id}").text)
    assert "日本語 (original)" in page
    r = post(
        client, f"/admin/challenges/{ch.id}/hints", {"hint_content_ja": "よく見て", "hint_content_en": ""}
    )
    assert r.status_code == 303
    with ctx.db.read() as s:
        hint = s.query(t.Hint).one()
        assert (hint.locale, hint.content, hint.translations) == ("ja", "よく見て", None)


# --- the translation report -------------------------------------------------------------------------


def report(client: Any) -> str:
    r = client.get("/admin/translations")
    assert r.status_code == 200
    return r.text


def rows(html: str) -> list[str]:
    """The report's table rows as text."""
    return [text_of(row).strip() for row in re.findall(r"<tr>\s*<td>.*?</tr>", html, flags=re.S)]


def test_the_report_lists_exactly_whats_missing_and_shrinks_as_it_is_translated(client, make, ctx):
    ch = bilingual(make)
    hint = content.create_hint(ctx, ch.id, "Look closer.", 0, "")
    with ctx.db.write() as s:
        s.add(t.Notification(title="Break", content="Lunch.", date=datetime.now(UTC), locale="en"))
        s.add(t.Page(route="rules", title="Rules", content="Be nice.", locale="en"))
        ev = s.get(t.Event, 1)
        ev.name, ev.description, ev.locale = "Kizuna CTF", "", "en"
        ev.translations = {"ja": {"name": "絆CTF"}}
        notification_id = 1
    as_admin(client, make)
    html = report(client)
    assert 'href="/admin/translations"' in html  # in the admin navigation
    assert rows(html) == [
        "Cookie Jar 日本語: description",
        "Hint 1 Cookie Jar 日本語: content",
        "Break 日本語: title and content",
        "Rules 日本語: title and content",
    ]
    assert f'href="/admin/challenges/{ch.id}"' in html
    assert f'href="/admin/challenges/{ch.id}#hint-{hint.id}"' in html
    assert 'href="/admin/announcements"' in html and 'href="/admin/pages/1"' in html
    page = text_of(html)
    assert "English: 0 items to translate" in page and "日本語: 4 items to translate" in page
    assert "Everything is translated." not in page

    challenges.update_challenge(ctx, ch.id, {"translations": {"ja": {"description": "探せ。"}}})
    content.update_hint(ctx, hint.id, {"translations": {"ja": {"content": "よく見て。"}}})
    assert rows(report(client)) == ["Break 日本語: title and content", "Rules 日本語: title and content"]
    with ctx.db.write() as s:
        s.get(t.Notification, notification_id).translations = {"ja": {"title": "休憩", "content": "昼食。"}}
    assert rows(report(client)) == ["Rules 日本語: title and content"]
    with ctx.db.write() as s:
        s.query(t.Page).one().translations = {"ja": {"title": "ルール", "content": "仲良く。"}}
    page = text_of(report(client))
    assert "Everything is translated." in page and "日本語: 0 items to translate" in page

    # A category without a Japanese name, a Japanese-only event description: both listed.
    make.challenge(name="Pwn it", category="pwn", translations={"ja": {"name": "攻略"}})
    with ctx.db.write() as s:
        s.get(t.Event, 1).translations = {"ja": {"name": "絆CTF", "description": "ようこそ"}}
    html = report(client)
    assert rows(html) == ["pwn 日本語: name", "Kizuna CTF English: description"]
    assert 'href="/admin/event"' in html and re.search(r'href="/admin/translations#category-\d+"', html)
    assert "English: 1 item to translate" in text_of(html)


def test_the_report_in_japanese(client, make, ctx):
    bilingual(make)
    as_admin(client, make)
    page = text_of(client.get("/admin/translations", headers=JA).text)
    # The event's name, set when the database was made, is English only.
    assert "日本語：翻訳が必要な項目2件" in page and "Cookie Jar 日本語：説明" in page
    assert "英語では「web」と表示されます。" in page and "表示名（日本語）" in page


def test_category_display_names_are_set_on_the_report(client, make, ctx):
    ch = bilingual(make)
    player, _team = make.player_in_team("alice")
    token = make.token(player)
    listed = client.get("/api/v1/challenges", headers={**auth(token), **JA}).json()["data"]
    assert listed[0]["category"] == "ウェブ"
    make.challenge(name="Other", category="pwn")
    as_admin(client, make)
    html = report(client)
    assert "In English it is shown as “web”." in text_of(html)
    index = re.search(r'<article id="category-(\d+)"[^>]*>\s*<h3[^>]*>web</h3>', html).group(1)
    assert f'id="f-category-{index}-name_ja" name="name_ja"' in html and 'value="ウェブ"' in html
    with ctx.db.read() as s:
        before = revisions(s)[CHALLENGES]
    r = post(client, "/admin/translations/categories", {"category": "web", "name_ja": " ウェブ問題 "})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/translations#category-{index}"
    assert "The category names have been saved." in client.get(r.headers["location"]).text
    assert category_translations(ctx, "web") == ("en", {"ja": {"name": "ウェブ問題"}})
    with ctx.db.read() as s:
        assert revisions(s)[CHALLENGES] > before
    listed = client.get("/api/v1/challenges", headers={**auth(token), **JA}).json()["data"]
    assert [c["category"] for c in listed if c["id"] == ch.id] == ["ウェブ問題"]
    # Too long a name is shown next to its input, with what was typed; nothing changes.
    r = post(client, "/admin/translations/categories", {"category": "web", "name_ja": "長" * 101})
    assert r.status_code == 400
    assert re.search(
        rf'<p class="field-error" id="e-category-{index}-name_ja">This value is not valid.', r.text
    )
    assert 'value="' + "長" * 101 + '"' in r.text
    assert category_translations(ctx, "web") == ("en", {"ja": {"name": "ウェブ問題"}})
    # Emptying removes the name; a category no challenge uses is not found.
    assert (
        post(client, "/admin/translations/categories", {"category": "web", "name_ja": ""}).status_code == 303
    )
    assert category_translations(ctx, "web") == ("en", None)
    assert (
        post(client, "/admin/translations/categories", {"category": "nope", "name_ja": "x"}).status_code
        == 404
    )


def test_rename_category_display_refuses_unused_categories(ctx, make):
    from kizuna.services.categories import rename_category_display

    make.challenge(name="One", category="misc", locale="ja")
    row = rename_category_display(ctx, "misc", {"en": "Miscellaneous"})
    assert (row.locale, row.translations) == ("ja", {"en": {"name": "Miscellaneous"}})
    with pytest.raises(DomainError):
        rename_category_display(ctx, "unused", {"ja": "x"})


# --- who may use it ---------------------------------------------------------------------------------


def test_only_admins_see_the_report_or_set_category_names(client, make, ctx):
    bilingual(make)
    r = client.get("/admin/translations", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    make.user("mallory")
    login(client, "mallory")
    assert client.get("/admin/translations", follow_redirects=False).status_code == 403
    r = post(client, "/admin/translations/categories", {"category": "web", "name_ja": "乗っ取り"})
    assert r.status_code == 403
    assert category_translations(ctx, "web") == ("en", {"ja": {"name": "ウェブ"}})
