"""The solve matrix as one reader may see it: ranked accounts × challenges, with first-blood marks.

Everything comes from the ``matrix`` snapshot (``web.snapshots``: the scoreboard's accounts, the
challenges players see — never a hidden or scheduled one — and the solves, frozen for the public
as the scoreboard is). Per request only what the reader may not see is left out, as on the board:
before the event starts, no challenge (for readers who may not view every challenge); and a
challenge still locked for the reader (prerequisites their account has not solved; for a visitor,
any challenge with prerequisites), with its solves and its first blood, so a locked challenge's
name reaches no one who cannot open it.
"""

from __future__ import annotations

from typing import Any

from kizuna.domain.clock import Phase
from kizuna.domain.policy import Action
from kizuna.i18n import current_locale
from kizuna.services.accounts import Principal, account_id
from kizuna.services.event import clock_of
from kizuna.web.content import content_order


def matrix_for(request: Any, who: Principal | None) -> dict[str, Any]:
    snaps = request.app.state.snapshots
    state = snaps.state()
    ev = state.event
    live = bool(who and who.can(Action.SCOREBOARD_LIVE))
    view_all = bool(who and who.can(Action.CHALLENGE_VIEW_ALL))
    data = snaps.matrix(live, current_locale.get(), content_order(ev), state).data
    started = clock_of(ev).phase(request.app.state.ctx.now()) is not Phase.NOT_STARTED
    acct = account_id(ev.mode, who.user_id, who.team_id) if who is not None else None
    solved = snaps.hot.solved(acct) if acct is not None else set()
    shown = [c for c in data["challenges"] if view_all or (started and set(c["prerequisites"]) <= solved)]
    ids = {c["id"] for c in shown}
    return {
        "challenges": [{k: v for k, v in c.items() if k != "prerequisites"} for c in shown],
        "accounts": [{**a, "solves": [c for c in a["solves"] if c in ids]} for a in data["accounts"]],
        "first_bloods": {k: v for k, v in data["first_bloods"].items() if int(k) in ids},
    }
