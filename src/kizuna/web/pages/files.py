"""``/files/<location>``: challenge attachments, only for those who may see the challenge now.

Who may download: staff whose role may view every challenge (``Action.CHALLENGE_VIEW_ALL``), and a
signed-in player (session or API token) whose account can see the challenge now — visible, its
prerequisites solved, the event started, in team mode with a team — or, for a practice challenge
(``services.practice``), anyone who may read it on ``/practice``, visitors included. A signed link
(``?token=``, as the challenge detail hands out) is bound to the viewer it was made for and lives an hour
(``security.FILE_LINK_SECONDS``): when a token is sent, it must be ours, for this file, unexpired and
made for the requester (the same account, or no account for a link made for visitors); the requester
must then still be allowed as above. A visitor's link works only for a challenge anyone could open.
A token alone lends nobody else's rights, so a link copied out of a staff page is useless to a
visitor. Every refusal is the same 404 as a missing file, so a file's existence leaks nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from kizuna.domain.clock import Phase
from kizuna.domain.errors import DomainError, NotFound
from kizuna.domain.policy import Action, can, is_staff
from kizuna.security import ANONYMOUS_VIEWER
from kizuna.services import challenges, content, practice
from kizuna.services.accounts import Principal, account_id
from kizuna.services.event import clock_of, get_event
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.web.deps import CtxDep, optional_principal, two_factor_missing

router = APIRouter()


def _may_see(ctx: CtxDep, who: Principal | None, challenge_id: int | None, staff_rights: bool) -> bool:
    """May ``who`` (None: a visitor) see the challenge now? ``staff_rights``: False for a staff
    session that has not set up the two-factor authentication its role needs (it has a player's view)."""
    ev = get_event(ctx)
    with ctx.db.read() as s:
        user = s.get(t.User, who.user_id) if who is not None else None
        if who is not None and (user is None or user.banned):
            return False
        if user is not None and staff_rights and can(user.role, Action.CHALLENGE_VIEW_ALL):
            return True
        ch = s.get(t.Challenge, challenge_id) if challenge_id is not None else None
        if ch is None:
            return False
        phase = clock_of(ev).phase(ctx.now())
        acct = account_id(ev.mode, user.id, user.team_id) if user is not None else None
        if user is not None and acct is None and not is_staff(user.role):
            return False  # team mode, no team: no account to play for, nothing to see
        solved = repo.solved_ids(s, acct) if acct is not None else set()
        # A practice challenge's files are anyone's who may read it (kizuna.services.practice).
        unlocked = solved | (practice.practised(s, user.id) if user is not None else set())
        if practice.listed(ch, phase, unlocked, ctx.now()):
            return True
        if phase is Phase.NOT_STARTED:
            return False
    return challenges.access(ch, solved, False, now=ctx.now()).visible


@router.get("/files/{location:path}")
def download(request: Request, ctx: CtxDep, location: str, token: str = "") -> FileResponse:
    row = content.file_by_location(ctx, location)
    if row is None:
        raise NotFound()
    try:
        who = optional_principal(request)
    except DomainError:
        who = None
    if token:
        signed_for = request.app.state.file_signer.verify(token, location)
        requester = who.user_id if who is not None else ANONYMOUS_VIEWER
        if signed_for is None or signed_for != requester:
            raise NotFound()  # not ours, another file's, expired, or made for someone else
    elif who is None:
        raise NotFound()  # a visitor needs a link made for visitors
    staff_rights = who is not None and not two_factor_missing(request, who)
    path = content.file_path(ctx, location)
    if path is None or not _may_see(ctx, who, row.challenge_id, staff_rights):
        raise NotFound()
    return FileResponse(path, filename=path.name, content_disposition_type="attachment")
