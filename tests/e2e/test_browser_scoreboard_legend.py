"""The scoreboard's graph legend and team colours in a real browser, on a phone (390 px), a laptop
(1366 px) and a projector (1920 px), in English, Japanese and both languages, with long English and
Japanese team names:

- the legend's entries never overlap and stay inside the window (no sideways scrolling); a name that
  does not fit is cut with an ellipsis and its whole text stays in the link (and its title);
- each team is drawn in one colour: its legend mark, its line on the graph and the mark beside its
  name in the table compute to the same colour, in the light theme and the dark one.

Screenshots are kept in ``$KIZUNA_SCREENSHOTS`` when set, else in the test's temporary directory.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kizuna.bootstrap import prepare_database
from kizuna.services import accounts, challenges, content, event, submissions, teams
from kizuna.services.accounts import Principal
from kizuna.settings import load_settings
from kizuna.storage.db import Database
from kizuna.web.app import build_context
from kizuna.web.pages.scoreboard import COLOURS, COLOURS_DARK
from tests.conftest import PASSWORD
from tests.e2e.test_browser_venue import _env, _rgb, _shots
from tests.live_server import running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.e2e

NAMES = [
    "広島サイバーセキュリティ研究会・ウェールズ合同チームの非常に長いチーム名",
    "The Long-Named Cardiff and Swansea Capture the Flag Collective",
    "赤い竜",
    "Red Dragons",
    "SupercalifragilisticexpialidociousHackersWithoutSpaces",
    "絆チーム",
    "Team Six",
    "東京・広島・カーディフ・スウォンジー・ニューポート合同",
    "Ninth",
    "Tenth Team",
]
VIEWPORTS = {"phone": (390, 844), "laptop": (1366, 768), "projector": (1920, 1080)}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten teams with long names in both scripts, each with a different score."""
    folder = tmp_path_factory.mktemp("legend-seed")
    env = _env(folder)
    ctx = build_context(load_settings(environ=env))
    real_now = ctx.now
    try:
        prepare_database(ctx.db)
        start = real_now() - timedelta(hours=2)
        event.update_event(ctx, {"start_at": start, "end_at": real_now() + timedelta(hours=2)})
        made = []
        for n, name in enumerate(NAMES):
            user = accounts.register_user(ctx, f"legend{n:02d}", PASSWORD, by_admin=True)
            team = teams.create_team(ctx, name, user.id)
            made.append(Principal(user.id, user.name, "player", team.id))
        for k in range(4):
            ch = challenges.create_challenge(ctx, {"name": f"Step {k}", "category": "misc", "value": 100})
            content.create_flag(ctx, ch.id, "static", f"flag{{step{k}}}", "")
            for n, who in enumerate(made):
                if k * 3 > len(made) - n:
                    continue
                ctx.now = lambda k=k, n=n: start + timedelta(minutes=10 + 25 * k + n)
                assert submissions.submit_flag(ctx, who, ch.id, f"flag{{step{k}}}").status == "correct"
    finally:
        ctx.now = real_now
        ctx.db.dispose()
    db = Database(env["KIZUNA_DATABASE_URL"])
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return folder / "kizuna.db"


@pytest.fixture
def server(tmp_path: Path, seeded: Path) -> Iterator[str]:
    shutil.copy(seeded, tmp_path / "kizuna.db")
    with running_server(_env(tmp_path), tmp_path / "server.log") as url:
        yield url


MEASURE = """() => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return {l: r.left, r: r.right, t: r.top, b: r.bottom};
  };
  const legend = document.querySelector('.score-graph .legend');
  const stroke = (el) => el ? getComputedStyle(el).stroke : null;
  const entries = [...legend.querySelectorAll('li')].map((li) => {
    const a = li.querySelector('a');
    const id = li.dataset.account;
    return {
      id, box: box(li), text: a.textContent, title: a.title,
      cut: a.scrollWidth > a.clientWidth + 1, name: box(a), score: box(li.querySelector('.score')),
      mark: stroke(li.querySelector('svg.swatch line')),
      line: stroke(document.querySelector(`.score-graph polyline[data-account="${id}"]`)),
      row: stroke(document.querySelector(`table.scoreboard tr[data-account="${id}"] svg.swatch line`)),
    };
  });
  const root = document.documentElement;
  return {
    entries, legend: box(legend), innerWidth,
    scrollWidth: Math.max(root.scrollWidth, document.body.scrollWidth),
  };
}"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return min(a["r"], b["r"]) - max(a["l"], b["l"]) > 0.5 and min(a["b"], b["b"]) - max(a["t"], b["t"]) > 0.5


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize(
    ("mode", "theme"), [("en", "light"), ("ja", "light"), ("both", "light"), ("ja", "dark")]
)
def test_the_legend_never_runs_together_and_colours_agree(
    server: str, browser: Browser, tmp_path: Path, viewport: str, mode: str, theme: str
) -> None:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(base_url=server, viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        if theme == "dark":
            page.goto("/theme/dark")
        page.goto("/lang/both" if mode == "both" else f"/lang/{mode}")
        page.goto("/scoreboard")
        page.locator(".score-graph .legend li").first.wait_for()
        m: Any = page.evaluate(MEASURE)
        page.screenshot(path=str(_shots(tmp_path) / f"legend-{viewport}-{mode}-{theme}.png"), full_page=True)
    finally:
        context.close()
    entries = m["entries"]
    assert sorted(e["text"] for e in entries) == sorted(NAMES)  # every name whole in its link
    assert m["scrollWidth"] <= m["innerWidth"], m["scrollWidth"]
    for i, a in enumerate(entries):
        assert a["box"]["l"] >= m["legend"]["l"] - 0.5 and a["box"]["r"] <= m["innerWidth"] + 0.5, a
        assert not _overlap(a["name"], a["score"]), a  # the name and its score side by side
        for b in entries[i + 1 :]:
            assert not _overlap(a["box"], b["box"]), (a, b)
        if a["cut"]:
            assert a["title"] == a["text"], a  # the whole name on a pointer, as well as in the link
    assert any(e["cut"] for e in entries) or viewport == "projector"  # long names do get cut
    palette = {_rgb(c) for c in (COLOURS_DARK if theme == "dark" else COLOURS)}
    for e in entries:
        assert e["mark"] == e["line"] == e["row"], e
        assert e["mark"] in palette, (e, palette)
