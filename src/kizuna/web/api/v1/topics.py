"""``/topics`` (admin): topics are shared labels linked to challenges (admins only see them)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.policy import Action
from kizuna.services import content
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, ok, roles
from kizuna.web.deps import ChallengeEditor, ChallengeViewer, CtxDep

router = APIRouter(tags=["topics"])
Payload = Annotated[dict[str, Any], Body()]


@router.get("/topics", summary=f"Every topic {roles(Action.CHALLENGE_VIEW_ALL)}")
def list_topics(ctx: CtxDep, who: ChallengeViewer) -> JSONResponse:
    with ctx.db.read() as s:
        return ok([{"id": x.id, "value": x.value} for x in s.query(t.Topic).order_by(t.Topic.id)])


@router.post(
    "/topics",
    summary=f"Link a topic to a challenge, creating the topic if new {roles(Action.CHALLENGE_EDIT)}",
)
def create_topic(ctx: CtxDep, who: ChallengeEditor, payload: Payload) -> JSONResponse:
    if (payload.get("type") or "challenge") != "challenge":
        raise DomainError(ErrorCode.VALUE_INVALID, field="type")
    link = content.add_topic(
        ctx, payload.get("challenge_id", payload.get("challenge")), str(payload.get("value") or "")
    )
    return ok(
        {
            "id": link.id,
            "challenge_id": link.challenge_id,
            "challenge": link.challenge_id,
            "topic_id": link.topic_id,
            "topic": link.topic_id,
            "value": link.topic.value,
        }
    )


@router.delete(
    "/topics",
    summary=f"Unlink a topic: ?type=challenge&target_id=<link id> {roles(Action.CHALLENGE_EDIT)}",
)
def delete_topic_link(
    ctx: CtxDep, who: ChallengeEditor, target_id: int, type: str = "challenge"
) -> JSONResponse:
    if type != "challenge":
        raise DomainError(ErrorCode.VALUE_INVALID, field="type")
    content.delete_topic_link(ctx, target_id)
    return done()


@router.get("/topics/{topic_id}", summary=f"One topic {roles(Action.CHALLENGE_VIEW_ALL)}")
def get_topic(ctx: CtxDep, who: ChallengeViewer, topic_id: int) -> JSONResponse:
    with ctx.db.read() as s:
        topic = s.get(t.Topic, topic_id)
    if topic is None:
        raise NotFound()
    return ok({"id": topic.id, "value": topic.value})


@router.delete("/topics/{topic_id}", summary=f"Delete a topic and its links {roles(Action.CHALLENGE_EDIT)}")
def delete_topic(ctx: CtxDep, who: ChallengeEditor, topic_id: int) -> JSONResponse:
    content.delete_topic(ctx, topic_id)
    return done()
