"""``/challenges``: list, detail, create/update/delete, attempts, solves and admin sub-lists."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.policy import Action
from kizuna.i18n import current_locale
from kizuna.markdown import render_markdown
from kizuna.services import board, reviews, submissions
from kizuna.services import challenges as service
from kizuna.services.translations import CHALLENGE_TEXT
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.snapshot_queries import category_names
from kizuna.web.api.v1.common import (
    CHALLENGE_FIELDS,
    challenge_admin_shape,
    done,
    file_shape,
    flag_shape,
    hint_shape,
    int_param,
    json_body,
    json_request,
    localized_fields,
    ok,
    roles,
    tag_shape,
    when,
)
from kizuna.web.content import content_order, fallback_note, localized, resolve, with_category
from kizuna.web.deps import ChallengeEditor, ChallengeViewer, CtxDep, User, client_address
from kizuna.web.messages import attempt_message
from kizuna.web.snapshots import iso

router = APIRouter(tags=["challenges"])


@router.get(
    "/challenges",
    summary="List challenges (players: visible ones; "
    f"?view=admin for all of them {roles(Action.CHALLENGE_VIEW_ALL)})",
)
def list_challenges(request: Request, ctx: CtxDep, who: User, view: str = "") -> Response:
    body = challenge_list_body(ctx, request.app.state.snapshots, who, view)
    return Response(body, media_type="application/json")


def challenge_list_body(ctx: Any, snaps: Any, who: Any, view: str = "") -> bytes:
    """The list as ``who`` sees it, in the request's language, as JSON (also served by
    kizuna.web.fastlane). Each entry's bytes come from the snapshot (``challenge_parts``); a request
    reads the solved set and picks."""
    state = snaps.state()
    view_all = who.can(Action.CHALLENGE_VIEW_ALL)
    live = who.can(Action.SCOREBOARD_LIVE)
    if view_all and view == "admin":
        rows = snaps.challenges(live=live, state=state).data
        admin = [
            {
                **_list_entry(r, False, r["solves"]),
                "state": r["state"],
                "schedule_state": r["schedule_state"],
                "scheduled_at": iso(r["release_at"]),
                "close_at": iso(r["close_at"]),
            }
            for r in rows
        ]
        return orjson.dumps({"success": True, "data": admin})
    board.ensure_started(ctx, who, state.event)
    acct = board.viewer_account(state.event.mode, who)
    solved = snaps.hot.solved(acct)
    parts = snaps.challenge_parts(live, current_locale.get(), content_order(state.event), state)
    chunks = []
    for p in parts:
        # As board.board_entries: players see visible challenges whose prerequisites they solved, and
        # an anonymised entry for the rest of those marked so; staff who see everything see all.
        if not view_all and not p.visible:
            continue
        if view_all or p.prerequisites <= solved:
            chunks.append(p.solved if p.id in solved else p.unsolved)
        elif p.anonymize:
            chunks.append(p.locked)
    return b'{"success":true,"data":[' + b",".join(chunks) + b"]}"


def _list_entry(r: dict[str, Any], solved_by_me: bool, solves: int) -> dict[str, Any]:
    return {
        "id": r["id"],
        "type": r["type"],
        "name": r["name"],
        "value": r["value"],
        "position": r["position"],
        "solves": solves,
        "solved_by_me": solved_by_me,
        "category": r["category"],
        "module_id": None,
        "tags": [{"value": v} for v in r["tags"]],
        "template": "",
        "script": "",
        "locale": r["locale"],
        "translations": r["texts"],
        # Kizuna's own: played for learning, never on the event's board (kizuna.services.practice).
        "practice": bool(r.get("practice")),
    }


@router.post(
    "/challenges",
    summary=f"Create a challenge {roles(Action.CHALLENGE_EDIT)}",
    openapi_extra=json_request(CHALLENGE_FIELDS, ("name",)),
)
async def create_challenge(request: Request, ctx: CtxDep, who: ChallengeEditor) -> JSONResponse:
    data = await json_body(request)
    ch = await run_in_threadpool(service.create_challenge, ctx, data)
    return ok(challenge_admin_shape(ch, now=ctx.now()))


@router.get("/challenges/types", summary=f"Challenge types {roles(Action.CHALLENGE_EDIT)}")
def challenge_types(ctx: CtxDep, who: ChallengeEditor) -> JSONResponse:
    return ok(
        {
            name: {"id": name, "name": name, "templates": {}, "scripts": {}, "create": ""}
            for name in ctx.types.names()
        }
    )


_ATTEMPT_BODY = json_request(
    {"challenge_id": "integer", "submission": "string"}, ("challenge_id", "submission")
)
# A judged (manual) challenge's answer may carry one file: the same fields as multipart/form-data.
_ATTEMPT_BODY["requestBody"]["content"]["multipart/form-data"] = {
    "schema": {
        "type": "object",
        "properties": {
            "challenge_id": {"type": "integer"},
            "submission": {"type": "string"},
            "file": {"type": "string", "format": "binary"},
        },
        "required": ["challenge_id", "submission"],
    }
}


@router.post(
    "/challenges/attempt",
    summary="Submit a flag, or an answer for a judge",
    description=(
        "`status` is CTFd's: `correct`, `incorrect`, `partial` (a challenge whose `logic` is `all` or "
        "`team` needs more flags or members), `already_solved`, `ratelimited`, `paused` — and "
        "`pending` (additive): the answer to a judged (`manual`) challenge waits in the review queue. "
        "A manual challenge's answer may be sent as multipart/form-data with one `file`; while one "
        "answer of the account waits, another is refused with 409."
    ),
    openapi_extra=_ATTEMPT_BODY,
)
async def attempt(request: Request, ctx: CtxDep, who: User, preview: bool = False) -> JSONResponse:
    attachment = None
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        form = await request.form()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")
        if upload is not None and not isinstance(upload, str) and upload.filename:
            raw = await upload.read()
            attachment = reviews.check_attachment(upload.filename, raw, ctx.answer_file_bytes)
    else:
        data = await json_body(request)
    challenge_id = int_param(data, "challenge_id")
    assert challenge_id is not None
    submission = data.get("submission")
    if not isinstance(submission, str):
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="submission")
    ip = client_address(request)
    result = await request.app.state.attempt_gate.run(
        lambda: submissions.submit_flag(
            ctx, who, challenge_id, submission, ip=ip, preview=preview, attachment=attachment
        )
    )
    status, body, headers = attempt_answer(result)
    return JSONResponse(body, status_code=status, headers=headers)


def attempt_answer(result: submissions.AttemptResult) -> tuple[int, dict[str, Any], dict[str, str] | None]:
    """Status, body and headers of an attempt's answer (also used by kizuna.web.fastlane)."""
    payload: dict[str, object] = {
        "status": result.status,
        "message": attempt_message(result.message, **result.params),
    }
    if result.remaining is not None:
        payload["attempts_remaining"] = result.remaining
    if result.practice:
        # Kizuna's own: answered as practice (kizuna.services.practice), never scored.
        payload["practice"] = True
    # A rate-limited attempt (429) says when the window frees.
    headers = {"Retry-After": str(result.retry_after)} if result.retry_after is not None else None
    return result.http_status, {"success": True, "data": payload}, headers


@router.get("/challenges/{challenge_id}", summary="A challenge in detail")
def get_challenge(
    request: Request, ctx: CtxDep, who: User, challenge_id: int, view: str = ""
) -> JSONResponse:
    snaps = request.app.state.snapshots
    state = snaps.state()
    view_all = who.can(Action.CHALLENGE_VIEW_ALL)
    if view_all and view == "admin":
        with ctx.db.read() as s:
            ch = s.get(t.Challenge, challenge_id)
            if ch is None:
                raise NotFound()
            files = s.query(t.File).filter(t.File.challenge_id == ch.id).order_by(t.File.id).all()
            tags = [x.value for x in s.query(t.Tag).filter(t.Tag.challenge_id == ch.id).order_by(t.Tag.id)]
            hints = s.query(t.Hint).filter(t.Hint.challenge_id == ch.id).order_by(t.Hint.id).all()
            names = category_names(s).get(ch.category, {})
        signer = request.app.state.file_signer
        data = challenge_admin_shape(ch, {c: n for c, n in names.items() if c != ch.locale}, ctx.now())
        # CTFd's admin view carries files (ctfcli's sync compares them by name), tags and hints too.
        data.update(
            files=[signer.url(f.location, who.user_id) for f in files],
            tags=tags,
            hints=[
                {
                    "id": h.id,
                    "cost": h.cost,
                    "title": h.title,
                    "content": h.content,
                    "locale": h.locale,
                    "translations": h.translations or {},
                }
                for h in hints
            ],
        )
        return ok(data)
    board.ensure_started(ctx, who, state.event)
    cv = board.challenge_view(ctx, who, challenge_id, state.event.mode)
    ch = cv.challenge
    signer = request.app.state.file_signer
    live = who.can(Action.SCOREBOARD_LIVE)
    counts = {r["id"]: r["solves"] for r in snaps.challenges(live=live, state=state).data}
    order = content_order(state.event)
    data = challenge_admin_shape(ch, now=ctx.now())
    if not view_all:
        for secret in ("requirements", "next_id"):
            data.pop(secret, None)
    texts = localized_fields(localized(ch, CHALLENGE_TEXT), CHALLENGE_TEXT, order)
    texts["translations"] = with_category(texts["translations"], cv.category_text)
    data.update(
        texts,
        category=resolve(cv.category_text, "name", order) or ch.category,
        solves=counts.get(ch.id, 0),
        solved_by_me=cv.solved,
        attempts=cv.attempts,
        files=[signer.url(f.location, who.user_id) for f in cv.files],
        tags=cv.tags,
        module_id=None,
        rating=None,
        ratings=None,
        solution_id=None,
        solution_state=None,
        hints=[_player_hint(h, order) for h in cv.hints],
        view="",
        html=render_markdown(texts["description"]),
    )
    if ch.type == reviews.MANUAL:
        data["review"] = review_state(reviews.latest_for(ctx, cv.account_id, ch.id), order)
    return ok(data)


def review_state(found: reviews.PlayerView | None, order: list[str]) -> dict[str, Any] | None:
    """Kizuna's addition for a judged challenge: the account's latest answer — ``pending``,
    ``accepted`` (``value``: a partial award, or null for the whole value) or ``rejected`` — and the
    judge's comment in the reader's language (``comment_locale`` says which it is; ``fallback``: not
    the reader's, only the other language was written)."""
    if found is None:
        return None
    reader = current_locale.get()
    r = found.comment.get("comment", reader, order)
    fallback = bool(r.text) and r.fallback
    return {
        "status": found.status,
        "value": found.value,
        "comment": r.text,
        "comment_locale": r.locale if r.text else None,
        "fallback": fallback,
        "note": fallback_note(r.locale, reader) if fallback else "",
        "date": when(found.created_at),
        "decided_at": when(found.decided_at) if found.decided_at else None,
    }


def _player_hint(h: board.HintView, order: list[str]) -> dict[str, Any]:
    shown = h.content is not None
    keep = ("title", "content") if shown else ("title",)
    out: dict[str, Any] = {"id": h.id, "cost": h.cost, **localized_fields(h.text, keep, order)}
    if shown:
        out["html"] = render_markdown(out["content"])
    return out


@router.patch(
    "/challenges/{challenge_id}",
    summary=f"Update a challenge {roles(Action.CHALLENGE_EDIT)}",
    openapi_extra=json_request(CHALLENGE_FIELDS),
)
async def update_challenge(
    request: Request, ctx: CtxDep, who: ChallengeEditor, challenge_id: int
) -> JSONResponse:
    data = await json_body(request)
    ch = await run_in_threadpool(service.update_challenge, ctx, challenge_id, data)
    return ok(challenge_admin_shape(ch, now=ctx.now()))


@router.delete("/challenges/{challenge_id}", summary=f"Delete a challenge {roles(Action.CHALLENGE_EDIT)}")
def delete_challenge(ctx: CtxDep, who: ChallengeEditor, challenge_id: int) -> JSONResponse:
    service.delete_challenge(ctx, challenge_id)
    return done()


@router.get("/challenges/{challenge_id}/solves", summary="Who solved a challenge, in order")
def challenge_solves(request: Request, ctx: CtxDep, who: User, challenge_id: int) -> JSONResponse:
    state = request.app.state.snapshots.state()
    board.ensure_started(ctx, who, state.event)
    acct = board.viewer_account(state.event.mode, who)
    service.get_for_player(ctx, challenge_id, acct, who.can(Action.CHALLENGE_VIEW_ALL))
    cutoff = None if who.can(Action.SCOREBOARD_LIVE) else state.cutoff
    kind = "teams" if state.event.mode == "teams" else "users"
    solved = board.solvers(ctx, challenge_id, state.event.mode, cutoff)
    return ok(
        [
            {
                "account_id": x.account_id,
                "name": x.name,
                "date": when(x.date),
                "account_url": f"/{kind}/{x.account_id}",
            }
            for x in solved
        ]
    )


def _admin_challenge(ctx: Any, challenge_id: int) -> None:
    with ctx.db.read() as s:
        if s.get(t.Challenge, challenge_id) is None:
            raise NotFound()


@router.get(
    "/challenges/{challenge_id}/flags", summary=f"A challenge's flags {roles(Action.CHALLENGE_VIEW_ALL)}"
)
def challenge_flags(ctx: CtxDep, who: ChallengeViewer, challenge_id: int) -> JSONResponse:
    _admin_challenge(ctx, challenge_id)
    with ctx.db.read() as s:
        return ok([flag_shape(f) for f in repo.flags_for(s, challenge_id)])


@router.get(
    "/challenges/{challenge_id}/tags", summary=f"A challenge's tags {roles(Action.CHALLENGE_VIEW_ALL)}"
)
def challenge_tags(ctx: CtxDep, who: ChallengeViewer, challenge_id: int) -> JSONResponse:
    _admin_challenge(ctx, challenge_id)
    with ctx.db.read() as s:
        rows = s.query(t.Tag).filter(t.Tag.challenge_id == challenge_id).order_by(t.Tag.id).all()
        return ok([tag_shape(x) for x in rows])


@router.get(
    "/challenges/{challenge_id}/topics", summary=f"A challenge's topics {roles(Action.CHALLENGE_VIEW_ALL)}"
)
def challenge_topics(ctx: CtxDep, who: ChallengeViewer, challenge_id: int) -> JSONResponse:
    _admin_challenge(ctx, challenge_id)
    with ctx.db.read() as s:
        rows = (
            s.query(t.ChallengeTopic)
            .filter(t.ChallengeTopic.challenge_id == challenge_id)
            .order_by(t.ChallengeTopic.id)
            .all()
        )
        return ok(
            [
                {"id": r.id, "challenge_id": r.challenge_id, "topic_id": r.topic_id, "value": r.topic.value}
                for r in rows
            ]
        )


@router.get(
    "/challenges/{challenge_id}/hints", summary=f"A challenge's hints {roles(Action.CHALLENGE_VIEW_ALL)}"
)
def challenge_hints(ctx: CtxDep, who: ChallengeViewer, challenge_id: int) -> JSONResponse:
    _admin_challenge(ctx, challenge_id)
    with ctx.db.read() as s:
        rows = s.query(t.Hint).filter(t.Hint.challenge_id == challenge_id).order_by(t.Hint.id).all()
        return ok([hint_shape(h, True) for h in rows])


@router.get(
    "/challenges/{challenge_id}/files", summary=f"A challenge's files {roles(Action.CHALLENGE_VIEW_ALL)}"
)
def challenge_files(ctx: CtxDep, who: ChallengeViewer, challenge_id: int) -> JSONResponse:
    _admin_challenge(ctx, challenge_id)
    with ctx.db.read() as s:
        rows = s.query(t.File).filter(t.File.challenge_id == challenge_id).order_by(t.File.id).all()
        return ok([file_shape(f) for f in rows])


@router.get(
    "/challenges/{challenge_id}/requirements",
    summary=f"A challenge's prerequisites {roles(Action.CHALLENGE_VIEW_ALL)}",
)
def challenge_requirements(ctx: CtxDep, who: ChallengeViewer, challenge_id: int) -> JSONResponse:
    with ctx.db.read() as s:
        ch = s.get(t.Challenge, challenge_id)
        if ch is None:
            raise NotFound()
        return ok(ch.requirements)
