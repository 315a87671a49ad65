"""``/files/<location>``: challenge attachments, only for those who may see the challenge.

Allowed: staff whose role may view every challenge (``Action.CHALLENGE_VIEW_ALL``); a logged-in
player (session or API token) whose account can see the challenge; or anyone holding a valid signed
link (``?token=``, as the challenge detail hands out), provided the user it was signed for can still
see the challenge. Everyone else gets 404, so a file's existence leaks nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from kizuna.domain.errors import DomainError, NotFound
from kizuna.domain.policy import Action, can
from kizuna.services import challenges, content
from kizuna.services.accounts import account_id
from kizuna.services.event import get_event
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.web.deps import CtxDep, optional_principal

router = APIRouter()


def _may_see(ctx: CtxDep, user_id: int, challenge_id: int | None) -> bool:
    with ctx.db.read() as s:
        user = s.get(t.User, user_id)
        ch = s.get(t.Challenge, challenge_id) if challenge_id is not None else None
        if user is None or user.banned:
            return False
        if can(user.role, Action.CHALLENGE_VIEW_ALL):
            return True
        if ch is None:
            return False
        acct = account_id(get_event(ctx).mode, user.id, user.team_id)
        solved = repo.solved_ids(s, acct) if acct is not None else set()
    return challenges.access(ch, solved, False).visible


@router.get("/files/{location:path}")
def download(request: Request, ctx: CtxDep, location: str, token: str = "") -> FileResponse:
    row = content.file_by_location(ctx, location)
    if row is None:
        raise NotFound()
    try:
        who = optional_principal(request)
    except DomainError:
        who = None
    allowed = who is not None and _may_see(ctx, who.user_id, row.challenge_id)
    if not allowed and token:
        signed_for = request.app.state.file_signer.verify(token, location)
        allowed = signed_for is not None and _may_see(ctx, signed_for, row.challenge_id)
    path = content.file_path(ctx, location)
    if not allowed or path is None:
        raise NotFound()
    return FileResponse(path, filename=path.name, content_disposition_type="attachment")
