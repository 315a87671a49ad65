"""``/api/v1/practice``: practice challenges, readable without an account (``services.practice``),
and ``/api/v1/users/me/practice``, the reader's own practice solves. Answers go to CTFd's
``POST /api/v1/challenges/attempt`` like any other (an account is needed there)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kizuna.markdown import render_markdown
from kizuna.services import practice
from kizuna.services.translations import CHALLENGE_TEXT
from kizuna.web.api.v1.common import localized_fields, ok
from kizuna.web.content import content_order, localized, resolve, with_category
from kizuna.web.deps import CtxDep, MaybeUser, User
from kizuna.web.snapshots import iso

router = APIRouter()


def _entry(
    item: practice.PracticeItem, order: list[str], full: bool, signer: Any = None, viewer: int | None = None
) -> dict[str, Any]:
    """One practice challenge; with ``full``, its detail (file links signed for ``viewer``, None: a
    visitor, as ``/files`` checks)."""
    ch = item.challenge
    texts = localized_fields(localized(ch, CHALLENGE_TEXT), CHALLENGE_TEXT, order)
    texts["translations"] = with_category(texts["translations"], item.category)
    out: dict[str, Any] = {
        "id": ch.id,
        "type": ch.type,
        "value": ch.value,
        **texts,
        "category": resolve(item.category, "name", order) or ch.category,
        # Marked practice (always playable when visible), or practice because the event is over.
        "practice": bool(ch.practice),
        "practised": item.practised,
        "solved_by_me": item.solved,
    }
    if not full:
        out.pop("description", None)
        for values in out["translations"].values():
            values.pop("description", None)
        return out
    out.update(
        connection_info=ch.connection_info,
        tags=list(item.tags),
        files=[signer.url(location, viewer) for location in item.files] if signer is not None else [],
        html=render_markdown(texts["description"]),
    )
    return out


@router.get(
    "/practice/challenges",
    summary="Practice challenges (anyone): those marked practice, and after the event every visible one",
)
def practice_challenges(request: Request, ctx: CtxDep, who: MaybeUser) -> JSONResponse:
    found = practice.practice_list(ctx, who)
    order = content_order(request.app.state.snapshots.state().event)
    return ok([_entry(i, order, full=False) for i in found.items], meta={"ended": found.ended})


@router.get(
    "/practice/challenges/{challenge_id}",
    summary="A practice challenge in detail (anyone; hidden, scheduled or not practice: 404)",
)
def practice_challenge(request: Request, ctx: CtxDep, who: MaybeUser, challenge_id: int) -> JSONResponse:
    item, _phase = practice.practice_challenge(ctx, who, challenge_id)
    order = content_order(request.app.state.snapshots.state().event)
    viewer = who.user_id if who is not None else None
    return ok(_entry(item, order, full=True, signer=request.app.state.file_signer, viewer=viewer))


@router.get("/users/me/practice", summary="Your practice solves, newest first")
def my_practice(ctx: CtxDep, who: User) -> JSONResponse:
    return ok([{"challenge_id": p.challenge.id, "date": iso(p.date)} for p in practice.my_practice(ctx, who)])
