"""One English word for two things, told apart by a context: "Hidden" is 非公開 for a challenge and
非表示 for an account, in one language or in both side by side."""

from __future__ import annotations

from kizuna.i18n import BOTH, current_display, current_locale, gettext, pgettext


def test_the_context_picks_the_translation() -> None:
    token = current_locale.set("ja")
    try:
        assert pgettext("challenge state", "Hidden") == "非公開"
        assert gettext("Hidden") == "非表示"
        assert pgettext("challenge state", "Visible") == "公開"
    finally:
        current_locale.reset(token)
    assert pgettext("challenge state", "Hidden") == "Hidden"


def test_both_languages_side_by_side() -> None:
    locale, display = current_locale.set("en"), current_display.set(BOTH)
    try:
        assert pgettext("challenge state", "Hidden") == "Hidden / 非公開"
    finally:
        current_display.reset(display)
        current_locale.reset(locale)
