"""Learning tracks (学習コース): the list, one track, one lesson with its tasks, answers, attachments,
and the organisers' list at /admin/tracks.

Anyone may browse; answering needs an account. A task's form works without JavaScript (Post/Redirect/
Get: the lesson page shows the outcome once, beside the task) and with htmx (the task's box is swapped
in place)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode, Forbidden, NotFound
from kizuna.domain.policy import Action
from kizuna.domain.text import LocalizedText
from kizuna.services import tracks
from kizuna.services.accounts import Principal
from kizuna.web.deps import CtxDep, client_address, get_throttle, optional_principal, verified_form
from kizuna.web.messages import attempt_message, message_for
from kizuna.web.pages import flash
from kizuna.web.pages.admin_common import Gate, page, view_gate
from kizuna.web.pages.player_helpers import login_redirect, see_other, text
from kizuna.web.render import render

router = APIRouter()
Form = dict[str, object]

# A lesson links its attachments as files/<name>; on the site they live under the track.
_FILES_LINK = re.compile(r"(\]\(\s*<?|\bsrc=[\"'])files/")


def texts(values: dict[str, Any]) -> LocalizedText:
    return LocalizedText("en", values or {})


_HEADING = re.compile(r"^( {0,3})(#{1,5})(?=[ \t]|$)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def demote_headings(markdown: str) -> str:
    """Markdown headings one level down (``#`` → ``##``), outside code blocks: the page's title is the
    lesson's one ``h1``, and a body written as a document (``# Title``) fits under it."""
    out: list[str] = []
    fence = ""
    for line in markdown.split("\n"):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
        elif opened:
            fence = opened.group(1)
        else:
            line = _HEADING.sub(lambda m: f"{m.group(1)}#{m.group(2)}", line)
        out.append(line)
    return "\n".join(out)


def lesson_texts(track_key: str, lesson: tracks.LessonView) -> LocalizedText:
    """The lesson's title and body, headings under the page's title and attachment links pointing
    at the track's files."""
    out: dict[str, dict[str, str]] = {}
    for code, values in (lesson.texts or {}).items():
        fixed = dict(values)
        if fixed.get("body"):
            body = _FILES_LINK.sub(lambda m: f"{m.group(1)}/tracks/{track_key}/files/", fixed["body"])
            fixed["body"] = demote_headings(body)
        out[code] = fixed
    return LocalizedText("en", out)


def choice_texts(choice: dict[str, str]) -> LocalizedText:
    return LocalizedText("en", {code: {"text": value} for code, value in choice.items()})


def video_for(values: dict[str, str], locale: str) -> str | None:
    if not values:
        return None
    return values.get("") or values.get(locale) or next(iter(values.values()))


def _helpers() -> dict[str, Any]:
    return {"texts": texts, "choice_texts": choice_texts}


@router.get("/tracks", response_class=HTMLResponse)
def track_list(request: Request, ctx: CtxDep) -> Response:
    who = optional_principal(request)
    return render(request, "tracks.html", tracks=tracks.list_tracks(ctx, who), **_helpers())


@router.get("/tracks/{track_id}", response_class=HTMLResponse)
def track_page(request: Request, ctx: CtxDep, track_id: str) -> Response:
    who = optional_principal(request)
    view = tracks.track_detail(ctx, who, track_id)
    titles = {m.key: texts(m.texts) for m in view.modules}
    return render(
        request, "track.html", track=view, module_titles=titles, staff=tracks.is_staff(who), **_helpers()
    )


def _lesson_context(request: Request, who: Principal | None, track_id: str, lesson_id: str) -> dict[str, Any]:
    ctx = request.app.state.ctx
    view, module, lesson = tracks.lesson_view(ctx, who, track_id, lesson_id)
    staff = tracks.is_staff(who)
    lessons = [x for m in view.modules for x in m.lessons]
    index = next(i for i, x in enumerate(lessons) if x.key == lesson.key)
    return {
        "track": view,
        "module": module,
        "lesson": lesson,
        "ltext": lesson_texts(view.key, lesson),
        "locked": not module.unlocked and not staff,
        "previous": lessons[index - 1] if index > 0 else None,
        "next": lessons[index + 1] if index + 1 < len(lessons) else None,
        "video": video_for(lesson.video, _locale()),
        "results": {},
        **_helpers(),
    }


def _locale() -> str:
    from kizuna.i18n import current_locale

    return current_locale.get()


@router.get("/tracks/{track_id}/lessons/{lesson_id}", response_class=HTMLResponse)
def lesson_page(request: Request, track_id: str, lesson_id: str) -> Response:
    who = optional_principal(request)
    context = _lesson_context(request, who, track_id, lesson_id)
    shown = flash.take(request)
    if shown is not None and shown.target:
        context["results"] = {shown.target: shown.result}
    return render(request, "lesson.html", **context)


@router.get("/tracks/{track_id}/files/{name}")
def track_file(request: Request, ctx: CtxDep, track_id: str, name: str) -> Response:
    """An attachment of a visible track, always as a download (never rendered by the browser)."""
    who = optional_principal(request)
    data = tracks.track_file(ctx, who, track_id, name)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return Response(
        data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.post("/tracks/{track_id}/tasks/{task_id}/answer", response_class=HTMLResponse)
def answer(
    request: Request, ctx: CtxDep, track_id: str, task_id: str, form: Form = Depends(verified_form)
) -> Response:
    """A task's answer. Without JavaScript: a redirect to the lesson, which shows the outcome once
    beside the task (the answer itself is never kept or echoed); htmx gets the task's box."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    view = tracks.track_detail(ctx, who, track_id)
    lesson_key = next(
        (lesson.key for m in view.modules for lesson in m.lessons for x in lesson.tasks if x.key == task_id),
        None,
    )
    if lesson_key is None:
        raise NotFound(field="task")
    here = f"/tracks/{track_id}/lessons/{lesson_key}"
    given = text(form, "answer")
    result: dict[str, str]
    try:
        if not given.strip():
            raise DomainError(ErrorCode.FIELD_REQUIRED, field="answer")
        outcome = tracks.answer_task(
            ctx, who, track_id, task_id, given, ip=client_address(request), limiter=get_throttle(request)
        )
    except NotFound:
        raise
    except (DomainError, Forbidden) as exc:
        result = {"status": "error", "message": message_for(exc), "hint_id": task_id}
        if _htmx(request):
            return _task_box(request, who, track_id, lesson_key, task_id, result)
        flash.error(request, here, exc, target=task_id)
        return see_other(f"{here}#task-{task_id}")
    if outcome.message:
        status = "correct" if outcome.correct else "incorrect"
        message = attempt_message(
            outcome.message if outcome.message != "correct_scored" else "correct", **outcome.params
        )
        key = outcome.message if outcome.message != "correct_scored" else "correct"
    else:
        status = "correct" if outcome.correct else "incorrect"
        key = "task_correct" if outcome.correct else "task_incorrect"
        message = flash.notice_text(key)
    result = {"status": status, "message": message, "hint_id": task_id}
    if _htmx(request):
        return _task_box(request, who, track_id, lesson_key, task_id, result)
    if outcome.message:
        values = {
            k: v for k, v in outcome.params.items() if isinstance(v, str | int) and not isinstance(v, bool)
        }
        flash.attempt(request, here, status, key, target=task_id, **values)
    else:
        flash.notice(request, here, key, target=task_id)
    return see_other(f"{here}#task-{task_id}")


def _task_box(
    request: Request, who: Principal, track_id: str, lesson_id: str, task_id: str, result: dict[str, str]
) -> Response:
    context = _lesson_context(request, who, track_id, lesson_id)
    task = next(x for x in context["lesson"].tasks if x.key == task_id)
    context["results"] = {task_id: result}
    return render(request, "_task_answer.html", task=task, oob=False, **context)


def track_section(ctx: Any, who: Principal | None, user_id: int) -> dict[str, Any]:
    """The player's page's learning section (templates/_tracks_completed.html): the tracks the
    player completed, among those the reader may see."""
    return {"tracks_completed": tracks.completed_tracks(ctx, who, user_id), "track_texts": texts}


# --- the organisers' list --------------------------------------------------------------------------


@router.get("/admin/tracks", response_class=HTMLResponse)
def admin_tracks(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.CHALLENGE_VIEW_ALL))
) -> Response:
    """Every track with its visibility, counts and per-language completeness."""
    if gate.denied:
        return gate.denied
    return page(request, "admin/tracks.html", rows=tracks.admin_overview(ctx), now=ctx.now(), **_helpers())
