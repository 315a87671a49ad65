"""The venue screen (会場表示モード): the big screen at the venue, made for a 1920×1080 projector that
nobody touches. It never scrolls: the event's name and clock, the top ``event.venue_rows`` rows of
the public scoreboard in type readable from the back of a room, the score graph with labels to match,
and tickers of the latest first bloods and announcements. Both languages by default
(``?display=single`` shows the viewer's language only; the screen's own switch keeps the choice in
the address).

It is live: ``static/kizuna-live.js`` listens to ``GET /events`` (reconnecting by itself) and
re-fetches the parts an event changes — ``/venue/board`` on a scoreboard change, ``/venue/status``
on a pause, resume, extension or freeze, ``/venue/news`` on an announcement — and adds each first
blood's sentence to its ticker at once. htmx re-reads the whole screen every minute as a safety net;
without JavaScript a meta refresh does. Everything comes from the scoreboard snapshots and honours
the freeze (an admin's browser sees the public board here too), so a room full of screens costs
little more than one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kizuna.domain.clock import Phase
from kizuna.domain.errors import DomainError
from kizuna.i18n import BOTH, current_display, current_locale, display_locales, gettext_in, lazy
from kizuna.i18n.countries import country_name
from kizuna.services import venue as venue_service
from kizuna.services.brackets import BRACKET_TEXT
from kizuna.services.event import VENUE_ROWS_DEFAULT, clock_of, get_event
from kizuna.services.scoreboard import BoardFilter, parse_filter
from kizuna.storage import tables as t
from kizuna.web import live_render
from kizuna.web.content import Shown, content_order, localized, resolve, show
from kizuna.web.event_banner import REASON, paused_now, reason_text
from kizuna.web.pages.scoreboard import GraphLayout, board_context, team_style
from kizuna.web.render import render
from kizuna.web.site_content import announcements
from kizuna.web.snapshots import ANY
from kizuna.web.zones import (
    countdown,
    format_in_zone,
    time_of_day,
    utc_iso,
    viewer_zone,
    zone_abbreviation,
)

router = APIRouter()
FROZEN_AT = lazy("Scoreboard frozen at %(time)s")

GRAPH_TOP = 10  # more lines than this cannot be told apart from across a room
ANNOUNCEMENTS = 3
FIRST_BLOODS = 4
REFRESH_SECONDS = 15  # the meta refresh without JavaScript
POLL_SECONDS = 60  # htmx's safety net when the stream is down
# The graph's drawing box matches the space it gets at 1920×1080 (about 800×420 px), so the labels'
# font size in SVG units is their size on the screen. End-of-line labels stay 34 units apart.
VENUE_GRAPH = GraphLayout(width=800, height=420, left=112, right=56, top=24, bottom=52, label_gap=34)


def _display(request: Request) -> str:
    """One language or both: the screen is for readers of either language, so both by default."""
    if "display" not in request.query_params:
        current_display.set(BOTH)  # this request only
    return "both" if current_display.get() == BOTH else "single"


def _query(request: Request) -> str:
    """What every address the screen uses carries, so its parts stay in the chosen languages (and on
    the chosen board) whatever the kiosk browser's cookies say."""
    filter_query = _filter(request)[1]
    return f"display={_display(request)}&lang={current_locale.get()}" + (
        f"&{filter_query}" if filter_query else ""
    )


def _filter(request: Request) -> tuple[BoardFilter, str]:
    """The board the screen shows: ``?bracket_id=``, ``?country=``, ``?affiliation=`` as on the
    scoreboard page (one bracket's or country's ranks, from 1), and that part of its address. The
    screen is left running unattended, so a refused filter shows the whole board rather than an error."""
    values = {
        k: (request.query_params.get(k) or "").strip()[:200] for k in ("bracket_id", "country", "affiliation")
    }
    try:
        which = parse_filter(values["bracket_id"], values["country"], values["affiliation"])
    except DomainError:
        return ANY, ""
    return which, urlencode({k: v for k, v in values.items() if v})


def _board_label(request: Request, which: BoardFilter) -> str:
    """Which board the screen shows, for its heading ("Students · United Kingdom"); "" for all."""
    parts: list[str] = []
    if which.bracket_id is not None:
        ctx = request.app.state.ctx
        with ctx.db.read() as s:
            bracket = s.get(t.Bracket, which.bracket_id)
        if bracket is not None:
            parts.append(resolve(localized(bracket, BRACKET_TEXT), "name", content_order(get_event(ctx))))
    if which.country:
        parts.append(country_name(which.country))
    if which.affiliation:
        parts.append(which.affiliation)
    return " · ".join(parts)


def _time_labels(times: list[datetime], zone: str, locale: str | None = None) -> list[str]:
    """Times short enough to read from the room: the time of day in the screen's zone, named
    ("10:24 JST"), with the date only when the times fall on different days there."""
    locale = locale or current_locale.get()
    local = [_aware(when).astimezone(ZoneInfo(zone)) for when in times]
    if len({d.date() for d in local}) > 1:
        return [format_in_zone(when, zone, "short", locale) for when in times]
    return [f"{time_of_day(d, locale)} {zone_abbreviation(d, zone, locale)}" for d in local]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _board(request: Request) -> dict[str, Any]:
    which = _filter(request)[0]
    board = board_context(request, live=False, graph_top=GRAPH_TOP, layout=VENUE_GRAPH, which=which)
    ev = board["event"]
    rows = board["rows"][: ev.venue_rows or VENUE_ROWS_DEFAULT]
    before = clock_of(ev).phase(request.app.state.ctx.now()) is Phase.NOT_STARTED
    return {
        **board,
        # Before the start, where the graph will be: the site's address and its QR code for the room.
        **(_site_link(request) if before else {}),
        "time_labels": _time_labels([t.value for t in board["graph"].x_ticks], viewer_zone(request, ev))
        if board["graph"]
        else [],
        "rows": rows,
        "board_label": _board_label(request, which) if not which.empty else "",
        "row_count": ev.venue_rows or VENUE_ROWS_DEFAULT,
        "styles": {row["account_id"]: team_style(int(row["account_id"])) for row in rows},
    }


def _site_link(request: Request) -> dict[str, Any]:
    from kizuna.web.client import site_url
    from kizuna.web.pages.account_two_factor import qr_svg

    url = site_url(request)
    return {"site_url": url, "site_qr": qr_svg(url + "/")}


def _status(request: Request) -> dict[str, Any]:
    ctx = request.app.state.ctx
    snaps = request.app.state.snapshots
    state = snaps.state()
    ev, now = state.event, ctx.now()
    paused = paused_now(ev, now)
    reason = reason_text(ev.pause_reason) if paused else None
    return {
        "countdown": countdown(ev, now),
        "phase": clock_of(ev).phase(now).value,
        "paused": paused,
        # The organisers' reason in the screen's language(s), each marked with its language.
        "reasons": [r for r in show(reason, REASON, content_order(ev)) if r.text] if reason else [],
        "frozen_at": ev.freeze_at if state.cutoff is not None else None,
        "frozen_lines": _frozen_lines(ev.freeze_at, now, viewer_zone(request, ev))
        if state.cutoff is not None and ev.freeze_at is not None
        else [],
    }


def _frozen_lines(freeze_at: datetime, now: datetime, zone: str) -> list[Shown]:
    """The freeze as "Scoreboard frozen at 10:00 GMT", one line per language the screen shows (each is
    cut on its own rather than wrapped), with the time of day (and the date when not today) in the
    screen's zone."""
    return [
        Shown(gettext_in(code, FROZEN_AT, time=_time_labels([now, freeze_at], zone, code)[1]), code, "")
        for code in display_locales()
    ]


@dataclass(frozen=True)
class TickerLine:
    messages: list[dict[str, str]]  # [{"locale", "text"}], as the stream sends them


def _blood_line(blood: venue_service.FirstBlood, locales: list[str], order: list[str]) -> TickerLine:
    """A first blood in the screen's languages: the very sentences the stream sends for it."""
    names = {
        code: {"challenge": blood.challenge.get("name", code, order).text, "account": blood.account}
        for code in locales
    }
    return TickerLine(live_render.messages(live_render.Prepared(blood.event, blood.world, names), locales))


def _news(request: Request) -> dict[str, Any]:
    ctx = request.app.state.ctx
    locales, order = display_locales(), content_order(request.app.state.snapshots.state().event)
    bloods = [_blood_line(b, locales, order) for b in venue_service.first_bloods(ctx, FIRST_BLOODS)]
    return {
        "announcements": announcements(ctx, ANNOUNCEMENTS),
        "announcements_max": ANNOUNCEMENTS,
        "first_bloods": [line for line in bloods if line.messages],
        "first_bloods_max": FIRST_BLOODS,
    }


def _screen(request: Request) -> dict[str, Any]:
    q = _query(request)
    status = _status(request)
    return {
        **_board(request),
        **status,
        **_news(request),
        "q": q,
        "filter_query": _filter(request)[1],
        "display_param": _display(request),
        "refresh": REFRESH_SECONDS,
        "poll": POLL_SECONDS,
        "frozen_iso": utc_iso(status["frozen_at"]) if status["frozen_at"] else "",
    }


@router.get("/venue", response_class=HTMLResponse)
def venue(request: Request) -> HTMLResponse:
    ctx = request.app.state.ctx
    return render(request, "venue.html", last_event_id=venue_service.last_event_id(ctx), **_screen(request))


@router.get("/venue/fragment", response_class=HTMLResponse)
def venue_fragment(request: Request) -> HTMLResponse:
    """The whole screen below the language switch, for htmx's periodic refresh."""
    return render(request, "_venue_body.html", **_screen(request))


@router.get("/venue/board", response_class=HTMLResponse)
def venue_board(request: Request) -> HTMLResponse:
    """The ranked rows and the graph, re-read by the live script on a scoreboard change."""
    _display(request)
    return render(request, "_venue_board.html", **_board(request))


@router.get("/venue/status", response_class=HTMLResponse)
def venue_status(request: Request) -> HTMLResponse:
    """The clock and the paused and frozen states, re-read on an ``event_state`` event."""
    _display(request)
    return render(request, "_venue_status.html", **_status(request))


@router.get("/venue/news", response_class=HTMLResponse)
def venue_news(request: Request) -> HTMLResponse:
    """The first-blood and announcement tickers, re-read on an announcement."""
    _display(request)
    return render(request, "_venue_news.html", **_news(request))
