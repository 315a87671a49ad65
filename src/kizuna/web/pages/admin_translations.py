"""The translation report: every content item that has text in some language but not in each
interface language, what it lacks and where to write it, with counts per language; and a form per
category to set its display names in each language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.i18n import LOCALES, current_locale, gettext, language_name, lazy, locale_name, ngettext
from kizuna.services.accounts import Principal
from kizuna.services.categories import rename_category_display
from kizuna.services.context import Context
from kizuna.storage import admin_queries
from kizuna.web.deps import CtxDep, optional_principal
from kizuna.web.pages import admin_columns as columns
from kizuna.web.pages.admin_common import (
    Gate,
    done,
    field_errors,
    not_found,
    page,
    post_gate,
    text,
    view_gate,
)
from kizuna.web.pages.player_helpers import FormErrors

router = APIRouter()

URL = "/admin/translations"
# The report's sections, in order, with their headings.
KINDS = {
    "challenge": lazy("Challenges"),
    "hint": lazy("Hints"),
    "category": lazy("Categories"),
    "announcement": lazy("Announcements"),
    "page": lazy("Custom pages"),
    "event": lazy("Event"),
}


@dataclass(frozen=True)
class Row:
    label: str
    link: str
    missing: list[str]  # one line per language: "日本語: name and description"
    challenge: str = ""  # for a hint, its challenge's name


@dataclass(frozen=True)
class CategoryForm:
    """A category's display-name form: ``anchor`` is its id on the page, ``languages`` the languages
    it can be named in (all but its own, where its name is the category itself)."""

    anchor: str
    category: admin_queries.CategoryNames
    languages: list[tuple[str, str]]  # (code, language name)

    @property
    def source_language(self) -> str:
        return language_name(self.category.source, current_locale.get())

    def key(self, code: str) -> str:
        return f"{self.anchor}-name_{code}"


def _category_forms(categories: list[admin_queries.CategoryNames]) -> list[CategoryForm]:
    out = []
    for index, category in enumerate(categories, start=1):
        codes = [code for code in columns.languages(category.names) if code != category.source]
        named = [(code, language_name(code, current_locale.get())) for code in codes]
        out.append(CategoryForm(f"category-{index}", category, named))
    return out


def _link(gap: admin_queries.TranslationGap, anchors: dict[str, str]) -> str:
    if gap.kind == "challenge":
        return f"/admin/challenges/{gap.key}"
    if gap.kind == "hint":
        return f"/admin/challenges/{gap.challenge_id}#hint-{gap.key}"
    if gap.kind == "category":
        return f"{URL}#{anchors[str(gap.key)]}"
    if gap.kind == "page":
        return f"/admin/pages/{gap.key}"
    return {"announcement": "/admin/announcements", "event": "/admin/event"}[gap.kind]


# Who may open each kind's page: the report links only what the reader may open.
LINK_ACTIONS = {
    "challenge": Action.CHALLENGE_EDIT,
    "hint": Action.CHALLENGE_EDIT,
    "category": Action.CHALLENGE_EDIT,
    "page": Action.PAGE_EDIT,
    "announcement": Action.ANNOUNCEMENT_POST,
    "event": Action.EVENT_SETTINGS,
}


def _row(gap: admin_queries.TranslationGap, anchors: dict[str, str], who: Principal | None) -> Row:
    label = gap.label or (gettext("Hint %(number)s", number=gap.number) if gap.kind == "hint" else "")
    missing = [
        gettext("%(language)s: %(fields)s", language=locale_name(code), fields=columns.field_list(fields))
        for code, fields in gap.missing.items()
    ]
    link = _link(gap, anchors) if who is not None and who.can(LINK_ACTIONS[gap.kind]) else ""
    return Row(label or str(gap.key), link, missing, gap.challenge_name)


def _report(
    request: Request,
    ctx: Context,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    with ctx.db.read() as s:
        gaps = admin_queries.translation_gaps(s, LOCALES)
        forms = _category_forms(admin_queries.categories_in_use(s))
    anchors = {form.category.name: form.anchor for form in forms}
    sections = []
    for kind, heading in KINDS.items():
        rows = [_row(gap, anchors, optional_principal(request)) for gap in gaps if gap.kind == kind]
        if rows:
            sections.append((kind, gettext(heading), rows))
    counts = []
    for code in LOCALES:
        n = sum(code in gap.missing for gap in gaps)
        counts.append(
            ngettext(
                "%(language)s: %(num)s item to translate",
                "%(language)s: %(num)s items to translate",
                n,
                language=locale_name(code),
                num=format_decimal(n, locale=current_locale.get()),
            )
        )
    return page(
        request,
        "admin/translations.html",
        status_code=status_code,
        sections=sections,
        counts=counts,
        category_forms=forms,
        errors=errors or {},
        values=values or {},
    )


@router.get(URL, response_class=HTMLResponse)
def report(request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.CHALLENGE_EDIT))) -> Response:
    if gate.denied:
        return gate.denied
    return _report(request, ctx)


@router.post(URL + "/categories", response_class=HTMLResponse)
def save_category_names(
    request: Request, ctx: CtxDep, gate: Gate = Depends(post_gate(Action.CHALLENGE_EDIT))
) -> Response:
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        forms = _category_forms(admin_queries.categories_in_use(s))
    form = next((f for f in forms if f.category.name == text(gate.form, "category")), None)
    if form is None:
        return not_found(request)
    codes = [code for code, _name in form.languages]
    texts = columns.typed(gate.form, ("name",), codes)
    names = {code: fields["name"] for code, fields in texts.items() if code != form.category.source}
    try:
        rename_category_display(ctx, form.category.name, names)
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return not_found(request)
        keys = columns.error_keys(("name",), names, form.category.source, form.anchor + "-")
        typed = columns.values({code: {"name": name} for code, name in names.items()}, form.anchor + "-")
        return _report(request, ctx, 400, field_errors(exc, keys), typed)
    return done(request, f"{URL}#{form.anchor}", "category_names_saved")
