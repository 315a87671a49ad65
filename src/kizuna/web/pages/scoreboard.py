"""The scoreboard page: ranked table and a score graph drawn as inline SVG on the server.

Both come from the snapshots the API serves (the public board is frozen at the freeze time; admins see
the live board), so the page costs no extra queries while nothing scores. htmx refreshes the body
every 30 seconds; without JavaScript the page is complete as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kizuna.domain.clock import utc
from kizuna.domain.errors import DomainError
from kizuna.domain.policy import Action
from kizuna.i18n.countries import country_name
from kizuna.services import brackets
from kizuna.services.brackets import BRACKET_TEXT
from kizuna.services.event import get_event
from kizuna.services.scoreboard import BoardFilter, parse_filter
from kizuna.web.content import content_order, localized, resolve
from kizuna.web.deps import optional_principal
from kizuna.web.matrix import matrix_for
from kizuna.web.messages import message_for
from kizuna.web.render import render
from kizuna.web.snapshots import ANY

router = APIRouter()

GRAPH_TOP = 10
# Okabe–Ito colours (distinguishable with common colour-vision deficiencies) plus two darker tones;
# each line also has its own dash pattern so colour is never the only cue.
COLOURS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#7F6A00",
    "#000000",
    "#8C510A",
    "#5E3C99",
)
# The text colour that reads on each of COLOURS (for labels drawn on the colour itself).
_W, _B = "#ffffff", "#000000"
INKS = (_W, _B, _B, _B, _B, _B, _W, _W, _W, _W)
# The same teams on the venue's high-contrast dark screen (event.venue_theme "dark", on black): a
# lighter counterpart of each colour, every one at least 4.5:1 on the black background and under its
# black ink, still far apart from each other (tests/unit/test_colour_contrast.py checks all three).
COLOURS_DARK = (
    "#5A9BFF",
    "#E69F00",
    "#00C28F",
    "#E48FC0",
    "#FF7A33",
    "#8EE3F5",
    "#F0E442",
    "#FFFFFF",
    "#C9A27E",
    "#B9A3FF",
)
INKS_DARK = (_B,) * len(COLOURS_DARK)
DASHES = ("", "8 3", "2 3", "8 3 2 3", "12 4", "4 4", "1 2", "10 2 2 2", "6 6", "3 6")


@dataclass(frozen=True)
class TeamStyle:
    colour: str
    ink: str  # text on the colour
    dash: str

    @property
    def css_class(self) -> str:
        """The class that sets ``--team``/``--team-ink`` to this colour (venue.css): the page's
        Content-Security-Policy refuses inline ``style`` attributes."""
        return f"team-c{COLOURS.index(self.colour)}"


def team_style(account_id: int) -> TeamStyle:
    """An account's colour and dash pattern, from its id alone: a team keeps them when ranks change,
    on every page and screen. Consecutive ids get different colours; ids sharing a colour (ten
    apart) get different dash patterns, so two lines never look the same among 100 consecutive ids."""
    n = len(COLOURS)
    i = account_id % n
    return TeamStyle(COLOURS[i], INKS[i], DASHES[(account_id // n) % len(DASHES)])


@dataclass(frozen=True)
class GraphLayout:
    """The graph's drawing box (SVG user units) and the margins kept for the axes' labels."""

    width: int = 800
    height: int = 320
    left: int = 64
    right: int = 16
    top: int = 16
    bottom: int = 40
    label_gap: float = 0.0  # > 0: end-of-line labels, at least this far apart vertically


PAGE_GRAPH = GraphLayout()


@dataclass(frozen=True)
class Series:
    pos: int
    account_id: int
    name: str
    url: str
    score: int
    colour: str
    dash: str
    points: str  # the SVG polyline's "x,y x,y ..."
    ink: str = "#ffffff"
    end_x: float = 0.0  # where the line ends (its current score)
    end_y: float = 0.0
    label_y: float = 0.0  # the end-of-line label's height, moved apart from its neighbours

    @property
    def css_class(self) -> str:
        """The colour's class (``TeamStyle.css_class``): the venue's dark theme redraws the line in
        that class's dark counterpart."""
        return f"team-c{COLOURS.index(self.colour)}"


@dataclass(frozen=True)
class Tick:
    position: float
    value: Any  # int score on the y axis, datetime on the x axis


@dataclass(frozen=True)
class Graph:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    series: list[Series]
    y_ticks: list[Tick]
    x_ticks: list[Tick]


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _spread(wanted: list[float], gap: float, low: float, high: float) -> list[float]:
    """Heights as close to ``wanted`` as possible, at least ``gap`` apart, within [low, high]."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed: list[float] = []
    for i in order:
        placed.append(max(wanted[i], placed[-1] + gap) if placed else max(wanted[i], low))
    overflow = placed[-1] - high if placed else 0.0
    if overflow > 0:  # pushed below the bottom: move the stack up as a whole, then keep the gaps
        placed = [max(low, v - overflow) for v in placed]
        for k in range(1, len(placed)):
            placed[k] = max(placed[k], placed[k - 1] + gap)
    out = [0.0] * len(wanted)
    for k, i in enumerate(order):
        out[i] = round(placed[k], 1)
    return out


def score_graph(
    top: dict[str, Any], start: datetime | None, end: datetime, layout: GraphLayout = PAGE_GRAPH
) -> Graph | None:
    """Step lines of each account's cumulative score from ``start`` (default: first score) to ``end``.

    ``top`` is the snapshot of the top accounts keyed by place, each with its scoring events in time
    order. Each account is drawn in its own colour and dash (``team_style``). Returns None when nobody
    has scored yet (there is nothing to draw)."""
    histories: list[tuple[int, dict[str, Any], list[tuple[datetime, int]]]] = []
    for pos, entry in ((int(k), v) for k, v in sorted(top.items(), key=lambda kv: int(kv[0]))):
        total, steps = 0, []
        for event in entry["solves"]:
            total += int(event["value"])
            steps.append((_parse(event["date"]), total))
        histories.append((pos, entry, steps))
    times = [when for _pos, _entry, steps in histories for when, _total in steps]
    if not times:
        return None
    t0 = utc(start) or min(times)
    t0 = min(t0, min(times))
    t1 = max(utc(end) or end, max(times))
    if t1 <= t0:
        t1 = t0 + timedelta(minutes=1)
    totals = [total for _pos, _entry, steps in histories for _when, total in steps]
    low, high = min(0, *totals), max(1, *totals)
    g = layout
    plot_w, plot_h = g.width - g.left - g.right, g.height - g.top - g.bottom
    span = (t1 - t0).total_seconds()

    def x(when: datetime) -> float:
        return round(g.left + plot_w * (when - t0).total_seconds() / span, 1)

    def y(value: int) -> float:
        return round(g.top + plot_h * (high - value) / (high - low), 1)

    drawn = []
    for pos, entry, steps in histories:
        coords = [(x(t0), y(0))]
        previous = 0
        for when, total in steps:
            coords += [(x(when), y(previous)), (x(when), y(total))]
            previous = total
        coords.append((x(t1), y(previous)))
        drawn.append((pos, entry, coords))
    ends = [coords[-1][1] for _pos, _entry, coords in drawn]
    labels = _spread(ends, g.label_gap, g.top, g.height - g.bottom) if g.label_gap > 0 else ends
    series = []
    for (pos, entry, coords), label_y in zip(drawn, labels, strict=True):
        style = team_style(int(entry["id"]))
        series.append(
            Series(
                pos=pos,
                account_id=int(entry["id"]),
                name=str(entry["name"]),
                url=str(entry["account_url"]),
                score=int(entry["score"]),
                colour=style.colour,
                dash=style.dash,
                points=" ".join(f"{a},{b}" for a, b in coords),
                ink=style.ink,
                end_x=coords[-1][0],
                end_y=coords[-1][1],
                label_y=label_y,
            )
        )
    y_values = sorted({low, 0, (low + high) // 2, high})
    y_ticks = [Tick(y(v), v) for v in y_values]
    x_ticks = [Tick(x(t0), t0), Tick(x(t1), t1)]
    return Graph(g.width, g.height, g.left, g.right, g.top, g.bottom, series, y_ticks, x_ticks)


def board_context(
    request: Request,
    live: bool | None = None,
    graph_top: int = GRAPH_TOP,
    layout: GraphLayout = PAGE_GRAPH,
    which: BoardFilter = ANY,
) -> dict[str, Any]:
    """Rows, graph and freeze state of the board; ``live`` defaults to "the reader is an admin";
    ``which``: the board of one bracket, country or affiliation, ranked within it."""
    ctx = request.app.state.ctx
    if live is None:
        who = optional_principal(request)
        live = bool(who and who.can(Action.SCOREBOARD_LIVE))
    snaps = request.app.state.snapshots
    state = snaps.state()
    ev = state.event
    now = ctx.now().replace(tzinfo=UTC)
    cutoff = None if live else utc(state.cutoff)
    end = min(d for d in (utc(ev.end_at), cutoff, now) if d is not None)
    rows = snaps.board(live, which, state).data
    return {
        "rows": rows,
        # Each account's colour and dash, for the swatch beside its name (the graph's own series
        # carry theirs); the venue's board replaces this with its top rows'.
        "styles": {row["account_id"]: team_style(int(row["account_id"])) for row in rows},
        "graph": score_graph(
            snaps.top(graph_top, live=live, state=state, which=which).data, ev.start_at, end, layout
        ),
        "team_mode": ev.mode == "teams",
        "frozen_at": ev.freeze_at if state.cutoff is not None else None,
        "live": live,
        "event": ev,
    }


@dataclass(frozen=True)
class Filters:
    """The board's filter form: what was asked, the board it means, and the choices."""

    which: BoardFilter
    error: str  # a refused filter's message (the full board is shown instead)
    query: str  # the filter as a query string, for the fragment's address
    brackets: list[tuple[str, str]]
    countries: list[tuple[str, str]]
    affiliations: list[str]
    values: dict[str, str]


def board_filters(request: Request, full: list[dict[str, Any]]) -> Filters:
    """The filter asked for in the address (``bracket_id``, ``country``, ``affiliation``) and the
    form's choices: the brackets of the accounts the board ranks, and the countries and affiliations
    that appear on the full board (names in the reader's language)."""
    ctx = request.app.state.ctx
    params = request.query_params
    values = {k: (params.get(k) or "").strip()[:200] for k in ("bracket_id", "country", "affiliation")}
    error = ""
    try:
        which = parse_filter(values["bracket_id"], values["country"], values["affiliation"])
    except DomainError as exc:
        which, error = ANY, message_for(exc)
    ev = get_event(ctx)
    order = content_order(ev)
    kind = "teams" if ev.mode == "teams" else "users"
    bracket_rows = brackets.all_brackets(ctx, kind)
    countries = sorted({r["country"] for r in full if r.get("country")})
    affiliations = sorted({r["affiliation"] for r in full if r.get("affiliation")}, key=str.casefold)
    query = urlencode({k: v for k, v in values.items() if v}) if not error else ""
    return Filters(
        which=which,
        error=error,
        query=query,
        brackets=[(str(b.id), resolve(localized(b, BRACKET_TEXT), "name", order)) for b in bracket_rows],
        countries=sorted(((c, country_name(c)) for c in countries), key=lambda item: item[1].casefold()),
        affiliations=affiliations,
        values=values,
    )


def _page_context(request: Request) -> tuple[dict[str, Any], int]:
    snaps = request.app.state.snapshots
    who = optional_principal(request)
    live = bool(who and who.can(Action.SCOREBOARD_LIVE))
    filters = board_filters(request, snaps.scoreboard(live=live).data)
    context = board_context(request, live=live, which=filters.which)
    context["filters"] = filters
    context["bracket_names"] = dict(filters.brackets)
    return context, 400 if filters.error else 200


@router.get("/scoreboard", response_class=HTMLResponse)
def scoreboard(request: Request) -> HTMLResponse:
    """The board, or one bracket's, country's or affiliation's (``?bracket_id=&country=&affiliation=``,
    a form that works without JavaScript); a refused filter is said on the page, over the full board."""
    context, status = _page_context(request)
    return render(request, "scoreboard.html", status_code=status, **context)


@router.get("/scoreboard/fragment", response_class=HTMLResponse)
def scoreboard_fragment(request: Request) -> HTMLResponse:
    """The board's body alone (with the same filter), for htmx's periodic refresh."""
    context, status = _page_context(request)
    return render(request, "_scoreboard_body.html", status_code=status, **context)


@router.get("/scoreboard/matrix", response_class=HTMLResponse)
def solve_matrix(request: Request) -> HTMLResponse:
    """Who solved what: ranked accounts × challenges, first bloods marked, under the scoreboard's
    rules (public, frozen for the public); the table scrolls in its own box on a phone."""
    who = optional_principal(request)
    data = matrix_for(request, who)
    state = request.app.state.snapshots.state()
    live = bool(who and who.can(Action.SCOREBOARD_LIVE))
    firsts = {int(k): v for k, v in data["first_bloods"].items()}
    return render(
        request,
        "scoreboard_matrix.html",
        challenges=data["challenges"],
        accounts=[{**a, "solved": set(a["solves"])} for a in data["accounts"]],
        first_bloods=firsts,
        team_mode=state.event.mode == "teams",
        frozen_at=state.event.freeze_at if state.cutoff is not None else None,
        live=live,
    )
