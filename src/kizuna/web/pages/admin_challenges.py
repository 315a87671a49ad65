"""Admin pages for challenges: the list, the create/edit form, and on the edit page the flags, hints,
tags and files of the challenge, and deleting it after a confirmation step.

A challenge's name, description and category display name, and a hint's title and text, are edited
one column per language (``admin_columns``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.flags import CASE_INSENSITIVE, EXACT, FLAG_TYPES
from kizuna.domain.policy import Action
from kizuna.domain.schedule import schedule_state
from kizuna.i18n import LOCALES, current_locale, gettext, language_name, lazy, locale_name, pgettext
from kizuna.services import challenges as service
from kizuna.services import content
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.services.translations import CHALLENGE_TEXT, HINT_TEXT
from kizuna.storage import admin_queries
from kizuna.storage import tables as t
from kizuna.web import zoned_inputs as zoned
from kizuna.web.content import localized
from kizuna.web.deps import CtxDep
from kizuna.web.pages import admin_columns as columns
from kizuna.web.pages.admin_common import (
    FieldLabels,
    Form,
    Gate,
    checked,
    done,
    field_errors,
    many,
    not_found,
    page,
    post_gate,
    text,
    uploads,
    view_gate,
)
from kizuna.web.pages.player_helpers import FormErrors

router = APIRouter()

# The decay functions a dynamic challenge can have (the form's choices; "static" is no decay).
FUNCTIONS = ("logarithmic", "linear")
# The fields that apply to dynamic challenges only: ignored when the form's type is another.
DYNAMIC_FIELDS = ("function", "initial", "minimum", "decay")
# Service field -> form field. "requirements" is the prerequisites select on the form.
CHALLENGE_FIELDS = {
    **{
        name: name
        for name in (
            "category",
            "connection_info",
            "value",
            "type",
            "function",
            "initial",
            "minimum",
            "decay",
            "state",
            "max_attempts",
            "position",
            "locale",
        )
    },
    "requirements": "prerequisites",
    "release_at": "release_at",
    "close_at": "close_at",
}
# The challenge's own schedule, typed as a clock time in the zone chosen beside each
# (``web.zoned_inputs``), stored in UTC.
SCHEDULE_FIELDS = ("release_at", "close_at")
TEXT_FIELDS = tuple(name for name in CHALLENGE_FIELDS if name not in ("requirements", *SCHEDULE_FIELDS))
# Per language: the name and description, and the category's display name ("category_ja").
DETAIL_TEXT = (*CHALLENGE_TEXT, "category")
FLAG_FIELDS = {"type": "flag_type", "content": "flag_content", "data": "flag_case_insensitive"}
NEW_HINT = "hint_"  # the prefix of the add-a-hint form's controls (hint_title_ja, hint_cost)


# The labels the edit page shows, for errors that name their field (admin_common.FieldLabels).
CHALLENGE_LABELS = FieldLabels(
    {
        "locale": lazy("Original language"),
        "category": lazy("Category"),
        "connection_info": lazy("Connection info"),
        "type": lazy("Challenge type"),
        "value": lazy("Value"),
        "function": lazy("Decay function"),
        "initial": lazy("Initial value"),
        "minimum": lazy("Minimum value"),
        "decay": lazy("Decay"),
        "state": lazy("State"),
        "max_attempts": lazy("Max attempts"),
        "position": lazy("Position"),
        "prerequisites": lazy("Challenges to solve first"),
        "flag_type": lazy("Flag type"),
        "flag_content": lazy("Flag"),
        "flag_case_insensitive": lazy("Case-insensitive"),
        "hint_cost": lazy("Cost in points"),
        "tag_value": lazy("New tag"),
        "file": lazy("Files to upload"),
        "release_at": lazy("Release time"),
        "close_at": lazy("Close time"),
        "practice": lazy("Practice challenge"),
    },
    numbers=("value", "initial", "minimum", "decay", "max_attempts", "position", "hint_cost"),
    times=SCHEDULE_FIELDS,
)
DETAIL_LABELS = {"name": lazy("Name"), "description": lazy("Description")}
HINT_LABELS = {"title": lazy("Title"), "content": lazy("Hint text")}
CATEGORY_IN = lazy("Category in %(language)s")


def _labels(values: dict[str, Any], hint_ids: Sequence[int] = ()) -> FieldLabels:
    """Every field's label on the challenge page, the language columns' with their language."""
    codes = columns.ordered(
        [*LOCALES, *(key.removeprefix("name_") for key in values if key.startswith("name_"))]
    )
    reader = current_locale.get()
    per_language = {
        **columns.labels(DETAIL_LABELS, codes),
        **columns.labels(HINT_LABELS, codes, NEW_HINT),
        **{f"category_{code}": gettext(CATEGORY_IN, language=language_name(code, reader)) for code in codes},
    }
    for hint_id in hint_ids:
        prefix = _hint_prefix(hint_id)
        per_language.update(columns.labels(HINT_LABELS, codes, prefix))
        per_language[prefix + "cost"] = gettext("Cost in points")
    hints = FieldLabels(per_language, numbers=[f"{_hint_prefix(i)}cost" for i in hint_ids])
    return CHALLENGE_LABELS | hints


def _hint_prefix(hint_id: int) -> str:
    """The prefix of a hint's controls on the edit page (hint-3-title_ja, hint-3-cost)."""
    return f"hint-{hint_id}-"


def _edit_url(challenge_id: int, section: str = "") -> str:
    return f"/admin/challenges/{challenge_id}" + (f"#{section}" if section else "")


# --- list -----------------------------------------------------------------------------------------


@router.get("/admin/challenges", response_class=HTMLResponse)
def challenge_list(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.CHALLENGE_VIEW_ALL))
) -> Response:
    if gate.denied:
        return gate.denied
    live = gate.staff.can(Action.SCOREBOARD_LIVE)
    cutoff = None if live else request.app.state.snapshots.state().cutoff
    with ctx.db.read() as s:
        rows = admin_queries.challenge_rows(s, cutoff)
    now = ctx.now()
    schedules = {r.id: schedule_state(r.release_at, r.close_at, now) for r in rows}
    return page(request, "admin/challenges.html", rows=rows, schedules=schedules)


# --- the challenge form ---------------------------------------------------------------------------


def _values_of(ch: t.Challenge) -> dict[str, Any]:
    def num(value: int | None) -> str:
        return "" if value is None else str(value)

    requirements = ch.requirements or {}
    return {
        "locale": ch.locale,
        "category": ch.category,
        "connection_info": ch.connection_info or "",
        "value": num(ch.value),
        "type": ch.type,
        # A challenge that does not decay offers a dynamic challenge's default if made dynamic.
        "function": ch.function if ch.function in FUNCTIONS else FUNCTIONS[0],
        "initial": num(ch.initial),
        "minimum": num(ch.minimum),
        "decay": num(ch.decay),
        "state": ch.state,
        "max_attempts": num(ch.max_attempts),
        "position": num(ch.position),
        "prerequisites": [str(i) for i in requirements.get("prerequisites") or []],
        "anonymize": bool(requirements.get("anonymize")),
        "practice": bool(ch.practice),
    }


NEW_VALUES: dict[str, Any] = {
    "type": "standard",
    "function": FUNCTIONS[0],
    # New challenges start hidden, so players never see one before its flags exist.
    "state": "hidden",
    "value": "100",
    "max_attempts": "0",
    "position": "0",
    "prerequisites": [],
    "anonymize": False,
    "practice": False,
}


def _typed(form: Form, locale: str) -> tuple[dict[str, Any], columns.Texts]:
    """The challenge form as typed, for showing it again: its other fields, then its language columns
    (``locale`` is the original language when the form names none)."""
    values: dict[str, Any] = {name: text(form, name).strip() for name in TEXT_FIELDS}
    values["locale"] = values["locale"] or locale
    values["prerequisites"] = many(form, "prerequisites")
    values["anonymize"] = checked(form, "anonymize")
    values["practice"] = checked(form, "practice")
    for key in SCHEDULE_FIELDS:
        values[key] = text(form, key).strip()
        if key + zoned.ZONE_SUFFIX in form:
            values[key + zoned.ZONE_SUFFIX] = text(form, key + zoned.ZONE_SUFFIX)
    return values, columns.typed(form, DETAIL_TEXT, [values["locale"]])


def _schedule_values(request: Request, ev: t.Event, ch: t.Challenge | None) -> dict[str, str]:
    """The stored release and close times as clock times in the zone last chosen for each."""
    offered = zoned.input_zones(ev)
    out: dict[str, str] = {}
    for key in SCHEDULE_FIELDS:
        zone = zoned.remembered(request, key, offered)
        out[key] = zoned.wall_value(getattr(ch, key) if ch is not None else None, zone)
        out[key + zoned.ZONE_SUFFIX] = zone
    return out


def _read_schedule(
    form: Any, values: dict[str, Any], ev: t.Event
) -> tuple[dict[str, datetime | None], dict[str, str], FormErrors]:
    """Each schedule time typed in the zone chosen beside it (UTC when the form sends none): the
    instants (naive UTC), the zones chosen, and an error naming each field that could not be read."""
    offered = zoned.input_zones(ev)
    instants: dict[str, datetime | None] = {}
    chosen: dict[str, str] = {}
    errors: FormErrors = {}
    for key in SCHEDULE_FIELDS:
        try:
            chosen[key] = zoned.chosen_zone(form, key, offered)
            instants[key] = zoned.read_time(str(values.get(key) or ""), chosen[key], key)
        except DomainError as exc:
            errors[key] = CHALLENGE_LABELS.error(exc, key)
            instants[key] = None
    return instants, chosen, errors


def _schedule_inputs(
    ev: t.Event, values: dict[str, Any], instants: dict[str, datetime | None]
) -> dict[str, zoned.TimeInput]:
    offered = zoned.input_zones(ev)
    return {
        key: zoned.time_input(
            str(values.get(key + zoned.ZONE_SUFFIX) or offered[0]), offered, instants.get(key)
        )
        for key in SCHEDULE_FIELDS
    }


def _category_names(
    texts: columns.Texts, category: str, loaded: admin_queries.CategoryNames | None
) -> dict[str, str]:
    """The category display names to save: those changed from what the form showed for ``loaded``
    (the stored category; None on the create page). When the category itself was changed, only
    names typed anew, so the old category's names are not copied to the new one unasked."""
    old = loaded.names if loaded is not None else {}
    same = loaded is not None and loaded.name == category
    return {
        code: fields["category"]
        for code, fields in texts.items()
        if fields["category"] != old.get(code, "") and (same or fields["category"])
    }


def _changes(
    values: dict[str, Any],
    texts: columns.Texts,
    loaded: admin_queries.CategoryNames | None,
    stored_type: str | None = None,
) -> dict[str, Any]:
    """The service's fields from the typed form: the original language's column as the plain name
    and description, every column in ``translations`` (empty texts remove translations).

    The decay fields count only when the type is dynamic; for any other type they are ignored (as
    a browser without our script still sends them), and a challenge changed from dynamic
    (``stored_type``) to another type stops decaying. A standard challenge given a decay through
    the API keeps it: the form leaves what it does not show alone, as a partial API update does."""
    dynamic = values["type"] == "dynamic"
    data = {
        name: values[name]
        for name in TEXT_FIELDS
        if name != "value" and (dynamic or name not in DYNAMIC_FIELDS)
    }
    if not dynamic and (stored_type is None or stored_type == "dynamic"):
        data["function"] = "static"
    # A decaying challenge's value is computed from its solves; an empty value box is then ignored.
    if values["value"] or not dynamic:
        data["value"] = values["value"]
    data["practice"] = values["practice"]
    prerequisites = values["prerequisites"]
    data["requirements"] = (
        {"prerequisites": prerequisites, "anonymize": values["anonymize"]} if prerequisites else None
    )
    own = texts.get(values["locale"], {})
    data.update({name: own.get(name, "") for name in CHALLENGE_TEXT})
    # The original language goes in ``translations`` too: when it was changed, the service moves
    # the old plain text to its language first, and this then sets the new one.
    translations: dict[str, dict[str, str]] = {
        code: {name: fields[name] for name in CHALLENGE_TEXT} for code, fields in texts.items()
    }
    for code, name in _category_names(texts, values["category"], loaded).items():
        translations[code]["category"] = name
    data["translations"] = translations
    return data


def _error_keys(texts: columns.Texts, source: str) -> dict[str, str]:
    return {**columns.error_keys(DETAIL_TEXT, texts, source), **CHALLENGE_FIELDS}


def _details(s: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The language columns of the details form from its values (stored or typed), and the
    language in which the category is its own display name (that column has no input for it)."""
    source = str(values["locale"])
    texts = columns.typed(values, DETAIL_TEXT, [*LOCALES, source])
    names = admin_queries.category_names(s, str(values.get("category") or ""), source)
    own = names.source if names is not None else source
    lacking = {
        code: ["category"]
        for code, fields in texts.items()
        if names and code != own and not fields["category"]
    }
    details = columns.columns(texts, CHALLENGE_TEXT, source, lacking)
    return {
        "details": details,
        "category_own": own,
        "locale_options": [(col.code, col.language) for col in details],
    }


def _stored_details(s: Any, ch: t.Challenge) -> dict[str, str]:
    """A challenge's language columns as form values."""
    stored = localized(ch, CHALLENGE_TEXT)
    texts = columns.stored(stored, CHALLENGE_TEXT, columns.languages([ch.locale], stored.texts))
    names = admin_queries.category_names(s, ch.category, ch.locale)
    for code, fields in texts.items():
        fields["category"] = names.names.get(code, "") if names is not None else ""
    return columns.values(texts)


def _previews(ch: t.Challenge) -> list[tuple[str, str, str]]:
    """The stored description in each language that has one: (language code, its name, text)."""
    stored = localized(ch, CHALLENGE_TEXT)
    codes = columns.languages([ch.locale], stored.texts)
    return [
        (code, locale_name(code), stored.texts[code]["description"])
        for code in codes
        if stored.has("description", code)
    ]


def _options(ctx: Context, exclude: int | None = None) -> list[tuple[int, str]]:
    """The other challenges, for the prerequisites select."""
    with ctx.db.read() as s:
        return [(o.id, o.name) for o in admin_queries.challenge_options(s) if o.id != exclude]


def _form_context(ctx: Context) -> dict[str, Any]:
    """The choices of the form's selects, labelled in the reader's language. Challenge types added
    by plugins have no translated label and show their name."""
    type_labels = {
        "standard": gettext("Standard (fixed value)"),
        "dynamic": gettext("Dynamic scoring"),
        "manual": gettext("Judged (a judge reads each answer)"),
    }
    function_labels = {
        "static": gettext("No decay (fixed value)"),
        "linear": gettext("Linear decay"),
        "logarithmic": gettext("Logarithmic decay"),
    }
    state_labels = {
        "visible": pgettext("challenge state", "Visible"),
        "hidden": pgettext("challenge state", "Hidden"),
    }
    return {
        "type_options": [(name, type_labels.get(name, name)) for name in ctx.types.names()],
        "function_options": [(name, function_labels[name]) for name in FUNCTIONS],
        "state_options": [(name, state_labels.get(name, name)) for name in service.STATES],
    }


def _new_form(
    request: Request,
    ctx: Context,
    values: dict[str, Any],
    status_code: int = 200,
    errors: FormErrors | None = None,
    instants: dict[str, datetime | None] | None = None,
) -> HTMLResponse:
    with ctx.db.read() as s:
        details = _details(s, values)
    ev = get_event(ctx)
    if "release_at_zone" not in values:
        values = {**_schedule_values(request, ev, None), **values}
    return page(
        request,
        "admin/challenge.html",
        status_code=status_code,
        labels=_labels(values),
        parts=None,
        values=values,
        errors=errors or {},
        schedule_times=_schedule_inputs(ev, values, instants or {}),
        others=_options(ctx),
        **details,
        **_form_context(ctx),
    )


def _default_locale(ctx: Context) -> str:
    return get_event(ctx).default_locale or "en"


@router.get("/admin/challenges/new", response_class=HTMLResponse)
def new_page(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.CHALLENGE_EDIT))
) -> Response:
    if gate.denied:
        return gate.denied
    return _new_form(request, ctx, {**NEW_VALUES, "locale": _default_locale(ctx)})


@router.post("/admin/challenges/new", response_class=HTMLResponse)
def create(request: Request, ctx: CtxDep, gate: Gate = Depends(post_gate(Action.CHALLENGE_EDIT))) -> Response:
    if gate.denied:
        return gate.denied
    values, texts = _typed(gate.form, _default_locale(ctx))
    ev = get_event(ctx)
    instants, chosen, errors = _read_schedule(gate.form, values, ev)
    values.update({key + zoned.ZONE_SUFFIX: zone for key, zone in chosen.items()})
    shown = {**values, **columns.values(texts)}
    if errors:
        return _new_form(request, ctx, shown, 400, errors, instants)
    try:
        ch = service.create_challenge(ctx, {**_changes(values, texts, None), **instants})
    except DomainError as exc:
        errors = field_errors(exc, _error_keys(texts, values["locale"]), labels=_labels(shown))
        return _new_form(request, ctx, shown, 400, errors, instants)
    zoned.remember(request, chosen)
    return done(request, _edit_url(ch.id), "challenge_created")


def _edit_page(
    request: Request,
    ctx: Context,
    challenge_id: int,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
    instants: dict[str, datetime | None] | None = None,
) -> HTMLResponse:
    """The edit page. ``values`` overrides what is shown in any of its forms (what was typed into
    the form that failed); ``errors`` are keyed by the page-wide unique field keys."""
    ev = get_event(ctx)
    with ctx.db.read() as s:
        parts = admin_queries.challenge_parts(s, challenge_id)
        if parts is None:
            return not_found(request)
        ch = parts.challenge
        shown = {**_values_of(ch), **_schedule_values(request, ev, ch), **_stored_details(s, ch)}
        for hint in parts.hints:
            shown.update(_stored_hint(hint))
        shown.update(values or {})
        details = _details(s, shown)
    return page(
        request,
        "admin/challenge.html",
        status_code=status_code,
        labels=_labels(shown, [hint.id for hint in parts.hints]),
        parts=parts,
        values=shown,
        errors=errors or {},
        schedule_times=_schedule_inputs(
            ev,
            shown,
            instants if instants is not None else {key: getattr(ch, key) for key in SCHEDULE_FIELDS},
        ),
        schedule_state=schedule_state(ch.release_at, ch.close_at, ctx.now()),
        previews=_previews(ch),
        hint_columns={
            hint.id: _hint_columns(shown, hint.locale, _hint_prefix(hint.id)) for hint in parts.hints
        },
        new_hint_columns=_hint_columns(shown, ch.locale, NEW_HINT),
        **details,
        others=_options(ctx, exclude=challenge_id),
        case_insensitive=CASE_INSENSITIVE,
        exact=EXACT,
        flag_types=FLAG_TYPES,
        max_file_mb=content.MAX_FILE_BYTES // (1024 * 1024),
        **_form_context(ctx),
    )


@router.get("/admin/challenges/{challenge_id}", response_class=HTMLResponse)
def edit_page(
    request: Request,
    ctx: CtxDep,
    challenge_id: int,
    gate: Gate = Depends(view_gate(Action.CHALLENGE_VIEW_ALL)),
) -> Response:
    if gate.denied:
        return gate.denied
    return _edit_page(request, ctx, challenge_id)


@router.post("/admin/challenges/{challenge_id}", response_class=HTMLResponse)
def save(
    request: Request, ctx: CtxDep, challenge_id: int, gate: Gate = Depends(post_gate(Action.CHALLENGE_EDIT))
) -> Response:
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        ch = s.get(t.Challenge, challenge_id)
        if ch is None:
            return not_found(request)
        loaded = admin_queries.category_names(s, ch.category, ch.locale)
    values, texts = _typed(gate.form, ch.locale)
    instants, chosen, errors = _read_schedule(gate.form, values, get_event(ctx))
    values.update({key + zoned.ZONE_SUFFIX: zone for key, zone in chosen.items()})
    shown = {**values, **columns.values(texts)}
    if errors:
        return _edit_page(request, ctx, challenge_id, 400, errors, shown, instants)
    changes = _changes(values, texts, loaded, ch.type)
    # A form from before the schedule existed leaves it alone.
    changes.update({key: instants[key] for key in SCHEDULE_FIELDS if key in gate.form})
    try:
        service.update_challenge(ctx, challenge_id, changes)
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return not_found(request)
        errors = field_errors(exc, _error_keys(texts, values["locale"]), labels=_labels(shown))
        return _edit_page(request, ctx, challenge_id, 400, errors, shown, instants)
    zoned.remember(request, chosen)
    return done(request, _edit_url(challenge_id), "challenge_saved")


# --- parts of a challenge -------------------------------------------------------------------------


def _owns(ctx: Context, table: Any, row_id: int, challenge_id: int) -> bool:
    with ctx.db.read() as s:
        return admin_queries.belongs(s, table, row_id, challenge_id)


def _delete_part(
    request: Request,
    ctx: Context,
    gate: Any,
    challenge_id: int,
    table: Any,
    row_id: int,
    delete: Callable[[Context, int], None],
    section: str,
    notice: str,
) -> Response:
    """Delete one flag, hint, tag or file of the challenge (404 when it belongs to another one)."""
    if gate.denied:
        return gate.denied
    if not _owns(ctx, table, row_id, challenge_id):
        return not_found(request)
    delete(ctx, row_id)
    return done(request, _edit_url(challenge_id, section), notice)


@router.post("/admin/challenges/{challenge_id}/flags", response_class=HTMLResponse)
def add_flag(
    request: Request, ctx: CtxDep, challenge_id: int, gate: Gate = Depends(post_gate(Action.CHALLENGE_EDIT))
) -> Response:
    if gate.denied:
        return gate.denied
    form = gate.form
    typed = {
        "flag_type": text(form, "flag_type"),
        "flag_content": text(form, "flag_content"),
        "flag_case_insensitive": checked(form, "flag_case_insensitive"),
    }
    # The kind select offers "exact" beside the flag types: a static flag compared byte for byte.
    type_, data = str(typed["flag_type"]), CASE_INSENSITIVE if typed["flag_case_insensitive"] else ""
    if type_ == EXACT:
        if data:
            message = gettext("A flag compared byte for byte cannot also be case-insensitive.")
            return _edit_page(request, ctx, challenge_id, 400, {"flag_case_insensitive": message}, typed)
        type_, data = "static", EXACT
    try:
        content.create_flag(ctx, challenge_id, type_, str(typed["flag_content"]), data)
    except DomainError as exc:
        if exc.field == "challenge_id":
            return not_found(request)
        errors = field_errors(exc, FLAG_FIELDS, labels=CHALLENGE_LABELS)
        return _edit_page(request, ctx, challenge_id, 400, errors, typed)
    return done(request, _edit_url(challenge_id, "flags"), "flag_added")


@router.post("/admin/challenges/{challenge_id}/flags/{flag_id}/delete", response_class=HTMLResponse)
def delete_flag(
    request: Request,
    ctx: CtxDep,
    challenge_id: int,
    flag_id: int,
    gate: Gate = Depends(post_gate(Action.CHALLENGE_EDIT)),
) -> Response:
    return _delete_part(
        request, ctx, gate, challenge_id, t.Flag, flag_id, content.delete_flag, "flags", "flag_deleted"
    )


def _stored_hint(hint: t.Hint) -> dict[str, str]:
    """A hint's language columns and cost as values of its form on the edit page."""
    stored = localized(hint, HINT_TEXT)
    texts = columns.stored(stored, HINT_TEXT, columns.languages([hint.locale], stored.texts))
    prefix = _hint_prefix(hint.id)
    return {**columns.values(texts, prefix), prefix + "cost": str(hint.cost)}


def _hint_columns(values: dict[str, Any], source: str, prefix: str) -> list[columns.Column]:
    texts = columns.typed(values, HINT_TEXT, [*LOCALES, source], prefix)
    return columns.columns(texts, HINT_TEXT, source)


def _hint_failed(
    request: Request,
    ctx: Context,
    challenge_id: int,
    exc: DomainError,
    texts: columns.Texts,
    source: str,
    prefix: str,
    cost: str,
) -> HTMLResponse:
    """The edit page again after a hint form failed, with what was typed and the error in place."""
    keys = {**columns.error_keys(HINT_TEXT, texts, source, prefix), "cost": prefix + "cost"}
    typed = {**columns.values(texts, prefix), prefix + "cost": cost}
    hint_id = int(prefix.split("-")[1]) if prefix.startswith("hint-") else None
    labels = _labels({}, [hint_id] if hint_id is not None else [])
    return _edit_page(request, ctx, challenge_id, 400, field_errors(exc, keys, labels=labels), typed)


@router.post("/admin/challenges/{challenge_id}/hints", response_class=HTMLResponse)
def add_hint(
    request: Request, ctx: CtxDep, challenge_id: int, gate: Gate = Depends(post_gate(Action.CHALLENGE_EDIT))
) -> Response:
    """A new hint, in the challenge's original language and any other language typed."""
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        ch = s.get(t.Challenge, challenge_id)
    if ch is None:
        return not_found(request)
    source = ch.locale
    texts = columns.typed(gate.form, HINT_TEXT, [source], NEW_HINT)
    cost = text(gate.form, NEW_HINT + "cost").strip()
    own = texts[source]
    given = {"locale": source, "translations": columns.translations(texts, source, keep_empty=False)}
    try:
        content.create_hint(ctx, challenge_id, own["content"], cost, own["title"], text=given)
    except DomainError as exc:
        if exc.field == "challenge_id":
            return not_found(request)
        return _hint_failed(request, ctx, challenge_id, exc, texts, source, NEW_HINT, cost)
    return done(request, _edit_url(challenge_id, "hints"), "hint_added")


@router.post("/admin/challenges/{challenge_id}/hints/{hint_id}", response_class=HTMLResponse)
def save_hint(
    request: Request,
    ctx: CtxDep,
    challenge_id: int,
    hint_id: int,
    gate: Gate = Depends(post_gate(Action.CHALLENGE_EDIT)),
) -> Response:
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        hint = s.get(t.Hint, hint_id)
    if hint is None or hint.challenge_id != challenge_id:
        return not_found(request)
    source = hint.locale
    texts = columns.typed(gate.form, HINT_TEXT, [source])
    cost = text(gate.form, "cost").strip()
    changes = {**texts[source], "cost": cost, "translations": columns.translations(texts, source)}
    try:
        content.update_hint(ctx, hint_id, changes)
    except DomainError as exc:
        return _hint_failed(request, ctx, challenge_id, exc, texts, source, _hint_prefix(hint_id), cost)
    return done(request, _edit_url(challenge_id, f"hint-{hint_id}"), "hint_saved")


@router.post("/admin/challenges/{challenge_id}/hints/{hint_id}/delete", response_class=HTMLResponse)
def delete_hint(
    request: Request,
    ctx: CtxDep,
    challenge_id: int,
    hint_id: int,
    gate: Gate = Depends(post_gate(Action.CHALLENGE_EDIT)),
) -> Response:
    return _delete_part(
        request, ctx, gate, challenge_id, t.Hint, hint_id, content.delete_hint, "hints", "hint_deleted"
    )


@router.post("/admin/challenges/{challenge_id}/tags", response_class=HTMLResponse)
def add_tag(
    request: Request, ctx: CtxDep, challenge_id: int, gate: Gate = Depends(post_gate(Action.CHALLENGE_EDIT))
) -> Response:
    if gate.denied:
        return gate.denied
    value = text(gate.form, "tag_value")
    try:
        content.create_tag(ctx, challenge_id, value)
    except DomainError as exc:
        if exc.field == "challenge_id":
            return not_found(request)
        errors = field_errors(exc, {"value": "tag_value"}, labels=CHALLENGE_LABELS)
        return _edit_page(request, ctx, challenge_id, 400, errors, {"tag_value": value})
    return done(request, _edit_url(challenge_id, "tags"), "tag_added")


@router.post("/admin/challenges/{challenge_id}/tags/{tag_id}/delete", response_class=HTMLResponse)
def delete_tag(
    request: Request,
    ctx: CtxDep,
    challenge_id: int,
    tag_id: int,
    gate: Gate = Depends(post_gate(Action.CHALLENGE_EDIT)),
) -> Response:
    return _delete_part(
        request, ctx, gate, challenge_id, t.Tag, tag_id, content.delete_tag, "tags", "tag_deleted"
    )


@router.post("/admin/challenges/{challenge_id}/files", response_class=HTMLResponse)
def upload_files(
    request: Request, ctx: CtxDep, challenge_id: int, gate: Gate = Depends(post_gate(Action.CHALLENGE_EDIT))
) -> Response:
    """Store each chosen file. Files are read whole because the service hashes and writes them in
    one step; the size limit is checked there."""
    if gate.denied:
        return gate.denied
    chosen = uploads(gate.form, "file")
    errors: FormErrors = {}
    if not chosen:
        errors = field_errors(DomainError(ErrorCode.FILE_MISSING, field="file"), {"file": "file"})
    for upload in chosen:
        try:
            content.save_file(ctx, challenge_id, upload.filename or "", upload.file.read())
        except DomainError as exc:
            if exc.field == "challenge_id":
                return not_found(request)
            if exc.code is ErrorCode.VALUE_INVALID and exc.field == "file":
                mb = content.MAX_FILE_BYTES // (1024 * 1024)
                message = gettext("Files can be at most %(size)s MB.", size=mb)
                errors = {"file": message}
            else:
                errors = field_errors(exc, {"file": "file"})
            break
    if errors:
        return _edit_page(request, ctx, challenge_id, 400, errors)
    return done(request, _edit_url(challenge_id, "files"), "file_uploaded")


@router.post("/admin/challenges/{challenge_id}/files/{file_id}/delete", response_class=HTMLResponse)
def delete_file(
    request: Request,
    ctx: CtxDep,
    challenge_id: int,
    file_id: int,
    gate: Gate = Depends(post_gate(Action.CHALLENGE_EDIT)),
) -> Response:
    return _delete_part(
        request, ctx, gate, challenge_id, t.File, file_id, content.delete_file, "files", "file_deleted"
    )


# --- delete the challenge -------------------------------------------------------------------------


@router.get("/admin/challenges/{challenge_id}/delete", response_class=HTMLResponse)
def confirm_delete(
    request: Request, ctx: CtxDep, challenge_id: int, gate: Gate = Depends(view_gate(Action.CHALLENGE_EDIT))
) -> Response:
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        ch = s.get(t.Challenge, challenge_id)
    if ch is None:
        return not_found(request)
    return page(
        request,
        "admin/confirm.html",
        title=gettext("Delete the challenge “%(name)s”?", name=ch.name),
        consequence=gettext(
            "Its flags, hints, tags, files, solves and submissions are deleted with it, and the points "
            "its solvers scored are taken off the scoreboard. This cannot be undone."
        ),
        action=f"/admin/challenges/{challenge_id}/delete",
        button=gettext("Delete the challenge"),
        cancel=_edit_url(challenge_id),
    )


@router.post("/admin/challenges/{challenge_id}/delete", response_class=HTMLResponse)
def delete(
    request: Request, ctx: CtxDep, challenge_id: int, gate: Gate = Depends(post_gate(Action.CHALLENGE_EDIT))
) -> Response:
    if gate.denied:
        return gate.denied
    try:
        service.delete_challenge(ctx, challenge_id)
    except DomainError:
        return not_found(request)
    return done(request, "/admin/challenges", "challenge_deleted")
