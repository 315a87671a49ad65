"""``/event/start``, ``/pause``, ``/resume``, ``/extend``, ``/freeze``, ``/unfreeze`` (Kizuna
extensions; CTFd has no such endpoints): running the event live. Admins only (the policy's
``EVENT_CONTROL``). Each answers the event as ``GET /event`` shows it to admins; a transition the
event's state refuses (pausing a paused event, freezing a frozen board) is a 409, bad input a 400,
both with the sentence in the caller's language."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from kizuna.domain.clock import utc
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.event_state import MAX_EXTEND_MINUTES, MAX_REASON, ControlAction
from kizuna.domain.policy import Action
from kizuna.services import event_control
from kizuna.services.accounts import Principal
from kizuna.services.event_control import Inputs
from kizuna.web.api.v1.common import ok
from kizuna.web.api.v1.event import _shape as event_shape
from kizuna.web.deps import CtxDep, require

router = APIRouter(tags=["event control"])
Controller = Annotated[Principal, Depends(require(Action.EVENT_CONTROL))]


class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: dict[str, str | None] = Field(
        description=f"Why the event is paused, per language; at least one, each at most {MAX_REASON} "
        "characters of plain text. Shown in the site-wide banner in each reader's language.",
        examples=[
            {
                "en": "Network maintenance; back in 10 minutes.",
                "ja": "ネットワーク保守のため10分ほど中断します。",
            }
        ],
    )


class ExtendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    end_at: str | None = Field(
        None,
        description="The new end, ISO 8601 (UTC when it has no offset); later than now and than the "
        "current end.",
        examples=["2026-11-28T18:30:00Z"],
    )
    minutes: int | None = Field(
        None,
        description=f"Or: move the current end this many minutes later (1 to {MAX_EXTEND_MINUTES}).",
        examples=[30],
    )


def _instant(value: str | None) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise DomainError(ErrorCode.VALUE_INVALID, field="end_at") from None
    return utc(parsed)


def _answer(ctx: CtxDep, who: Principal, action: ControlAction, given: Inputs | None = None) -> JSONResponse:
    return ok(event_shape(ctx, event_control.apply(ctx, who, action, given), True))


@router.post("/event/start", summary="Start the event now (admin; Kizuna extension)")
def start_event(ctx: CtxDep, who: Controller) -> JSONResponse:
    return _answer(ctx, who, ControlAction.START)


@router.post(
    "/event/pause",
    summary="Pause the event with a reason in each language; flags and hints are refused until it "
    "is resumed (admin; Kizuna extension)",
)
def pause_event(ctx: CtxDep, who: Controller, body: PauseBody) -> JSONResponse:
    return _answer(ctx, who, ControlAction.PAUSE, Inputs(reason=body.reason))


@router.post("/event/resume", summary="Resume the paused event (admin; Kizuna extension)")
def resume_event(ctx: CtxDep, who: Controller) -> JSONResponse:
    return _answer(ctx, who, ControlAction.RESUME)


@router.post(
    "/event/extend",
    summary="Move the end later: to end_at, or by minutes (admin; Kizuna extension)",
)
def extend_event(ctx: CtxDep, who: Controller, body: ExtendBody) -> JSONResponse:
    given = Inputs(end_at=_instant(body.end_at), minutes=body.minutes)
    return _answer(ctx, who, ControlAction.EXTEND, given)


@router.post("/event/freeze", summary="Freeze the public scoreboard now (admin; Kizuna extension)")
def freeze_scoreboard(ctx: CtxDep, who: Controller) -> JSONResponse:
    return _answer(ctx, who, ControlAction.FREEZE)


@router.post("/event/unfreeze", summary="Unfreeze the public scoreboard (admin; Kizuna extension)")
def unfreeze_scoreboard(ctx: CtxDep, who: Controller) -> JSONResponse:
    return _answer(ctx, who, ControlAction.UNFREEZE)
