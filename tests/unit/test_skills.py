"""The skill profile's rules (domain/skills.py) and its chart (web/skills_chart.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kizuna.domain.skills import PricedGroup, challenge_points, difficulty, profile, totals
from kizuna.web.skills_chart import chart


def test_difficulty_bands_follow_the_points() -> None:
    assert [difficulty(p) for p in (0, 1, 100, 101, 200, 201, 300, 301, 500, 501, 5000)] == [
        1,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
    ]


def test_a_dynamic_challenge_is_priced_by_its_initial_value() -> None:
    assert challenge_points("dynamic", 120, 500) == 500  # decayed to 120: still a hard one
    assert challenge_points("standard", 120, 500) == 120
    assert challenge_points("dynamic", 120, None) == 120
    assert challenge_points("standard", -5, None) == 0


def test_profile_weighs_solves_and_counts_only_offered_categories() -> None:
    offered = [
        PricedGroup("web", "standard", 100, None, 2),  # 2 x band 1
        PricedGroup("web", "dynamic", 50, 450, 1),  # band 4
        PricedGroup("crypto", "standard", 300, None, 1),  # band 3
    ]
    solved = [
        PricedGroup("web", "dynamic", 50, 450, 1),
        PricedGroup("secret", "standard", 100, None, 1),  # not offered to this reader: left out
    ]
    axes = profile(solved, offered)
    assert [a.category for a in axes] == ["crypto", "web"]
    crypto, web = axes
    assert (web.solved, web.score, web.available, web.percent) == (1, 4, 6, 67)
    assert (crypto.solved, crypto.score, crypto.available, crypto.share) == (0, 0, 3, 0.0)
    assert totals(axes) == {"solved": 1, "score": 4}
    assert "secret" not in {a.category for a in axes}


groups = st.builds(
    PricedGroup,
    st.sampled_from(["web", "crypto", "pwn", "misc"]),
    st.sampled_from(["standard", "dynamic"]),
    st.integers(0, 1000),
    st.one_of(st.none(), st.integers(0, 1000)),
    st.integers(1, 5),
)


@given(st.lists(groups, max_size=12))
def test_solving_everything_offered_fills_every_axis(offered: list[PricedGroup]) -> None:
    axes = profile(offered, offered)
    assert all(a.share == 1.0 for a in axes)
    assert all(0 <= a.share <= 1 for a in profile(offered[:3], offered))


def test_chart_is_a_radar_from_three_categories_and_bars_below() -> None:
    offered = [PricedGroup(c, "standard", 100, None, 1) for c in ("a", "b", "c", "d")]
    radar = chart(profile(offered[:2], offered))
    assert radar.kind == "radar" and len(radar.spokes) == 4 and len(radar.rings) == 4
    # Full share on the first spoke reaches its end; none on the last stays at the centre.
    assert radar.dots[0] == (radar.spokes[0].x, radar.spokes[0].y)
    assert radar.dots[3] == (radar.centre, radar.centre)
    bars = chart(profile(offered[:1], offered[:2]))
    assert bars.kind == "bars" and [b.width for b in bars.bars] == [bars.bar_span, 0]
    assert chart([]).kind == "none"
