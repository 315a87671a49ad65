"""``/topics`` (admin): topics are shared labels linked to challenges (admins only see them)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.services import content
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, ok
from kizuna.web.deps import Admin, CtxDep

router = APIRouter(tags=["topics"])
Payload = Annotated[dict[str, Any], Body()]


@router.get("/topics", summary="Every topic (admin)")
def list_topics(ctx: CtxDep, who: Admin) -> JSONResponse:
    with ctx.db.read() as s:
        return ok([{"id": x.id, "value": x.value} for x in s.query(t.Topic).order_by(t.Topic.id)])


@router.post("/topics", summary="Link a topic to a challenge, creating the topic if new (admin)")
def create_topic(ctx: CtxDep, who: Admin, payload: Payload) -> JSONResponse:
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
    "/topics", summary="Unlink a topic from a challenge: ?type=challenge&target_id=<link id> (admin)"
)
def delete_topic_link(ctx: CtxDep, who: Admin, target_id: int, type: str = "challenge") -> JSONResponse:
    if type != "challenge":
        raise DomainError(ErrorCode.VALUE_INVALID, field="type")
    content.delete_topic_link(ctx, target_id)
    return done()


@router.get("/topics/{topic_id}", summary="One topic (admin)")
def get_topic(ctx: CtxDep, who: Admin, topic_id: int) -> JSONResponse:
    with ctx.db.read() as s:
        topic = s.get(t.Topic, topic_id)
    if topic is None:
        raise NotFound()
    return ok({"id": topic.id, "value": topic.value})


@router.delete("/topics/{topic_id}", summary="Delete a topic and its links (admin)")
def delete_topic(ctx: CtxDep, who: Admin, topic_id: int) -> JSONResponse:
    content.delete_topic(ctx, topic_id)
    return done()
