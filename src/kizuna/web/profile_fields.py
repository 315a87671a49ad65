"""The affiliation, country and bracket fields of the player's forms (registration, a new team, the
account and team settings): the options in the reader's language and the values typed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kizuna.i18n import current_locale, gettext
from kizuna.i18n.countries import country_choices
from kizuna.services import brackets
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.web.content import content_order, localized, resolve


@dataclass(frozen=True)
class Profile:
    countries: list[tuple[str, str]]
    brackets: list[tuple[str, str]]  # empty when the event has no bracket of that kind
    chosen: str = ""  # the bracket already chosen (its name): shown, no longer offered


def chosen_once(options: Profile, values: dict[str, str]) -> Profile:
    """The settings' choices: a bracket already chosen is shown by name rather than offered again,
    because players choose theirs once (``services.brackets.check_own_choice``)."""
    current = values.get("bracket_id") or ""
    if not current:
        return options
    name = dict(options.brackets).get(current, "")
    return Profile(options.countries, [], name)


def profile_options(ctx: Context, kind: str) -> Profile:
    """The choices for an account of ``kind`` (``users`` or ``teams``): every country by its name in
    the reader's language, and the brackets of that kind (none: the field is not shown)."""
    order = content_order(get_event(ctx))
    rows = brackets.all_brackets(ctx, kind)
    choices = [(str(b.id), resolve(localized(b, brackets.BRACKET_TEXT), "name", order)) for b in rows]
    return Profile(
        countries=[("", gettext("Not given")), *country_choices(current_locale.get())],
        brackets=[("", gettext("None")), *choices] if choices else [],
    )


def typed(form: Any, with_bracket: bool) -> dict[str, str]:
    """The profile fields as typed (strings; the services check them)."""

    def text(key: str) -> str:
        value = form.get(key, "")
        return value if isinstance(value, str) else ""

    values = {"affiliation": text("affiliation").strip(), "country": text("country").strip()}
    if with_bracket:
        values["bracket_id"] = text("bracket_id").strip()
    return values


def bracket_label(ctx: Context, bracket_id: int | None) -> str:
    """A bracket's name in the reader's language (with the event's fallback), or "" for none."""
    if bracket_id is None:
        return ""
    order = content_order(get_event(ctx))
    for b in brackets.all_brackets(ctx):
        if b.id == bracket_id:
            return str(resolve(localized(b, brackets.BRACKET_TEXT), "name", order))
    return ""
