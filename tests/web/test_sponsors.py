"""Organisers and sponsors on the home page: kept by admins through the API (``/api/v1/sponsors``) and
the admin pages (``/admin/sponsors``), read by anyone; names per language with the usual fallback,
links http(s) only, errors in the reader's language naming the field, every write audited."""

from __future__ import annotations

import base64
import hashlib
import re
import struct
import zlib

import pytest

from kizuna.services import sponsors
from kizuna.storage import tables as t
from tests.conftest import _csrf_from, auth, login
from tests.web.test_pages_admin import as_admin, post, text_of

API = "/api/v1/sponsors"


def _add(ctx, name="Cyber Wales", **fields):
    return sponsors.create_sponsor(ctx, {"name": name, "locale": "en", **fields})


def _audit(ctx, action):
    with ctx.db.read() as s:
        return s.query(t.AuditEntry).filter(t.AuditEntry.action == action).all()


# --- the API --------------------------------------------------------------------------------------


def test_admin_creates_changes_and_deletes_through_the_api(client, make, ctx):
    token = make.token(make.admin("root"))
    r = client.post(
        API,
        json={
            "name": "British Embassy Tokyo",
            "locale": "en",
            "translations": {"ja": {"name": "駐日英国大使館"}},
            "url": "https://www.gov.uk/world/japan",
            "group": "hosts",
        },
        headers=auth(token),
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["name"] == "British Embassy Tokyo" and data["group"] == "hosts" and data["position"] == 0
    assert data["translations"] == {"en": {"name": "British Embassy Tokyo"}, "ja": {"name": "駐日英国大使館"}}
    sid = data["id"]
    # Anyone reads it, in their language.
    assert client.get(API + "?lang=ja").json()["data"][0]["name"] == "駐日英国大使館"
    assert client.get(f"{API}/{sid}").json()["data"]["url"] == "https://www.gov.uk/world/japan"
    r = client.patch(f"{API}/{sid}", json={"position": 3, "url": ""}, headers=auth(token))
    assert r.status_code == 200 and r.json()["data"]["position"] == 3 and r.json()["data"]["url"] == ""
    assert client.delete(f"{API}/{sid}", headers=auth(token)).json() == {"success": True}
    assert client.get(API).json()["data"] == []
    assert client.get(f"{API}/{sid}").status_code == 404
    assert [len(_audit(ctx, f"sponsor.{a}")) for a in ("created", "updated", "deleted")] == [1, 1, 1]
    (updated,) = _audit(ctx, "sponsor.updated")
    assert updated.before == {"position": 0, "url": "https://www.gov.uk/world/japan"}
    assert updated.after == {"position": 3, "url": ""}
    with ctx.db.read() as s:
        assert s.query(t.EventLog).filter(t.EventLog.type == "event_changed").count() == 3


def test_the_list_is_in_group_then_position_order(client, ctx):
    _add(ctx, "Supporter", group="supporters")
    _add(ctx, "Second organiser", group="organisers", position=2)
    _add(ctx, "Host", group="hosts")
    _add(ctx, "First organiser", group="organisers", position=1)
    names = [row["name"] for row in client.get(API).json()["data"]]
    assert names == ["First organiser", "Second organiser", "Host", "Supporter"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "url": "javascript:alert(1)"}, "url"),
        ({"name": "X", "url": "ftp://example.org/"}, "url"),
        ({"name": "X", "url": "https://"}, "url"),
        ({"name": "X", "url": "https://exa mple.org/"}, "url"),
        ({"name": "X", "url": "//example.org/"}, "url"),
        ({"name": "X", "url": "https://example.org:99999/"}, "url"),
        ({"name": "X", "group": "friends"}, "group"),
        ({"name": "X", "position": "first"}, "position"),
        ({"name": "X", "position": 10**6}, "position"),
        ({"name": "  "}, "name"),
        ({"name": "X" * 201}, "name"),
        ({"name": "X", "logo": "a.png"}, "logo"),
    ],
)
def test_bad_input_is_refused_naming_the_field(client, make, ctx, payload, field):
    token = make.token(make.admin("root"))
    r = client.post(API, json=payload, headers=auth(token))
    assert r.status_code == 400 and field in r.json()["errors"], r.text
    assert client.get(API).json()["data"] == []


def test_errors_come_in_the_readers_language(client, make):
    token = make.token(make.admin("root"))
    en = client.post(API, json={"name": "X", "url": "javascript:x"}, headers=auth(token))
    ja = client.post(API + "?lang=ja", json={"name": "X", "url": "javascript:x"}, headers=auth(token))
    assert "https://" in en.json()["errors"]["url"][0] and "web address" in en.json()["errors"]["url"][0]
    assert "https://" in ja.json()["errors"]["url"][0] and "アドレス" in ja.json()["errors"]["url"][0]


def test_only_admins_write(client, make, ctx):
    sid = _add(ctx).id
    player = make.token(make.user("player"))
    judge = make.token(make.user("judge", role="judge"))
    for token in (player, judge):
        assert client.post(API, json={"name": "Y"}, headers=auth(token)).status_code == 403
        assert client.patch(f"{API}/{sid}", json={"name": "Y"}, headers=auth(token)).status_code == 403
        assert client.delete(f"{API}/{sid}", headers=auth(token)).status_code == 403
    assert client.post(API, json={"name": "Y"}).status_code == 401
    assert client.delete(f"{API}/{sid}").status_code == 401
    assert [row["name"] for row in client.get(API).json()["data"]] == ["Cyber Wales"]


def test_the_api_is_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths[API]) == {"get", "post"}
    assert set(paths[API + "/{sponsor_id}"]) == {"get", "patch", "delete"}


# --- the admin pages ------------------------------------------------------------------------------


def test_admin_page_adds_edits_and_removes(client, make, ctx):
    as_admin(client, make)
    assert "Organisers and sponsors" in client.get("/admin").text  # in the admin menu
    form = {
        "name_en": "Cyber Hiroshima",
        "name_ja": "サイバー広島",
        "url": "https://example.jp/",
        "group": "organisers",
        "position": "1",
    }
    r = post(client, "/admin/sponsors/new", form)
    assert r.status_code == 303 and r.headers["location"] == "/admin/sponsors"
    (row,) = sponsors.all_sponsors(ctx)
    assert (row.name, row.locale, row.translations, row.group, row.url) == (
        "Cyber Hiroshima",
        "en",
        {"ja": {"name": "サイバー広島"}},
        "organisers",
        "https://example.jp/",
    )
    listing = client.get("/admin/sponsors").text
    assert "The entry has been added to the home page." in listing and "Cyber Hiroshima" in listing
    edit = client.get(f"/admin/sponsors/{row.id}").text
    assert 'value="サイバー広島"' in edit and 'value="https://example.jp/"' in edit
    r = post(client, f"/admin/sponsors/{row.id}", {**form, "group": "hosts", "url": ""})
    assert r.status_code == 303
    assert sponsors.get_sponsor(ctx, row.id).group == "hosts" and sponsors.get_sponsor(ctx, row.id).url == ""
    assert (
        "Remove “Cyber Hiroshima” from the home page?" in client.get(f"/admin/sponsors/{row.id}/delete").text
    )
    assert post(client, f"/admin/sponsors/{row.id}/delete").status_code == 303
    assert sponsors.all_sponsors(ctx) == []
    assert client.get(f"/admin/sponsors/{row.id}").status_code == 404


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Link: Enter a full web address that starts with https:// or http://"),
        ("ja", "リンク："),
    ],
)
def test_admin_form_errors_name_the_field_in_the_readers_language(client, make, ctx, lang, expected):
    as_admin(client, make)
    client.get(f"/lang/{lang}")
    r = post(
        client,
        "/admin/sponsors/new",
        {"name_en": "X", "url": "javascript:alert(1)", "group": "sponsors", "position": "0"},
    )
    assert r.status_code == 400
    assert expected in text_of(r.text)
    assert 'id="f-url"' in r.text and 'aria-invalid="true"' in r.text
    assert 'value="javascript:alert(1)"' in r.text  # what was typed comes back
    assert sponsors.all_sponsors(ctx) == []


def test_admin_form_needs_a_name_and_a_whole_number(client, make, ctx):
    as_admin(client, make)
    r = post(
        client, "/admin/sponsors/new", {"name_en": "", "name_ja": "", "group": "sponsors", "position": "0"}
    )
    assert r.status_code == 400 and "Name: Give the name in at least one language." in text_of(r.text)
    r = post(client, "/admin/sponsors/new", {"name_en": "X", "group": "sponsors", "position": "1.5"})
    assert r.status_code == 400 and "Order: Enter a whole number from -9999 to 9999." in text_of(r.text)
    assert sponsors.all_sponsors(ctx) == []


def test_players_cannot_open_the_admin_page(client, make, ctx):
    sid = _add(ctx).id
    make.user("player")
    login(client, "player")
    assert client.get("/admin/sponsors").status_code == 403
    assert post(client, f"/admin/sponsors/{sid}/delete").status_code == 403
    assert len(sponsors.all_sponsors(ctx)) == 1


# --- the home page --------------------------------------------------------------------------------


def _joint_event(ctx):
    _add(ctx, "Cyber Wales", group="organisers", position=1, url="https://example.org/wales")
    _add(
        ctx, "Cyber Hiroshima", group="organisers", position=2, translations={"ja": {"name": "サイバー広島"}}
    )
    _add(ctx, "British Embassy Tokyo", group="hosts", translations={"ja": {"name": "駐日英国大使館"}})


def _sponsor_block(html: str) -> str:
    match = re.search(r'<section class="sponsors".*?</section>', html, re.S)
    assert match, "no sponsors block"
    return match.group(0)


def test_home_page_names_them_in_english(client, ctx):
    _joint_event(ctx)
    block = _sponsor_block(client.get("/?lang=en").text)
    text = text_of(block)
    assert "Organisers and sponsors" in text and "Organisers" in text and "Hosts" in text
    assert text.index("Cyber Wales") < text.index("Cyber Hiroshima") < text.index("British Embassy Tokyo")
    assert '<a href="https://example.org/wales" rel="noopener noreferrer">' in block
    assert "サイバー広島" not in block


def test_home_page_names_them_in_japanese_with_fallback(client, ctx):
    _joint_event(ctx)
    block = _sponsor_block(client.get("/?lang=ja").text)
    assert "主催" in text_of(block) and "サイバー広島" in block and "駐日英国大使館" in block
    # Cyber Wales has no Japanese name: the English one, marked as the original.
    assert re.search(
        r'<span class="lt lt-fallback" lang="en">Cyber Wales <small class="fallback-note">', block
    )


def test_home_page_names_them_in_both_languages(client, ctx):
    _joint_event(ctx)
    block = _sponsor_block(client.get("/?lang=en&display=both").text)
    assert "British Embassy Tokyo" in block and "駐日英国大使館" in block
    assert "Cyber Hiroshima" in block and "サイバー広島" in block


def test_home_page_without_entries_has_no_block(client):
    page = client.get("/").text
    assert 'class="sponsors"' not in page
    assert 'class="hero"' in page and 'href="/register"' in page and 'href="/login"' in page


# --- logos ----------------------------------------------------------------------------------------


def _png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0\0\0"))
        + chunk(b"IEND", b"")
    )


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def test_a_logo_through_the_api_is_served_with_its_own_type(client, make, ctx):
    token = make.token(make.admin("root"))
    png = _png()
    r = client.post(
        API, json={"name": "Cyber Wales", "logo": base64.b64encode(png).decode()}, headers=auth(token)
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["logo_url"].startswith(f"/sponsors/{data['id']}/logo?v=") and "logo" not in data
    image = client.get(data["logo_url"])
    assert image.status_code == 200 and image.content == png
    assert (
        image.headers["content-type"] == "image/png" and image.headers["x-content-type-options"] == "nosniff"
    )
    assert client.get(data["logo_url"], headers={"If-None-Match": image.headers["etag"]}).status_code == 304
    home = client.get("/").text
    assert f'<img class="sponsor-logo" src="{data["logo_url"]}" alt="">' in home
    # Removed: the address is the 404 of anything missing, and the entry has no logo_url.
    r = client.patch(f"{API}/{data['id']}", json={"logo": None}, headers=auth(token))
    assert r.json()["data"]["logo_url"] is None
    assert client.get(f"/sponsors/{data['id']}/logo").status_code == 404
    (changed,) = _audit(ctx, "sponsor.updated")
    assert changed.before == {"logo": hashlib.sha256(png).hexdigest()} and changed.after == {"logo": None}


@pytest.mark.parametrize(
    ("logo", "code"),
    [
        (base64.b64encode(SVG).decode(), "SVG"),
        (base64.b64encode(b"GIF89a" + b"\0" * 20).decode(), "PNG, JPEG or WebP"),
        ("data:image/png;base64," + base64.b64encode(b"<html></html>").decode(), "PNG, JPEG or WebP"),
        (base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * (256 * 1024)).decode(), "256 KB"),
        ("not base64 at all!", "not valid"),
        (12, "not valid"),
    ],
)
def test_a_logo_that_is_not_a_small_png_jpeg_or_webp_is_refused(client, make, ctx, logo, code):
    token = make.token(make.admin("root"))
    r = client.post(API, json={"name": "X", "logo": logo}, headers=auth(token))
    assert r.status_code == 400 and code in r.json()["errors"]["logo"][0], r.text
    assert client.get(API).json()["data"] == []
    ja = client.post(API + "?lang=ja", json={"name": "X", "logo": logo}, headers=auth(token))
    assert ja.status_code == 400 and re.search(r"[ぁ-んァ-ン一-龥]", ja.json()["errors"]["logo"][0])


def test_the_admin_form_uploads_replaces_and_removes_a_logo(client, make, ctx):
    as_admin(client, make)
    token = _csrf_from(client.get("/login").text)
    form = {"name_en": "Cyber Wales", "url": "", "group": "organisers", "position": "0", "csrf_token": token}
    svg = client.post("/admin/sponsors/new", data=form, files={"logo": ("logo.svg", SVG, "image/png")})
    assert svg.status_code == 400 and "Logo: A logo must be a PNG, JPEG or WebP image." in text_of(svg.text)
    assert 'id="e-logo"' in svg.text and sponsors.all_sponsors(ctx) == []
    r = client.post(
        "/admin/sponsors/new",
        data=form,
        files={"logo": ("logo.png", _png(), "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    (row,) = sponsors.all_sponsors(ctx)
    assert sponsors.logo_of(ctx, row.id).content_type == "image/png"
    edit = client.get(f"/admin/sponsors/{row.id}").text
    assert 'enctype="multipart/form-data"' in edit and 'name="remove_logo"' in edit and "sponsor-logo" in edit
    # Saving without a file keeps the logo; ticking "Remove the logo" removes it.
    assert client.post(f"/admin/sponsors/{row.id}", data=form, follow_redirects=False).status_code == 303
    assert sponsors.logo_digests(ctx) != {}
    r = client.post(f"/admin/sponsors/{row.id}", data={**form, "remove_logo": "1"}, follow_redirects=False)
    assert r.status_code == 303 and sponsors.logo_digests(ctx) == {}


def test_deleting_an_entry_deletes_its_logo(client, make, ctx):
    row = sponsors.create_sponsor(ctx, {"name": "X", "logo": _png()})
    sponsors.delete_sponsor(ctx, row.id)
    with ctx.db.read() as s:
        assert s.query(t.SponsorLogo).count() == 0


def test_the_call_to_action_follows_the_phase_and_the_reader(client, make, ctx):
    from datetime import timedelta

    from kizuna.services import event

    now = ctx.now()
    event.update_event(ctx, {"start_at": now + timedelta(hours=1), "end_at": now + timedelta(hours=5)})
    hero = re.search(r'<p class="actions hero-actions">(.*?)</p>', client.get("/").text, re.S).group(1)
    assert 'href="/register"' in hero and 'href="/login"' in hero and "final scoreboard" not in hero
    event.update_event(ctx, {"start_at": now - timedelta(hours=5), "end_at": now - timedelta(hours=1)})
    hero = re.search(r'<p class="actions hero-actions">(.*?)</p>', client.get("/").text, re.S).group(1)
    assert 'href="/register"' not in hero and "See the final scoreboard" in hero
    make.user("player")
    login(client, "player")
    hero = re.search(r'<p class="actions hero-actions">(.*?)</p>', client.get("/?lang=ja").text, re.S).group(
        1
    )
    assert (
        'href="/login"' not in hero
        and "最終結果のスコアボードを見る" in hero
        and 'href="/challenges"' in hero
    )
