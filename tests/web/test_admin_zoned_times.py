"""Admin times typed in a zone chosen beside each input: stored in UTC, shown back in the zone chosen,
previewed in UTC and the event's zones, and refused with a sentence naming the field when a time
does not exist or happens twice (London's summer-time changes)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from kizuna.services import event
from tests.web.test_pages_admin import as_admin, event_form, post, text_of


def zoned(**overrides: Any) -> dict[str, Any]:
    form = event_form(
        start_at="2026-11-28T18:00",
        start_at_zone="Asia/Tokyo",
        end_at="2026-11-29T09:00",
        end_at_zone="Europe/London",
        freeze_at="",
        freeze_at_zone="Asia/Tokyo",
    )
    form.update(overrides)
    return form


def test_the_form_offers_the_event_zones_and_utc_beside_each_time(client, make):
    as_admin(client, make)
    page = client.get("/admin/event").text
    select = re.search(r'<select id="f-start_at_zone" name="start_at_zone">(.*?)</select>', page, re.S)
    assert select is not None
    options = re.findall(r'<option value="([^"]+)"( selected)?>', select.group(1))
    # The event's zones (London, Tokyo by default) and UTC; the first zone chosen.
    assert options == [("Europe/London", " selected"), ("Asia/Tokyo", ""), ("UTC", "")]
    assert "Start (UTC)" not in page
    assert '<script src="/static/kizuna-admin.js" defer></script>' in page


def test_times_typed_in_tokyo_and_london_are_stored_in_utc_and_shown_back(backend, client, make, ctx):
    as_admin(client, make)
    r = post(client, "/admin/event", zoned())
    assert r.status_code == 303, r.text
    ev = event.get_event(ctx)
    # 18:00 in Tokyo is 09:00 UTC; 09:00 in London in November is 09:00 UTC.
    assert (ev.start_at, ev.end_at, ev.freeze_at) == (
        datetime(2026, 11, 28, 9, 0),
        datetime(2026, 11, 29, 9, 0),
        None,
    )
    page = client.get("/admin/event").text
    # Each time comes back in the zone chosen for it (remembered for the session).
    assert re.search(r'id="f-start_at" name="start_at"[^>]* value="2026-11-28T18:00"', page)
    assert re.search(
        r'<option value="Asia/Tokyo" selected>', page.split('id="f-start_at_zone"')[1].split("</select>")[0]
    )
    assert re.search(r'id="f-end_at" name="end_at"[^>]* value="2026-11-29T09:00"', page)
    # Without a script the page shows the saved moment in UTC and in each of the event's zones.
    preview = text_of(page.split('id="p-start_at"')[1].split("</div>")[0])
    assert "UTC 28 Nov 2026, 09:00" in preview
    assert "London 28 Nov 2026, 09:00 GMT" in preview
    assert "Tokyo 28 Nov 2026, 18:00 JST" in preview
    assert 'datetime="2026-11-28T09:00:00Z"' in page
    # The freeze is empty: no preview for it.
    assert re.search(r'id="p-freeze_at"[^>]*hidden', page)


def test_a_summer_time_in_london_is_an_hour_before_utc(client, make, ctx):
    as_admin(client, make)
    r = post(
        client,
        "/admin/event",
        zoned(
            start_at="2026-07-01T10:00",
            start_at_zone="Europe/London",
            end_at="2026-07-02T10:00",
            end_at_zone="UTC",
        ),
    )
    assert r.status_code == 303, r.text
    ev = event.get_event(ctx)
    assert (ev.start_at, ev.end_at) == (datetime(2026, 7, 1, 9, 0), datetime(2026, 7, 2, 10, 0))
    page = client.get("/admin/event", headers={"Accept-Language": "ja"}).text
    assert "東京 2026/07/01 18:00 JST" in text_of(page)


def test_a_form_without_zones_is_read_as_utc_as_before(client, make, ctx):
    as_admin(client, make)
    assert post(client, "/admin/event", event_form(start_at="2026-07-01T10:00", end_at="")).status_code == 303
    assert event.get_event(ctx).start_at == datetime(2026, 7, 1, 10, 0)


def test_a_time_london_skips_or_repeats_is_refused_naming_the_field(client, make, ctx):
    as_admin(client, make)
    before = event.get_event(ctx).start_at
    r = post(
        client,
        "/admin/event",
        zoned(
            start_at="2026-03-29T01:30",
            start_at_zone="Europe/London",
            end_at="2026-10-25T01:30",
            end_at_zone="Europe/London",
        ),
    )
    assert r.status_code == 400
    start = re.search(r'<p class="field-error" id="e-start_at">([^<]*)</p>', r.text)
    end = re.search(r'<p class="field-error" id="e-end_at">([^<]*)</p>', r.text)
    assert start and start.group(1).startswith("Start: 2026-03-29 01:30 does not exist in Europe/London")
    assert end and end.group(1).startswith("End: 2026-10-25 01:30 happens twice in Europe/London")
    # Both are in the summary too, and what was typed is kept.
    summary = r.text.split('id="error-summary"')[1].split("</div>")[0]
    assert "Start: 2026-03-29 01:30" in summary and "End: 2026-10-25 01:30" in summary
    assert 'value="2026-03-29T01:30"' in r.text and 'value="2026-10-25T01:30"' in r.text
    assert re.search(r'<option value="Europe/London" selected>', r.text.split('id="f-end_at_zone"')[1])
    assert event.get_event(ctx).start_at == before
    # Typed in UTC, the same clock time is one moment.
    r = post(client, "/admin/event", zoned(start_at="2026-03-29T01:30", start_at_zone="UTC", end_at=""))
    assert r.status_code == 303, r.text


def test_a_zone_the_form_does_not_offer_is_refused(client, make, ctx):
    as_admin(client, make)
    r = post(client, "/admin/event", zoned(start_at_zone="Mars/Olympus"))
    assert r.status_code == 400
    assert re.search(r'id="e-start_at">Start: “Mars/Olympus” is not a time zone', r.text)


def test_errors_name_the_field_in_japanese(client, make, ctx):
    as_admin(client, make)
    ja = {"Accept-Language": "ja"}
    r = post(client, "/admin/event", zoned(start_at="not a time", end_at="29/11/2026 09:00"), headers=ja)
    assert r.status_code == 400
    assert re.search(r'id="e-start_at">開始：日時を入力してください。</p>', r.text)
    assert re.search(r'id="e-end_at">終了：日時を入力してください。</p>', r.text)  # every time at once
    assert 'value="not a time"' in r.text and 'value="29/11/2026 09:00"' in r.text
    r = post(client, "/admin/event", zoned(team_size_limit="many"), headers=ja)
    assert re.search(r'id="e-team_size_limit">チームの人数上限：整数を入力してください。</p>', r.text)
    assert 'value="many"' in r.text
    r = post(
        client, "/admin/event", zoned(start_at="2026-03-29T01:30", start_at_zone="Europe/London"), headers=ja
    )
    assert "開始：" in re.search(r'id="e-start_at">([^<]*)<', r.text).group(1)


def test_the_overview_and_tables_do_not_claim_utc_for_times_shown_in_other_zones(client, make, ctx):
    as_admin(client, make)
    assert post(client, "/admin/event", zoned()).status_code == 303
    overview = client.get("/admin").text
    assert "(UTC)" not in overview
    # The start in every event zone, each named with its zone, as on the home page.
    start = text_of(overview.split("<dt>Start</dt>")[1].split("</dd>")[0])
    assert "London 28 Nov 2026, 09:00 GMT" in start and "Tokyo 28 Nov 2026, 18:00 JST" in start
    for path in ("/admin/awards", "/admin/submissions"):
        assert "Time (UTC)" not in client.get(path).text
