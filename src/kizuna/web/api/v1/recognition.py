"""Recognition (Kizuna extensions): skill profiles (``/users/{id}/skills``, ``/users/me/skills``),
certificates (``/certificates``: ask, list, verify, revoke) and the recruiter view's CSV export
(``/recruiting/export``).

A profile lists, per category the reader may see, the challenges the user solved themselves (at the
event or as practice) and their weight by difficulty (``domain/skills.py``: bands 1-5 from the
challenge's points, a dynamic challenge's initial value), out of the category's whole weight. A
hidden or banned user answers 404 exactly as a missing one, as the other ``/users/{id}`` routes.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from kizuna.domain.certificates import MAX_PRINTED_NAME, CertificateKind, show_code
from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.exports import parse_bom
from kizuna.domain.policy import Action
from kizuna.domain.skills import BAND_LIMITS
from kizuna.services import certificates, recruiting, skills
from kizuna.services.accounts import Principal
from kizuna.services.event import get_event
from kizuna.web.api.v1.common import ok, roles, when
from kizuna.web.content import content_order, resolve
from kizuna.web.deps import CtxDep, MaybeUser, User, require
from kizuna.web.pages.recognition import track_titles, verify_url

router = APIRouter(tags=["recognition"])


def skills_shape(profile: skills.SkillProfile, order: list[str]) -> dict[str, Any]:
    return {
        "user_id": profile.user_id,
        "categories": [
            {
                "category": axis.category,
                "name": resolve(profile.text(axis.category), "name", order),
                "translations": {
                    code: {"name": n} for code, n in profile.names.get(axis.category, {}).items()
                },
                "solved": axis.solved,
                "score": axis.score,
                "available": axis.available,
                "share": round(axis.share, 4),
            }
            for axis in profile.axes
        ],
        "totals": profile.totals,
        "difficulty_bands": list(BAND_LIMITS),
    }


def _cutoff(request: Request, who: Principal | None, own: bool) -> Any:
    if own or (who and who.can(Action.SCOREBOARD_LIVE)):
        return None
    return request.app.state.snapshots.state().cutoff


@router.get("/users/me/skills", summary="Your skill profile: per category, solves weighted by difficulty")
def my_skills(request: Request, ctx: CtxDep, who: User) -> JSONResponse:
    profile = skills.skill_profile(ctx, who, who.user_id, None, own=True)
    return ok(skills_shape(profile, content_order(get_event(ctx))))


@router.get(
    "/users/{user_id}/skills",
    summary="A user's skill profile: per category, solves weighted by difficulty (frozen view for players)",
)
def user_skills(request: Request, ctx: CtxDep, who: MaybeUser, user_id: int) -> JSONResponse:
    own = bool(who and who.user_id == user_id)
    profile = skills.skill_profile(ctx, who, user_id, _cutoff(request, who, own))
    return ok(skills_shape(profile, content_order(get_event(ctx))))


# --- certificates (修了証) --------------------------------------------------------------------------

Player = Annotated[Principal, Depends(require(Action.PLAY))]
CertificateManager = Annotated[Principal, Depends(require(Action.CERTIFICATE_MANAGE))]
RecruitingExporter = Annotated[Principal, Depends(require(Action.RECRUITING_EXPORT))]
Payload = Annotated[dict[str, Any], Body()]


def certificate_shape(request: Request, cert: certificates.CertificateView, own: bool) -> dict[str, Any]:
    """What verification tells anyone; ``own`` adds the owner's links and state."""
    out: dict[str, Any] = {
        "valid": not cert.revoked,
        "code": show_code(cert.code),
        "kind": cert.kind,
        "subject": cert.subject,
        "title": resolve(cert.title, "title", content_order(get_event(request.app.state.ctx))),
        "titles": dict(cert.titles),
        "name": cert.name,
        "name_other": cert.name_other or None,
        "team": cert.team_name or None,
        "rank": cert.rank,
        "ranked": cert.ranked,
        "issued_at": when(cert.issued_at),
        "verify_url": verify_url(request, cert.code),
    }
    if own:
        out["pdf_url"] = f"/certificates/{show_code(cert.code)}.pdf"
        out["revoked"] = cert.revoked
    return out


class CertificateRequest(BaseModel):
    """Asking for a certificate (documents the body; the handler reads it itself so that every refusal
    comes as a message in the reader's language)."""

    kind: str = Field(description='"track" or "event"', examples=["track"])
    subject: str = Field(description='the track\'s key, or "event"', examples=["web-basics"])
    name: str | None = Field(
        None,
        description=f"The name to print (at most {MAX_PRINTED_NAME} characters after NFKC and trimming, "
        "no control or formatting characters). Absent or blank: the account's name.",
        examples=["Taro Yamada"],
    )
    name_other: str | None = Field(
        None,
        description="The same name in another script, printed smaller beneath the first; not the same "
        "as the first. Absent or blank: none.",
        examples=["山田太郎"],
    )


CERTIFICATE_REQUEST = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": CertificateRequest.model_json_schema()}},
    }
}


@router.get("/certificates", summary="Your certificates")
def my_certificates(request: Request, ctx: CtxDep, who: User) -> JSONResponse:
    return ok([certificate_shape(request, c, True) for c in certificates.mine(ctx, who.user_id)])


@router.post(
    "/certificates",
    summary='Ask for a certificate you earned: {"kind": "event", "subject": "event"} or '
    '{"kind": "track", "subject": "<track key>"}, with the name to print in one or two scripts '
    '("name", "name_other"; default the account\'s name); asking again gives back the same one, unchanged',
    openapi_extra=CERTIFICATE_REQUEST,
)
def ask_certificate(request: Request, ctx: CtxDep, who: Player, payload: Payload) -> JSONResponse:
    kind, subject = payload.get("kind"), payload.get("subject")
    if not isinstance(kind, str) or kind not in tuple(CertificateKind):
        raise DomainError(ErrorCode.VALUE_INVALID, field="kind")
    if not isinstance(subject, str):
        raise DomainError(ErrorCode.VALUE_INVALID, field="subject")
    titles = None
    if kind == CertificateKind.TRACK:
        titles = track_titles(request, subject)
        if titles is None:
            raise DomainError(ErrorCode.CERTIFICATE_NOT_EARNED, status=403)
    cert = certificates.issue(
        ctx, who, kind, subject, titles, name=payload.get("name"), name_other=payload.get("name_other")
    )
    return ok(certificate_shape(request, cert, True))


@router.get(
    "/certificates/{cert_code}",
    summary="Verify a certificate: its name, subject, date and rank when valid; 404 for a code never "
    "issued, altered or revoked (nothing told apart)",
)
def verify_certificate(request: Request, ctx: CtxDep, cert_code: str) -> JSONResponse:
    cert = certificates.verify(ctx, cert_code[:64])
    if cert is None:
        raise NotFound()
    return ok(certificate_shape(request, cert, False))


@router.post(
    "/certificates/{cert_code}/revoke", summary=f"Revoke a certificate {roles(Action.CERTIFICATE_MANAGE)}"
)
def revoke_certificate(
    request: Request, ctx: CtxDep, who: CertificateManager, cert_code: str
) -> JSONResponse:
    cert = certificates.revoke(ctx, who, cert_code[:64])
    return ok(certificate_shape(request, cert, True))


# --- the recruiter view -----------------------------------------------------------------------------


@router.get(
    "/recruiting/export",
    summary=f"The players who consented to the recruiter view, with their skill profiles, as CSV "
    f"{roles(Action.RECRUITING_EXPORT)}; audited",
    response_model=None,
    response_class=Response,
    responses={
        200: {
            "description": "CSV (UTF-8, with a byte order mark unless bom=false)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def recruiting_export(
    ctx: CtxDep,
    who: RecruitingExporter,
    bom: Annotated[str, Query(description="start with a byte order mark (default true)")] = "",
) -> Response:
    chunks = recruiting.start_export(ctx, who, bom=parse_bom(bom))
    stamp = ctx.now().strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="recruiting-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
