"""Sentence patterns for the live page script (``static/kizuna-live.js``), which has no words of its
own: the page carries them in data attributes, written here from the catalogs with ``{num}`` where the
script puts the count. Patterns for one and for several are both given (English and Japanese need no
more); in both-languages mode each carries both languages, like every other string on the page.

They are made in Python because Jinja's ``ngettext`` fills ``%(num)s`` with the count itself.
"""

from __future__ import annotations

from jinja2 import Environment

from kizuna.i18n import ngettext

NUM = "{num}"


def solve_count_patterns() -> dict[str, str]:
    """A challenge's solve count on the board ("{num} solves")."""
    return {
        "one": ngettext("%(num)s solve", "%(num)s solves", 1, num=NUM),
        "other": ngettext("%(num)s solve", "%(num)s solves", 2, num=NUM),
    }


def unread_patterns() -> dict[str, str]:
    """The unread announcements marker in the navigation ("{num} new")."""
    return {
        "one": ngettext("%(num)s new", "%(num)s new", 1, num=NUM),
        "other": ngettext("%(num)s new", "%(num)s new", 2, num=NUM),
    }


def install(env: Environment) -> None:
    env.globals["solve_count_patterns"] = solve_count_patterns
    env.globals["unread_patterns"] = unread_patterns
