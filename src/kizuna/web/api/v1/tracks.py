"""``/tracks`` (Kizuna extension): learning tracks (学習コース), their modules, lessons and tasks.

Anyone may browse the tracks that are open (their visibility window); a track or module outside its
window is the same 404 as a missing one for players, while staff see everything. Texts come in the
reader's language, with ``fallback`` true when a text is in the other language. Answering a task
needs an account (401 otherwise); a task of a locked module is 403. Answers, accepted texts and flags
are never part of any answer of this API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from kizuna.domain.text import LocalizedText
from kizuna.i18n import current_locale
from kizuna.services import tracks
from kizuna.services.event import get_event
from kizuna.web.api.v1.common import ok, when
from kizuna.web.content import content_order
from kizuna.web.deps import CtxDep, MaybeUser, User, client_address, get_throttle

router = APIRouter(tags=["tracks"])
Payload = Annotated[dict[str, Any], Body()]

ANSWER_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "answer": {
                            "oneOf": [{"type": "integer"}, {"type": "string"}],
                            "description": "choice: the 0-based index of the choice; text: the answer; "
                            "flag: the flag",
                        }
                    },
                    "required": ["answer"],
                }
            }
        },
    }
}


def text_of(texts: dict[str, Any], name: str, order: list[str]) -> tuple[str, str, bool]:
    """``name`` in the reader's language: (text, its language, whether it is a fallback)."""
    r = LocalizedText("en", texts or {}).get(name, current_locale.get(), order)
    return r.text, r.locale, r.fallback


def _pick(values: dict[str, str], order: list[str]) -> str | None:
    """A per-language value ({"": one for all} or {locale: …}) for the reader."""
    if not values:
        return None
    if "" in values:
        return values[""]
    for code in (current_locale.get(), *order, *sorted(values)):
        if values.get(code):
            return values[code]
    return None


def task_shape(task: tracks.TaskView, order: list[str]) -> dict[str, Any]:
    prompt, _code, fallback = text_of(task.texts, "prompt", order)
    out: dict[str, Any] = {
        "id": task.key,
        "type": task.type,
        "required": task.required,
        "prompt": prompt,
        "fallback": fallback,
        "done": task.done,
        "available": task.available,
    }
    if task.type == "choice":
        out["choices"] = [
            LocalizedText("en", {code: {"c": text} for code, text in choice.items()})
            .get("c", current_locale.get(), order)
            .text
            for choice in task.choices
        ]
    if task.challenge:
        # The referenced challenge only when the reader may see it (else nothing about it leaks).
        out["challenge_id"] = task.challenge_id if task.available else None
    return out


def _progress(done: int, total: int, complete: bool) -> dict[str, Any]:
    return {
        "done": done,
        "total": total,
        "percent": 100 if total == 0 else 100 * done // total,
        "complete": complete,
    }


def track_shape(view: tracks.TrackView, order: list[str]) -> dict[str, Any]:
    title, code, fallback = text_of(view.texts, "title", order)
    summary, _c, _f = text_of(view.texts, "summary", order)
    return {
        "id": view.key,
        "title": title,
        "summary": summary,
        "locale": code,
        "fallback": fallback,
        "category": view.category,
        "level": view.level,
        "unlock": view.unlock,
        "opens_at": when(view.opens_at),
        "closes_at": when(view.closes_at),
        "progress": _progress(view.done, view.total, view.complete),
    }


def lesson_summary(lesson: tracks.LessonView, order: list[str]) -> dict[str, Any]:
    title, _code, fallback = text_of(lesson.texts, "title", order)
    return {
        "id": lesson.key,
        "title": title,
        "fallback": fallback,
        "complete": lesson.complete,
        "tasks": [task_shape(x, order) for x in lesson.tasks],
    }


def module_shape(module: tracks.ModuleView, order: list[str]) -> dict[str, Any]:
    title, _code, fallback = text_of(module.texts, "title", order)
    return {
        "id": module.key,
        "title": title,
        "fallback": fallback,
        "requires": module.requires,
        "opens_at": when(module.opens_at),
        "closes_at": when(module.closes_at),
        "unlocked": module.unlocked,
        "progress": _progress(module.done, module.total, module.complete),
        "lessons": [lesson_summary(x, order) for x in module.lessons],
    }


def _order(ctx: Any) -> list[str]:
    return content_order(get_event(ctx))


@router.get("/tracks", summary="The learning tracks open now, with the caller's progress (anyone)")
def list_tracks(ctx: CtxDep, who: MaybeUser) -> JSONResponse:
    order = _order(ctx)
    return ok([track_shape(v, order) for v in tracks.list_tracks(ctx, who)])


@router.get(
    "/tracks/{track_id}",
    summary="One track: its modules (lock state), lessons and tasks with the caller's progress (anyone)",
)
def get_track(ctx: CtxDep, who: MaybeUser, track_id: str) -> JSONResponse:
    order = _order(ctx)
    view = tracks.track_detail(ctx, who, track_id)
    return ok({**track_shape(view, order), "modules": [module_shape(m, order) for m in view.modules]})


@router.get(
    "/tracks/{track_id}/lessons/{lesson_id}",
    summary="One lesson: its body (Markdown) in the reader's language, video link and tasks (anyone; "
    "403 while its module is locked)",
)
def get_lesson(ctx: CtxDep, who: MaybeUser, track_id: str, lesson_id: str) -> JSONResponse:
    from kizuna.domain.errors import ErrorCode, Forbidden

    order = _order(ctx)
    view, module, lesson = tracks.lesson_view(ctx, who, track_id, lesson_id)
    if not module.unlocked and not tracks.is_staff(who):
        raise Forbidden(ErrorCode.MODULE_LOCKED, field="lesson")
    body, code, fallback = text_of(lesson.texts, "body", order)
    return ok(
        {
            **lesson_summary(lesson, order),
            "track": view.key,
            "module": module.key,
            "body": body,
            "locale": code,
            "body_fallback": fallback,
            "video": _pick(lesson.video, order),
        }
    )


@router.post(
    "/tracks/{track_id}/tasks/{task_id}/answer",
    summary="Answer a task (an account; choice answers as the 0-based index). A task referencing an "
    "event challenge takes its flag as an attempt at that challenge",
    openapi_extra=ANSWER_BODY,
)
def answer_task(
    request: Request, ctx: CtxDep, who: User, track_id: str, task_id: str, payload: Payload
) -> JSONResponse:
    from kizuna.domain.errors import DomainError, ErrorCode

    if "answer" not in payload:
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="answer")
    answer = payload["answer"]
    if not isinstance(answer, int | str) or isinstance(answer, bool):
        raise DomainError(ErrorCode.VALUE_INVALID, field="answer")
    result = tracks.answer_task(
        ctx, who, track_id, task_id, answer, ip=client_address(request), limiter=get_throttle(request)
    )
    return ok({"correct": result.correct, "completed": result.completed})
