"""The skill profile on the player's page and in the API: weights, practice solves, what is never
counted (hidden, scheduled and locked challenges, teammates' solves) and hidden users."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kizuna.services import categories
from kizuna.storage import tables as t
from tests.conftest import auth, login, record_solve


def _practice(ctx: Any, challenge_id: int, user: Any, account_id: int) -> None:
    with ctx.write() as uow:
        uow.session.add(
            t.PracticeSolve(challenge_id=challenge_id, user_id=user.id, account_id=account_id, date=ctx.now())
        )


def _world(ctx: Any, make: Any) -> dict[str, Any]:
    alice, team = make.player_in_team("alice", "Red")
    bob = make.user("bob")
    make.join(bob, team)
    web1 = make.challenge(name="Cookie", category="web", value=100)
    web2 = make.challenge(
        name="Injection", category="web", value=450, type="dynamic", initial=450, minimum=50, decay=10
    )
    crypto = make.challenge(name="Caesar", category="crypto", value=250)
    forensics = make.challenge(name="Pcap", category="forensics", value=600, practice=True)
    secret = make.challenge(name="Zq7x", category="zq7xcat", value=100)
    gate = make.challenge(
        name="Gated", category="gatedcat", value=100, requirements={"prerequisites": [web1.id]}
    )
    now = ctx.now()
    with ctx.write() as uow:
        record_solve(uow, web1.id, alice, team.id, now - timedelta(minutes=5))
        record_solve(uow, web2.id, bob, team.id, now - timedelta(minutes=4))  # a teammate's: not alice's
        record_solve(uow, crypto.id, alice, team.id, now - timedelta(minutes=3))
        record_solve(uow, secret.id, alice, team.id, now - timedelta(minutes=2))
        record_solve(uow, gate.id, alice, team.id, now - timedelta(minutes=1))
        uow.session.get(t.Challenge, secret.id).state = "hidden"
    _practice(ctx, forensics.id, alice, team.id)
    _practice(ctx, web1.id, alice, team.id)  # solved both ways: counted once
    categories.rename_category_display(ctx, "web", {"ja": "ウェブ"})
    return {"alice": alice, "bob": bob, "team": team, "gate": gate}


def _by_category(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["category"]: c for c in body["data"]["categories"]}


def test_profile_counts_own_event_and_practice_solves_by_difficulty(backend, ctx, make, client) -> None:
    w = _world(ctx, make)
    r = client.get(f"/api/v1/users/{w['alice'].id}/skills")
    assert r.status_code == 200, r.text
    cats = _by_category(r.json())
    # Visitors have not unlocked "Gated": its category is not named to them.
    assert set(cats) == {"web", "crypto", "forensics"}
    assert (cats["web"]["solved"], cats["web"]["score"], cats["web"]["available"]) == (1, 1, 5)
    assert (cats["crypto"]["solved"], cats["crypto"]["score"], cats["crypto"]["available"]) == (1, 3, 3)
    assert cats["crypto"]["share"] == 1.0
    assert (cats["forensics"]["solved"], cats["forensics"]["score"]) == (1, 5)  # practice, band 5
    assert r.json()["data"]["totals"] == {"solved": 3, "score": 9}
    bob = _by_category(client.get(f"/api/v1/users/{w['bob'].id}/skills").json())
    assert bob["web"]["score"] == 4  # the dynamic challenge at its initial 450 points: band 4
    assert "zq7x" not in r.text.lower()


def test_category_names_in_the_readers_language(ctx, make, client) -> None:
    w = _world(ctx, make)
    r = client.get(f"/api/v1/users/{w['alice'].id}/skills", headers={"Accept-Language": "ja"})
    web = _by_category(r.json())["web"]
    assert web["name"] == "ウェブ" and web["translations"]["ja"]["name"] == "ウェブ"


def test_the_owner_sees_the_unlocked_category_and_never_the_hidden_one(ctx, make, client) -> None:
    w = _world(ctx, make)
    token = make.token(w["alice"])
    mine = client.get("/api/v1/users/me/skills", headers=auth(token))
    assert mine.status_code == 200
    cats = _by_category(mine.json())
    assert cats["gatedcat"]["solved"] == 1  # alice's team unlocked it
    assert "zq7xcat" not in cats
    admin = make.admin()
    staff = _by_category(
        client.get(f"/api/v1/users/{w['alice'].id}/skills", headers=auth(make.token(admin))).json()
    )
    assert "zq7xcat" not in staff  # hidden challenges are never part of a profile, for anyone


def test_hidden_or_banned_users_answer_as_missing(ctx, make, client) -> None:
    w = _world(ctx, make)
    with ctx.write() as uow:
        uow.session.get(t.User, w["alice"].id).hidden = True
    missing = client.get("/api/v1/users/987654/skills")
    hidden = client.get(f"/api/v1/users/{w['alice'].id}/skills")
    assert missing.status_code == hidden.status_code == 404
    assert missing.json() == hidden.json()
    assert client.get("/api/v1/users/me/skills").status_code == 401


def test_the_player_page_draws_an_accessible_radar_with_a_table(ctx, make, client) -> None:
    w = _world(ctx, make)
    page = client.get(f"/users/{w['alice'].id}?lang=ja")
    assert page.status_code == 200
    html = page.text
    assert 'role="img"' in html and 'id="skills-title"' in html and 'id="skills-desc"' in html
    assert 'class="radar"' in html and '<polygon class="shape"' in html
    assert "ウェブ" in html and "スキルプロファイル" in html
    assert 'style="' not in html.split('id="h-skills"', 1)[1]
    assert "zq7x" not in html.lower() and "gatedcat" not in html


def test_fewer_than_three_categories_are_bars(ctx, make, client) -> None:
    alice, team = make.player_in_team("alice", "Red")
    ch = make.challenge(name="Only", category="web", value=100)
    with ctx.write() as uow:
        record_solve(uow, ch.id, alice, team.id, ctx.now())
    html = client.get(f"/users/{alice.id}").text
    assert 'class="bars"' in html and 'class="radar"' not in html


def test_the_profile_follows_the_freeze_for_readers_of_the_frozen_board(ctx, make, client) -> None:
    from kizuna.services import event

    alice, team = make.player_in_team("alice", "Red")
    ch = make.challenge(name="Late", category="web", value=100)
    now = ctx.now()
    event.update_event(
        ctx,
        {
            "start_at": (now - timedelta(hours=2)).isoformat(),
            "freeze_at": (now - timedelta(hours=1)).isoformat(),
        },
    )
    with ctx.write() as uow:
        record_solve(uow, ch.id, alice, team.id, now - timedelta(minutes=5))  # after the freeze
    public = _by_category(client.get(f"/api/v1/users/{alice.id}/skills").json())
    assert public["web"]["solved"] == 0
    login(client, "alice")
    own = _by_category(client.get("/api/v1/users/me/skills").json())
    assert own["web"]["solved"] == 1


def test_a_profile_costs_the_same_few_queries_however_much_was_solved(ctx, make) -> None:
    from sqlalchemy import event as sa_event

    from kizuna.services import skills

    w = _world(ctx, make)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    sa_event.listen(ctx.db.engine, "before_cursor_execute", count)
    try:
        skills.skill_profile(ctx, None, w["alice"].id, None)
        one = len(statements)
        statements.clear()
        many_solves, many_team = make.player_in_team("many", "Many")
        for i in range(12):
            ch = make.challenge(name=f"extra{i}", category=f"cat{i % 4}", value=100 * (i + 1))
            with ctx.write() as uow:
                record_solve(uow, ch.id, many_solves, many_team.id, ctx.now())
        statements.clear()
        skills.skill_profile(ctx, None, many_solves.id, None)
        assert len(statements) == one <= 6  # the user, their team, locks, solves, weights, names
        statements.clear()
        skills.profiles_of(ctx, [w["alice"].id, w["bob"].id, many_solves.id])
        assert len(statements) <= one
    finally:
        sa_event.remove(ctx.db.engine, "before_cursor_execute", count)
