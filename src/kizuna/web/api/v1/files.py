"""``/files`` (admin): challenge attachments. Uploads are multipart (``file`` repeatable,
``challenge_id``, ``type``); the answer's ``data`` is a list, as ctfcli expects."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.policy import Action
from kizuna.services import content
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, file_shape, ok, roles
from kizuna.web.deps import ChallengeEditor, ChallengeViewer, CtxDep

router = APIRouter(tags=["files"])

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "challenge_id": {"type": "integer"},
                        "type": {"type": "string", "enum": ["challenge", "standard"]},
                    },
                    "required": ["file"],
                }
            }
        },
    }
}


@router.get("/files", summary=f"Stored files, optionally of one type {roles(Action.CHALLENGE_VIEW_ALL)}")
def list_files(
    ctx: CtxDep, who: ChallengeViewer, type: str = "", challenge_id: int | None = None
) -> JSONResponse:
    with ctx.db.read() as s:
        q = s.query(t.File)
        if type:
            q = q.filter(t.File.type == type)
        if challenge_id is not None:
            q = q.filter(t.File.challenge_id == challenge_id)
        return ok([file_shape(f) for f in q.order_by(t.File.id)])


@router.post(
    "/files",
    summary=f"Upload one or more files, multipart {roles(Action.CHALLENGE_EDIT)}",
    openapi_extra=UPLOAD_BODY,
)
async def upload_files(request: Request, ctx: CtxDep, who: ChallengeEditor) -> JSONResponse:
    form = await request.form()
    uploads = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
    if not uploads:
        raise DomainError(ErrorCode.FILE_MISSING, field="file")
    challenge_id: Any = form.get("challenge_id") or form.get("challenge")
    kind = str(form.get("type") or "challenge")
    if kind not in ("challenge", "standard"):
        raise DomainError(ErrorCode.VALUE_INVALID, field="type")
    if kind == "challenge" and not challenge_id:
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="challenge_id")
    saved = []
    for upload in uploads:
        data = await upload.read()
        row = await run_in_threadpool(
            content.save_file, ctx, challenge_id, upload.filename or "file", data, kind
        )
        saved.append(file_shape(row))
    return ok(saved)


@router.get("/files/{file_id}", summary=f"One stored file's record {roles(Action.CHALLENGE_VIEW_ALL)}")
def get_file(ctx: CtxDep, who: ChallengeViewer, file_id: int) -> JSONResponse:
    with ctx.db.read() as s:
        row = s.get(t.File, file_id)
    if row is None:
        raise NotFound()
    return ok(file_shape(row))


@router.delete("/files/{file_id}", summary=f"Delete a stored file {roles(Action.CHALLENGE_EDIT)}")
def delete_file(ctx: CtxDep, who: ChallengeEditor, file_id: int) -> JSONResponse:
    content.delete_file(ctx, file_id)
    return done()
