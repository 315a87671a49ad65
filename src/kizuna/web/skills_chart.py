"""The skill profile's chart, drawn on the server as SVG (no script; classes only, no ``style``).

Three categories or more make a radar: one spoke per category, numbered (the table beside the chart
names each number in the reader's language, or both, so a long or two-language name never has to
fit in the drawing), rings at a quarter, half, three quarters and all of each category, and the
player's shares as a polygon. With one or two categories a radar would be a line or a point, so the
shares are drawn as bars instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from kizuna.domain.skills import SkillAxis

SIZE = 320  # the radar's view box (square)
CENTRE = SIZE / 2
RADIUS = 120
LABEL_RADIUS = RADIUS + 22
RINGS = (0.25, 0.5, 0.75, 1.0)
BAR_WIDTH = 300
BAR_HEIGHT = 28
BAR_GAP = 12
BAR_LABEL = 28  # room for the number before each bar


def _point(index: int, count: int, fraction: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / count
    return (
        round(CENTRE + RADIUS * fraction * math.cos(angle), 1),
        round(CENTRE + RADIUS * fraction * math.sin(angle), 1),
    )


def _points(pairs: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x},{y}" for x, y in pairs)


@dataclass(frozen=True)
class Spoke:
    number: int
    x: float  # the spoke's end
    y: float
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Bar:
    number: int
    y: float
    width: float
    label_y: float


@dataclass(frozen=True)
class Chart:
    kind: str  # "radar" | "bars" | "none"
    width: int
    height: int
    rings: list[str]  # radar: each ring's polygon points
    spokes: list[Spoke]
    shape: str  # radar: the player's polygon points
    dots: list[tuple[float, float]]
    bars: list[Bar]
    bar_x: int = BAR_LABEL
    bar_height: int = BAR_HEIGHT
    centre: float = CENTRE
    bar_span: int = BAR_WIDTH - BAR_LABEL


def chart(axes: Sequence[SkillAxis]) -> Chart:
    """The drawing of ``axes`` (in their order; spoke or bar *n* is axis *n*, from 1)."""
    count = len(axes)
    if count == 0:
        return Chart("none", 0, 0, [], [], "", [], [])
    if count < 3:
        span = BAR_WIDTH - BAR_LABEL
        bars = [
            Bar(
                i + 1,
                i * (BAR_HEIGHT + BAR_GAP),
                round(max(axis.share * span, 0), 1),
                i * (BAR_HEIGHT + BAR_GAP) + BAR_HEIGHT / 2,
            )
            for i, axis in enumerate(axes)
        ]
        height = count * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
        return Chart("bars", BAR_WIDTH, height, [], [], "", [], bars)
    rings = [_points([_point(i, count, ring) for i in range(count)]) for ring in RINGS]
    spokes = []
    for i in range(count):
        x, y = _point(i, count, 1.0)
        lx, ly = _point(i, count, LABEL_RADIUS / RADIUS)
        spokes.append(Spoke(i + 1, x, y, lx, ly))
    dots = [_point(i, count, axis.share) for i, axis in enumerate(axes)]
    return Chart("radar", SIZE, SIZE, rings, spokes, _points(dots), dots, [])
