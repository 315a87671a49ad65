"""A lesson completed in Japanese on a phone (390×844): a player reads the fixture track's first
module in Japanese, answers its tasks (a choice, a short answer typed in full-width characters, as a
Japanese IME does) through the page's forms, and sees the module completed and the next one unlocked
— with the page never scrolling sideways. Debian's chromium through Playwright; skips without it,
except under ``CI=true``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kizuna.bootstrap import prepare_database
from kizuna.services import accounts, tracks
from kizuna.settings import load_settings
from kizuna.web.app import build_context
from tests.conftest import PASSWORD, unavailable
from tests.e2e.test_browser_flow import CHROMIUM, CHROMIUM_ARGS
from tests.live_server import running_server, server_env

pytestmark = pytest.mark.e2e
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tracks" / "sample-track"
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    env = server_env(tmp_path)
    ctx = build_context(load_settings(environ=env))
    try:
        prepare_database(ctx.db)
        accounts.register_user(ctx, "manabu", PASSWORD, by_admin=True)
        tracks.import_tracks(ctx, FIXTURE)
    finally:
        ctx.db.dispose()
    with running_server(env, tmp_path / "server.log") as url:
        yield url


def test_a_lesson_completed_in_japanese_on_a_phone(site: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        unavailable("Chromium", f"{CHROMIUM} is missing; run `make system-packages`")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as exc:
        unavailable("Playwright", str(exc))
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                locale="ja-JP", base_url=site, viewport={"width": 390, "height": 844}, is_mobile=True
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto("/login?lang=ja")
            page.get_by_label(re.compile(r"^(名前|ユーザー名)")).fill("manabu")
            page.get_by_label(re.compile(r"^パスワード")).fill(PASSWORD)
            page.get_by_role("button", name="ログイン").click()
            page.wait_for_load_state()

            page.goto("/tracks")
            expect(page.get_by_role("heading", level=1)).to_have_text("学習コース")
            page.get_by_role("link", name="サンプルコース").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("サンプルコース")
            assert page.evaluate(SIDEWAYS) <= 0
            page.screenshot(path=str(shots / "01-track.png"), full_page=True)

            page.get_by_role("link", name="エンコーディング").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("エンコーディング")
            expect(page.locator(".lesson-body")).to_contain_text("a2l6dW5h をデコードすると")
            assert page.evaluate(SIDEWAYS) <= 0
            page.screenshot(path=str(shots / "02-lesson.png"), full_page=True)

            first = page.locator("#task-base64-name")
            first.get_by_label("16 進数").check()
            first.get_by_role("button", name="答え合わせ").click()
            expect(page.locator("#task-result-base64-name")).to_contain_text("不正解です")
            page.locator("#task-base64-name").get_by_label("Base64").check()
            page.locator("#task-base64-name").get_by_role("button", name="答え合わせ").click()
            expect(page.locator("#task-result-base64-name")).to_contain_text("正解です")
            second = page.locator("#task-decode-word")
            second.get_by_label("解答").fill("ｋｉｚｕｎａ")
            second.get_by_role("button", name="答え合わせ").click()
            expect(page.locator("#task-result-decode-word")).to_contain_text("正解です")
            expect(page.get_by_role("heading", level=1)).to_contain_text("完了")
            assert page.evaluate(SIDEWAYS) <= 0
            page.screenshot(path=str(shots / "03-lesson-done.png"), full_page=True)

            page.get_by_role("link", name=re.compile("ハッシュ")).click()
            page.locator("#task-hash-length").get_by_label("解答").fill("６４")
            page.locator("#task-hash-length").get_by_role("button", name="答え合わせ").click()
            expect(page.locator("#task-result-hash-length")).to_contain_text("正解です")

            page.goto("/tracks/sample-track")
            basics = page.locator("#module-basics")
            expect(basics.locator(".chip-correct").first).to_have_text("修了")
            expect(page.locator("#module-practice .chip-locked")).to_have_count(0)
            expect(page.get_by_role("link", name="はじめてのフラグ")).to_be_visible()
            assert page.evaluate(SIDEWAYS) <= 0
            page.screenshot(path=str(shots / "04-module-done.png"), full_page=True)
        finally:
            browser.close()
