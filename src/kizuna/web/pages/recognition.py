"""Recognition on the pages: the skill profile section of a player's page (``_skills.html``), the
player's certificates (``/account/certificates``, the PDF at ``/certificates/<code>.pdf``), public
verification (``/verify``), the admin's list of certificates with revocation, the consent to the
recruiter view on the account page and the organisers' recruiter view (``/admin/recruiting``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.certificates import EVENT_SUBJECT, CertificateKind, read_code, show_code
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.services import certificates, recruiting, skills, tracks
from kizuna.services.accounts import Principal
from kizuna.services.board import category_text
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.storage import tables as t
from kizuna.web import consent_text
from kizuna.web.certificate_pdf import render_pdf
from kizuna.web.client import site_url
from kizuna.web.deps import CtxDep, optional_principal, verified_form
from kizuna.web.messages import message_for
from kizuna.web.pages import flash
from kizuna.web.pages.admin_common import Gate, done, page, post_gate, view_gate
from kizuna.web.pages.player_helpers import login_redirect, see_other, text
from kizuna.web.render import render, render_error
from kizuna.web.skills_chart import chart
from kizuna.web.zones import viewer_zone

router = APIRouter()
Form = dict[str, object]


def skills_context(
    ctx: Context, who: Principal | None, user: t.User, cutoff: datetime | None
) -> dict[str, Any]:
    """What ``_skills.html`` needs for ``user``'s page as ``who`` sees it (the page already decided
    that ``who`` may see the user at all)."""
    profile = skills.skill_profile(ctx, who, user.id, cutoff, own=True)
    return {"skills": profile, "skills_chart": chart(profile.axes), "skills_name": user.name}


# --- certificates ---------------------------------------------------------------------------------


def track_titles(request: Request, key: str) -> dict[str, str] | None:
    """A learning track's titles ({locale: text}); None for an unknown track."""
    return tracks.track_titles(request.app.state.ctx, key) or None


def verify_url(request: Request, code: str) -> str:
    return f"{site_url(request)}/verify/{show_code(code)}"


def _certificates_page(
    request: Request, who: Principal, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = request.app.state.ctx
    mine = certificates.mine(ctx, who.user_id)
    held = {(c.kind, c.subject) for c in mine}
    offers: list[dict[str, Any]] = []
    if who.can(Action.PLAY):
        if (CertificateKind.EVENT, EVENT_SUBJECT) not in held and certificates.event_place(ctx, who.user_id):
            ev = get_event(ctx)
            offers.append(
                {"kind": "event", "subject": EVENT_SUBJECT, "titles": certificates.event_titles(ev)}
            )
        for key in certificates.completed_tracks(ctx, who.user_id):
            titles = track_titles(request, key)
            if titles and (CertificateKind.TRACK, key) not in held:
                offers.append({"kind": "track", "subject": key, "titles": titles})
    shown = flash.take(request, "/account/certificates")
    with ctx.db.read() as s:
        user = s.get(t.User, who.user_id)
        account_name = user.name if user is not None else ""
    context: dict[str, Any] = {
        "mine": mine,
        "offers": offers,
        "account_name": account_name,
        "typed": {},  # the names typed for the offer whose request was refused: shown again
        "notice": shown.message if shown and shown.kind == "notice" else "",
        "error": shown.message if shown and shown.kind == "error" else "",
        "show_code": show_code,
        "verify_url": lambda code: verify_url(request, code),
    }
    context.update(extra)
    return render(request, "certificates.html", status_code=status_code, **context)


@router.get("/account/certificates", response_class=HTMLResponse)
def certificates_page(request: Request) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    return _certificates_page(request, who)


@router.post("/account/certificates", response_class=HTMLResponse)
def ask_certificate(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    """The player asks for a certificate they earned (asking again gives back the same one)."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    kind, subject = text(form, "kind"), text(form, "subject")
    name, name_other = form.get("name"), form.get("name_other")
    titles = track_titles(request, subject) if kind == CertificateKind.TRACK else None
    try:
        if kind == CertificateKind.TRACK and titles is None:
            raise DomainError(ErrorCode.CERTIFICATE_NOT_EARNED, status=403)
        certificates.issue(ctx, who, kind, subject, titles, name=name, name_other=name_other)
    except DomainError as exc:
        typed = {
            "kind": kind,
            "subject": subject,
            "name": name if isinstance(name, str) else "",
            "name_other": name_other if isinstance(name_other, str) else "",
            "field": exc.field or "",
        }
        return _certificates_page(request, who, exc.status, error=message_for(exc), typed=typed)
    flash.notice(request, "/account/certificates", "certificate_issued")
    return see_other("/account/certificates")


@router.get("/certificates/{cert_code}.pdf")
def certificate_pdf(request: Request, ctx: CtxDep, cert_code: str) -> Response:
    """The PDF, for its owner and ``CERTIFICATE_MANAGE``; anyone else: 404 as for a code never issued."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    cert = certificates.for_download(ctx, who, cert_code)
    zone = viewer_zone_of(ctx, cert.time_zone)
    body = render_pdf(cert, zone, verify_url(request, cert.code))
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="certificate-{cert.code}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


def viewer_zone_of(ctx: Context, chosen: str) -> str:
    """The player's zone: the one they chose, else the event's first."""
    from zoneinfo import ZoneInfo

    if chosen:
        try:
            ZoneInfo(chosen)
            return chosen
        except (ValueError, KeyError, OSError):
            pass
    zones = list(getattr(get_event(ctx), "time_zones", None) or [])
    return zones[0] if zones else "UTC"


# --- verification (public) ------------------------------------------------------------------------


def _verify_page(request: Request, ctx: Context, typed: str | None) -> HTMLResponse:
    cert = certificates.verify(ctx, typed) if typed else None
    status = 404 if typed and cert is None else 200
    return render(
        request,
        "verify.html",
        status_code=status,
        typed=typed or "",
        asked=bool(typed),
        cert=cert,
        shown_code=show_code(cert.code) if cert else "",
        reader_zone=viewer_zone(request, get_event(ctx)),
    )


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request, ctx: CtxDep, code: str = "") -> Response:
    """Enter a code (a GET form, so the answer can be bookmarked); ``?code=`` shows the result."""
    if code.strip() and read_code(code) is not None:
        return see_other(f"/verify/{show_code(str(read_code(code)))}")
    return _verify_page(request, ctx, code.strip()[:64] or None)


@router.get("/verify/{cert_code}", response_class=HTMLResponse)
def verify_page(request: Request, ctx: CtxDep, cert_code: str) -> Response:
    return _verify_page(request, ctx, cert_code[:64])


# --- admin: certificates --------------------------------------------------------------------------


@router.get("/admin/certificates", response_class=HTMLResponse)
def admin_certificates(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.CERTIFICATE_MANAGE))
) -> Response:
    if gate.denied:
        return gate.denied
    return page(request, "admin/certificates.html", rows=certificates.issued(ctx), show_code=show_code)


@router.post("/admin/certificates/{cert_code}/revoke", response_class=HTMLResponse)
def admin_revoke(
    request: Request, ctx: CtxDep, cert_code: str, gate: Gate = Depends(post_gate(Action.CERTIFICATE_MANAGE))
) -> Response:
    if gate.denied:
        return gate.denied
    try:
        certificates.revoke(ctx, gate.staff, cert_code)
    except DomainError as exc:
        return render_error(request, exc.status, message_for(exc))
    return done(request, "/admin/certificates", "certificate_revoked")


# --- the recruiter view: consent (account page) and the organisers' list --------------------------


def account_recognition(ctx: Context, who: Principal) -> dict[str, Any]:
    """What the account page's recognition section needs: the consent's state and text."""
    return {
        "consent": recruiting.current_consent(ctx, who.user_id) if who.can(Action.PLAY) else None,
        "consent_offered": who.can(Action.PLAY),
        "consent_text": consent_text.shown(),
        "consent_version": consent_text.VERSION,
    }


@router.post("/account/recruiting/consent", response_class=HTMLResponse)
def give_consent(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    try:
        if text(form, "agree") != "yes" or text(form, "version") != consent_text.VERSION:
            raise DomainError(ErrorCode.CONSENT_REQUIRED, field="agree")
        recruiting.give_consent(
            ctx, who, consent_text.VERSION, consent_text.digest(), consent_text.reader_locale()
        )
    except DomainError as exc:
        flash.error(request, "/account", exc, target="recruiting")
        return see_other("/account#recruiting")
    flash.notice(request, "/account", "consent_given", target="recruiting")
    return see_other("/account#recruiting")


@router.post("/account/recruiting/withdraw", response_class=HTMLResponse)
def withdraw_consent(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    """One button, no question asked: withdrawing is as easy as giving."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    recruiting.withdraw_consent(ctx, who)
    flash.notice(request, "/account", "consent_withdrawn", target="recruiting")
    return see_other("/account#recruiting")


@router.get("/admin/recruiting", response_class=HTMLResponse)
def admin_recruiting(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.RECRUITING_EXPORT))
) -> Response:
    """The players who consented, with their skill profiles (reading it writes nothing; the CSV
    download is the audited export)."""
    if gate.denied:
        return gate.denied
    view = recruiting.recruiter_view(ctx)
    return page(request, "admin/recruiting.html", view=view, category_text=category_text)
