"""The home page: the event's landing page. A hero with the event's name and description, where its
clock stands (the phase and the live countdown), the start and end in every event zone, what to do
next (register, log in, or go to the challenges), the organisers and sponsors the admins listed
(``services.sponsors``) and the latest announcements."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError
from kizuna.domain.text import LocalizedText
from kizuna.services import sponsors
from kizuna.services.context import Context
from kizuna.services.event import clock_of, get_event, time_zones
from kizuna.web.api.v1.sponsors import logo_url
from kizuna.web.content import localized
from kizuna.web.pages.admin_common import not_found
from kizuna.web.pages.admin_sponsors import group_label
from kizuna.web.render import render
from kizuna.web.zones import countdown, in_zones, viewer_zone

router = APIRouter()


@dataclass(frozen=True)
class Named:
    text: LocalizedText  # the name, every language
    url: str  # "" when there is no link
    logo: str | None = None  # the logo's address, when there is one


@dataclass(frozen=True)
class Group:
    key: str  # organisers, hosts, sponsors, supporters
    label: str  # its heading in the reader's language
    members: list[Named]


def sponsor_groups(ctx: Context) -> list[Group]:
    """The entries by group, in the order the admins set; groups without entries are left out."""
    out: list[Group] = []
    logos = sponsors.logo_digests(ctx)
    for row in sponsors.all_sponsors(ctx):
        if not out or out[-1].key != row.group:
            out.append(Group(row.group, group_label(row.group), []))
        text = localized(row, sponsors.SPONSOR_TEXT)
        out[-1].members.append(Named(text, row.url, logo_url(row.id, logos.get(row.id))))
    return out


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The event in the reader's language; its start, end and freeze in every event zone (and the
    reader's own, when that is another), and the time left until the start or the end."""
    ctx = request.app.state.ctx
    ev = get_event(ctx)
    now = ctx.now()
    zones = list(dict.fromkeys([*time_zones(ev), viewer_zone(request, ev)]))
    return render(
        request,
        "home.html",
        phase=clock_of(ev).phase(now).value,
        start_times=in_zones(ev.start_at, zones),
        end_times=in_zones(ev.end_at, zones),
        freeze_times=in_zones(ev.freeze_at, zones),
        countdown=countdown(ev, now),
        sponsor_groups=sponsor_groups(ctx),
    )


@router.get("/sponsors/{sponsor_id}/logo")
def sponsor_logo(request: Request, sponsor_id: int) -> Response:
    """An entry's logo as stored (its type was read from its bytes when it was stored); the same 404
    as any missing page when the entry or its logo is missing. Cached by its digest."""
    try:
        logo = sponsors.logo_of(request.app.state.ctx, sponsor_id)
    except DomainError:
        return not_found(request)
    etag = f'"{logo.digest[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(logo.data, media_type=logo.content_type, headers=headers)
