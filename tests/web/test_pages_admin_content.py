"""The admin pages for announcements and custom pages, driven as a browser without JavaScript would:
every language side by side with its marker, forms whose errors keep what was typed and what was
stored, and deleting after a confirmation step."""

from __future__ import annotations

import pytest

from kizuna.domain.errors import ErrorCode
from kizuna.i18n import gettext_in
from kizuna.services import pages
from kizuna.storage import tables as t
from kizuna.web.messages import MESSAGES
from tests.conftest import login
from tests.web.test_pages_admin import as_admin, post, text_of

# --- admin: announcements -------------------------------------------------------------------------


def _announcement_form(**overrides):
    form = {"title_en": "Break", "content_en": "Lunch.", "title_ja": "休憩", "content_ja": "昼食。"}
    form.update(overrides)
    return form


def test_players_cannot_use_the_admin_pages(client, make):
    make.user("mallory")
    login(client, "mallory")
    for path in ("/admin/announcements", "/admin/pages", "/admin/pages/new"):
        assert client.get(path).status_code == 403
    assert post(client, "/admin/announcements", _announcement_form()).status_code == 403


def test_admin_announces_in_both_languages_and_deletes_after_confirming(client, make, ctx):
    as_admin(client, make)
    page = client.get("/admin/announcements").text
    assert 'id="f-title_en"' in page and 'id="f-content_ja"' in page
    r = post(client, "/admin/announcements", _announcement_form())
    assert r.status_code == 303 and r.headers["location"] == "/admin/announcements"
    page = client.get("/admin/announcements").text
    assert "The announcement has been published." in page
    made = client.get("/api/v1/notifications").json()["data"][0]
    assert made["locale"] == "en"
    assert made["translations"] == {
        "en": {"title": "Break", "content": "Lunch."},
        "ja": {"title": "休憩", "content": "昼食。"},
    }
    confirm = client.get(f"/admin/announcements/{made['id']}/delete")
    assert confirm.status_code == 200 and "Break" in confirm.text
    r = post(client, f"/admin/announcements/{made['id']}/delete")
    assert r.status_code == 303
    assert client.get("/api/v1/notifications").json()["data"] == []
    assert post(client, f"/admin/announcements/{made['id']}/delete").status_code == 404


def test_admin_announcement_in_japanese_only_is_japanese_and_marked_incomplete(client, make, ctx):
    as_admin(client, make)
    post(client, "/admin/announcements", _announcement_form(title_en="", content_en=""))
    with ctx.db.read() as s:
        row = s.query(t.Notification).one()
    assert (row.locale, row.title, row.translations) == ("ja", "休憩", None)
    listing = text_of(client.get("/admin/announcements").text)
    assert "English Missing" in listing and "日本語 Complete" in listing


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (
            _announcement_form(content_ja=""),
            "f-content_ja",
            "Content (Markdown) (Japanese): fill in both the title and the content, or leave both empty.",
        ),
        (
            _announcement_form(title_en="", content_en="", title_ja="", content_ja=""),
            "f-title_en",
            "Title (English): write the title and the content in at least one language.",
        ),
    ],
)
def test_admin_announcement_errors_keep_what_was_typed(client, make, ctx, form, field, message):
    as_admin(client, make)
    r = post(client, "/admin/announcements", form)
    assert r.status_code == 400
    assert message in text_of(r.text)
    assert f'href="#{field}"' in r.text and 'aria-invalid="true"' in r.text
    if form["title_en"]:
        assert 'value="Break"' in r.text
    with ctx.db.read() as s:
        assert s.query(t.Notification).count() == 0


# --- admin: custom pages --------------------------------------------------------------------------


def _page_form(**overrides):
    form = {
        "route": "rules",
        "format": "markdown",
        "title_en": "Rules",
        "content_en": "Be nice.",
        "title_ja": "",
        "content_ja": "",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def test_admin_creates_edits_and_deletes_a_page(client, make, ctx):
    as_admin(client, make)
    assert "Create a page" in client.get("/admin/pages").text
    r = post(client, "/admin/pages/new", _page_form(hidden="1"))
    assert r.status_code == 303
    with ctx.db.read() as s:
        page = s.query(t.Page).one()
    assert r.headers["location"] == f"/admin/pages/{page.id}"
    assert (page.route, page.title, page.hidden, page.draft, page.locale) == (
        "rules",
        "Rules",
        True,
        False,
        "en",
    )

    edit = client.get(f"/admin/pages/{page.id}").text
    assert "The page has been created." in edit and 'value="rules"' in edit
    listing = text_of(client.get("/admin/pages").text)
    assert "/pages/rules" in listing and "English Complete" in listing and "日本語 Missing" in listing
    r = post(client, f"/admin/pages/{page.id}", _page_form(title_ja="ルール", content_ja="親切に。"))
    assert r.status_code == 303
    api = client.get(f"/api/v1/pages/{page.id}").json()["data"]
    assert api["translations"]["ja"] == {"title": "ルール", "content": "親切に。"}
    assert api["hidden"] is False  # an unticked box is sent as nothing: not hidden any more

    # English removed: the page becomes Japanese rather than losing its text.
    post(
        client,
        f"/admin/pages/{page.id}",
        _page_form(title_en="", content_en="", title_ja="ルール", content_ja="親切に。"),
    )
    api = client.get(f"/api/v1/pages/{page.id}").json()["data"]
    assert (api["locale"], api["title"], api["translations"]) == (
        "ja",
        "ルール",
        {"ja": {"title": "ルール", "content": "親切に。"}},
    )

    confirm = client.get(f"/admin/pages/{page.id}/delete")
    assert confirm.status_code == 200 and "/pages/rules" in confirm.text and "ルール" in confirm.text
    assert post(client, f"/admin/pages/{page.id}/delete").status_code == 303
    assert client.get("/pages/rules").status_code == 404
    assert client.get(f"/admin/pages/{page.id}").status_code == 404


def test_a_refused_page_form_keeps_the_stored_page_and_what_was_typed(client, make, ctx):
    as_admin(client, make)
    page = pages.create_page(
        ctx,
        {
            "route": "rules",
            "title": "Rules",
            "content": "Be nice.",
            "translations": {"ja": {"title": "ルール", "content": "親切に。"}, "fr": {"title": "Règles"}},
        },
    )
    pages.create_page(ctx, {"route": "faq", "title": "FAQ", "content": "x"})
    before = client.get(f"/api/v1/pages/{page.id}").json()["data"]
    for form, field in (
        (_page_form(route="Admin/", title_ja="新ルール", content_ja="x"), "f-route"),
        (_page_form(route="faq"), "f-route"),
        (_page_form(title_en="", title_ja="", content_ja="x"), "f-title_en"),
    ):
        r = post(client, f"/admin/pages/{page.id}", form)
        assert r.status_code == 400, form
        assert f'href="#{field}"' in r.text
        assert f'value="{form["route"]}"' in r.text
        assert client.get(f"/api/v1/pages/{page.id}").json()["data"] == before
    r = post(client, f"/admin/pages/{page.id}", _page_form(route="faq"))
    assert "Another page already uses that address." in text_of(r.text)
    # A language added through the API gets its own column, and a form without it leaves it alone.
    assert 'id="f-title_fr"' in client.get(f"/admin/pages/{page.id}").text
    post(client, f"/admin/pages/{page.id}", _page_form(title_ja="ルール", content_ja="親切に。"))
    assert client.get(f"/api/v1/pages/{page.id}").json()["data"]["translations"]["fr"] == {"title": "Règles"}


def test_new_page_errors_in_japanese(client, make, ctx):
    as_admin(client, make)
    client.get("/lang/ja?next=/")
    r = post(client, "/admin/pages/new", _page_form(route="api"))
    assert r.status_code == 400
    assert gettext_in("ja", MESSAGES[ErrorCode.ROUTE_INVALID]) in r.text
    with ctx.db.read() as s:
        assert s.query(t.Page).count() == 0
