"""The players' challenge list is joined from bytes serialised once per language
(``Snapshots.challenge_parts``). Here it is compared with the entries the board logic gives
(``board.board_entries`` and the snapshot's texts: the list as it was built per request before),
for players with different solves, a judge who sees everything, and both languages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kizuna.domain.policy import Action
from kizuna.i18n import current_locale
from kizuna.services import board
from kizuna.services.accounts import Principal
from kizuna.storage import tables as t
from kizuna.web.api.v1.challenges import challenge_list_body
from kizuna.web.content import content_order
from kizuna.web.snapshots import iso
from tests.conftest import auth, record_solve


def _oracle(ctx: Any, snaps: Any, who: Principal, locale: str) -> list[dict[str, Any]]:
    state = snaps.state()
    view_all = who.can(Action.CHALLENGE_VIEW_ALL)
    live = who.can(Action.SCOREBOARD_LIVE)
    rows = snaps.challenges(live=live, state=state).data
    acct = board.viewer_account(state.event.mode, who)
    entries = board.board_entries(rows, snaps.hot.solved(acct), view_all)
    texts = snaps.challenge_texts(live, locale, content_order(state.event), state)
    by_id = {r["id"]: r for r in rows}
    return [
        {
            "id": e.id,
            "type": e.type,
            "name": texts[e.id]["name"] if not e.locked else e.name,
            "value": e.value,
            "position": e.position,
            "solves": e.solves,
            "solved_by_me": e.solved,
            "category": texts[e.id]["category"] if not e.locked else e.category,
            "module_id": None,
            "tags": [{"value": v} for v in e.tags],
            "template": "",
            "script": "",
            "locale": texts[e.id]["locale"] if not e.locked else None,
            "translations": texts[e.id]["translations"] if not e.locked else {},
            # Its schedule and practice mark, except on a locked ("???") entry, which reveals nothing.
            **(
                {}
                if e.locked
                else {
                    "schedule_state": by_id[e.id]["schedule_state"],
                    "close_at": iso(by_id[e.id]["close_at"]),
                    "practice": bool(by_id[e.id].get("practice")),
                }
            ),
        }
        for e in entries
    ]


@pytest.fixture
def board_setup(client: Any, make: Any, ctx: Any) -> dict[str, Any]:
    admin = auth(make.token(make.admin()))

    def create(**body: Any) -> int:
        base = {"category": "web", "description": "d", "value": 100}
        r = client.post("/api/v1/challenges", json={**base, **body}, headers=admin)
        assert r.status_code == 200, r.text
        return int(r.json()["data"]["id"])

    first = create(name="Cookie Jar", translations={"ja": {"name": "クッキー瓶", "category": "ウェブ"}})
    create(name="Draft", state="hidden")
    locked = create(
        name="Secret",
        category="vault",
        requirements={"prerequisites": [first], "anonymize": True},
        translations={"ja": {"name": "秘密の問題"}},
    )
    create(name="Quiet", requirements={"prerequisites": [locked]})
    solver, team = make.player_in_team("solver")
    with ctx.write() as uow:
        record_solve(uow, first, solver, team.id, ctx.now())
    fresh, _ = make.player_in_team("fresh")
    judge = make.user("judge", role="judge")
    return {"solver": solver, "fresh": fresh, "judge": judge}


@pytest.mark.parametrize("who", ["solver", "fresh", "judge"])
@pytest.mark.parametrize("locale", ["en", "ja"])
def test_the_joined_list_equals_the_board_entries(
    who: str, locale: str, board_setup: dict[str, Any], app: Any, ctx: Any
) -> None:
    snaps = app.state.snapshots
    with ctx.db.read() as s:
        principal = Principal.of(s.get(t.User, board_setup[who].id))
    token = current_locale.set(locale)
    try:
        body = challenge_list_body(ctx, snaps, principal)
        expected = _oracle(ctx, snaps, principal, locale)
    finally:
        current_locale.reset(token)
    listed = json.loads(body)
    assert listed["success"] is True
    assert listed["data"] == expected
    names = [c["name"] for c in listed["data"]]
    if who == "fresh":
        assert "???" in names and "Quiet" not in names and "Draft" not in names
    if who == "solver":
        assert listed["data"][0]["solved_by_me"] is True and "Quiet" not in names
        assert ("秘密の問題" if locale == "ja" else "Secret") in names
    if who == "judge":
        assert "Draft" in names and "Quiet" in names
