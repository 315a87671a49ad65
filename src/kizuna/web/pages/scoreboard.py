"""The scoreboard page: ranked table and a score graph drawn as inline SVG on the server.

Both come from the snapshots the API serves (the public board is frozen at the freeze time; admins see
the live board), so the page costs no extra queries while nothing scores. htmx refreshes the body
every 30 seconds; without JavaScript the page is complete as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kizuna.domain.clock import utc
from kizuna.domain.policy import Action
from kizuna.web.deps import optional_principal
from kizuna.web.render import render

router = APIRouter()

GRAPH_TOP = 10
WIDTH, HEIGHT = 800, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40
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
DASHES = ("", "8 3", "2 3", "8 3 2 3", "12 4", "4 4", "1 2", "10 2 2 2", "6 6", "3 6")


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


def score_graph(top: dict[str, Any], start: datetime | None, end: datetime) -> Graph | None:
    """Step lines of each account's cumulative score from ``start`` (default: first score) to ``end``.

    ``top`` is the snapshot of the top accounts keyed by place, each with its scoring events in time
    order. Returns None when nobody has scored yet (there is nothing to draw)."""
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
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = (t1 - t0).total_seconds()

    def x(when: datetime) -> float:
        return round(LEFT + plot_w * (when - t0).total_seconds() / span, 1)

    def y(value: int) -> float:
        return round(TOP + plot_h * (high - value) / (high - low), 1)

    series = []
    for i, (pos, entry, steps) in enumerate(histories):
        coords = [(x(t0), y(0))]
        previous = 0
        for when, total in steps:
            coords += [(x(when), y(previous)), (x(when), y(total))]
            previous = total
        coords.append((x(t1), y(previous)))
        series.append(
            Series(
                pos=pos,
                account_id=int(entry["id"]),
                name=str(entry["name"]),
                url=str(entry["account_url"]),
                score=int(entry["score"]),
                colour=COLOURS[i % len(COLOURS)],
                dash=DASHES[i % len(DASHES)],
                points=" ".join(f"{a},{b}" for a, b in coords),
            )
        )
    y_values = sorted({low, 0, (low + high) // 2, high})
    y_ticks = [Tick(y(v), v) for v in y_values]
    x_ticks = [Tick(x(t0), t0), Tick(x(t1), t1)]
    return Graph(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, series, y_ticks, x_ticks)


def board_context(request: Request, live: bool | None = None) -> dict[str, Any]:
    """Rows, graph and freeze state of the board; ``live`` defaults to "the reader is an admin"."""
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
    return {
        "rows": snaps.scoreboard(live=live, state=state).data,
        "graph": score_graph(snaps.top(GRAPH_TOP, live=live, state=state).data, ev.start_at, end),
        "team_mode": ev.mode == "teams",
        "frozen_at": ev.freeze_at if state.cutoff is not None else None,
        "live": live,
        "event": ev,
    }


@router.get("/scoreboard", response_class=HTMLResponse)
def scoreboard(request: Request) -> HTMLResponse:
    return render(request, "scoreboard.html", **board_context(request))


@router.get("/scoreboard/fragment", response_class=HTMLResponse)
def scoreboard_fragment(request: Request) -> HTMLResponse:
    """The board's body alone, for htmx's periodic refresh."""
    return render(request, "_scoreboard_body.html", **board_context(request))
