"""The per-viewer rules of the live stream (``kizuna.domain.live``), without a server."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.domain.events import EVENT_TYPES
from kizuna.domain.live import LiveEvent, Viewer, World, speaks_to, visible_to, withholds_rank
from kizuna.domain.policy import ACCOUNT_ROLES

T0 = datetime(2026, 11, 28, 9, 0)
FREEZE = datetime(2026, 11, 28, 12, 0)
VISIBLE, HIDDEN = 1, 2
TEAM_A, TEAM_B, HIDDEN_TEAM = 10, 20, 30

WORLD = World(
    started=True, visible_challenges=frozenset({VISIBLE}), public_accounts=frozenset({TEAM_A, TEAM_B})
)
FROZEN = World(
    started=True,
    freeze_cutoff=FREEZE,
    visible_challenges=frozenset({VISIBLE}),
    public_accounts=frozenset({TEAM_A, TEAM_B}),
)

ANON = Viewer()
PLAYER_A = Viewer("player", TEAM_A)
PLAYER_B = Viewer("player", TEAM_B)
PLAYER_HIDDEN = Viewer("player", HIDDEN_TEAM)
NO_TEAM = Viewer("player", None)
ADMIN = Viewer("admin")
JUDGE = Viewer("judge")
MARSHAL = Viewer("marshal")
AUTHOR = Viewer("author")
EVERYONE = {
    "anonymous": ANON,
    "player_a": PLAYER_A,
    "player_b": PLAYER_B,
    "no_team": NO_TEAM,
    "admin": ADMIN,
    "judge": JUDGE,
    "marshal": MARSHAL,
    "author": AUTHOR,
}


def event(
    type_: str, audience: str = "public", to: int | None = None, at: datetime = T0, **data: Any
) -> LiveEvent:
    """An event of ``type_`` (its declared keys, None unless given), addressed ``to`` an account."""
    values = {key: None for key in EVENT_TYPES[type_]}
    values.update(data)
    return LiveEvent(1, type_, values, audience, to, at)


def receivers(ev: LiveEvent, world: World = WORLD) -> set[str]:
    return {name for name, viewer in EVERYONE.items() if visible_to(ev, viewer, world)}


def solve(
    challenge: int = VISIBLE,
    account: int = TEAM_B,
    at: datetime = T0,
    audience: str = "public",
    blood: int = 0,
) -> LiveEvent:
    return event(
        "solve",
        audience,
        account,
        at,
        challenge_id=challenge,
        account_id=account,
        user_id=5,
        first_blood=blood,
        value=100,
    )


def test_public_news_reaches_everyone() -> None:
    assert receivers(event("announcement", notification_id=3)) == set(EVERYONE)
    assert receivers(event("event_state", state="paused", reason={}, end_at=None)) == set(EVERYONE)
    assert receivers(solve()) == set(EVERYONE)


def test_the_activity_feed_is_for_those_who_see_the_feed() -> None:
    submission = event(
        "submission",
        "staff",
        TEAM_B,
        submission_id=1,
        challenge_id=VISIBLE,
        account_id=TEAM_B,
        user_id=5,
        result="incorrect",
        address="10.0.0.1",
    )
    assert receivers(submission) == {"admin", "judge", "marshal"}
    # Stored with the wrong audience by mistake, it is still the feed's alone (it carries an address).
    assert receivers(event("submission", "public", challenge_id=VISIBLE, account_id=TEAM_B)) == {
        "admin",
        "judge",
        "marshal",
    }
    hidden = event("account_hidden", "staff", account_id=TEAM_B, kind="team", hidden=True)
    assert receivers(hidden) == {"admin", "judge", "marshal"}


def test_staff_events_reach_staff_who_see_the_feed_or_every_challenge() -> None:
    changed = event("challenge_changed", "staff", challenge_id=VISIBLE)
    assert receivers(changed) == {"admin", "judge", "marshal", "author"}
    account = event("account_changed", "staff", account_id=TEAM_A)
    assert receivers(account) == {"admin", "judge", "marshal", "author"}


def test_an_unlock_is_the_accounts_own() -> None:
    unlock = event("unlock", "account", TEAM_B, account_id=TEAM_B, hint_id=4, challenge_id=VISIBLE)
    assert receivers(unlock) == {"player_b", "admin", "judge", "marshal"}
    # Even stored as public, another team never learns of it.
    leaked = event("unlock", "public", None, account_id=TEAM_B, hint_id=4, challenge_id=VISIBLE)
    assert receivers(leaked) == {"player_b", "admin", "judge", "marshal"}


def test_account_events_reach_the_account_and_the_feed() -> None:
    award = event("award", "account", TEAM_A, award_id=1, account_id=TEAM_A, value=50)
    assert receivers(award) == {"player_a", "admin", "judge", "marshal"}


def test_events_about_a_hidden_challenge_reach_only_those_who_see_every_challenge() -> None:
    assert receivers(solve(HIDDEN, audience="staff")) == {"admin", "judge", "author"}
    # Whatever audience it was stored with: the challenge is hidden *now*.
    assert receivers(solve(HIDDEN)) == {"admin", "judge", "author"}
    assert receivers(event("hint_added", challenge_id=HIDDEN, hint_id=1)) == {"admin", "judge", "author"}
    released = event("challenge_released", challenge_id=HIDDEN)
    assert receivers(released) == {"admin", "judge", "author"}
    # A marshal sees the feed but not hidden challenges: not even a submission to one.
    submission = event("submission", "staff", challenge_id=HIDDEN, account_id=TEAM_A, result="correct")
    assert receivers(submission) == {"admin", "judge"}
    # A deleted challenge (not in the visible set) counts as hidden.
    assert receivers(event("challenge_released", challenge_id=999)) == {"admin", "judge", "author"}


def test_before_the_start_players_hear_of_no_challenge() -> None:
    early = World(started=False, visible_challenges=frozenset({VISIBLE}), public_accounts=frozenset({TEAM_A}))
    assert receivers(event("challenge_released", challenge_id=VISIBLE), early) == {"admin", "judge", "author"}
    assert receivers(event("event_state", state="started", reason={}, end_at=None), early) == set(EVERYONE)


def test_events_about_an_account_off_the_board_stay_with_it_and_the_feed() -> None:
    hidden_solve = solve(account=HIDDEN_TEAM)
    viewers = dict(EVERYONE, player_hidden=PLAYER_HIDDEN)
    got = {name for name, v in viewers.items() if visible_to(hidden_solve, v, WORLD)}
    assert got == {"player_hidden", "admin", "judge", "marshal"}
    # A scoring event without an account (an admin testing in team mode) is nobody's public news.
    orphan = event("solve", challenge_id=VISIBLE, account_id=None, user_id=1, first_blood=1, value=100)
    assert receivers(orphan) == {"admin", "judge", "marshal"}


def test_the_freeze_holds_back_later_scoring_from_the_public() -> None:
    after = FREEZE + timedelta(minutes=1)
    assert receivers(solve(at=after), FROZEN) == {"player_b", "admin", "judge"}
    assert receivers(solve(at=FREEZE), FROZEN) == {"player_b", "admin", "judge"}  # at the instant too
    assert receivers(solve(at=FREEZE - timedelta(seconds=1)), FROZEN) == set(EVERYONE)
    award = event("award", "public", TEAM_A, after, award_id=1, account_id=TEAM_A, value=10)
    assert receivers(award, FROZEN) == {"player_a", "admin", "judge"}
    board = event("scoreboard", at=after, revision=9)
    assert receivers(board, FROZEN) == {"admin", "judge"}
    # Not scoring: announcements still reach everyone during the freeze.
    assert receivers(event("announcement", at=after, notification_id=1), FROZEN) == set(EVERYONE)
    # After the freeze is lifted the same solve is public again.
    assert receivers(solve(at=after), WORLD) == set(EVERYONE)


def test_during_the_freeze_a_team_gets_its_own_solve_without_its_blood_rank() -> None:
    """ "Second blood" on a team's own solve after the freeze would tell it that another team solved
    the same challenge after the freeze, which the frozen board hides."""
    after = FREEZE + timedelta(minutes=1)
    second = solve(at=after, blood=2)
    assert visible_to(second, PLAYER_B, FROZEN)  # its own solve still reaches it ...
    assert withholds_rank(second, PLAYER_B, FROZEN)  # ... as an ordinary one
    assert not withholds_rank(second, ADMIN, FROZEN) and not withholds_rank(second, JUDGE, FROZEN)
    assert not withholds_rank(solve(at=after, blood=0), PLAYER_B, FROZEN)  # nothing to withhold
    assert not withholds_rank(solve(at=FREEZE - timedelta(seconds=1), blood=2), PLAYER_B, FROZEN)
    assert not withholds_rank(second, PLAYER_B, WORLD)  # the freeze lifted: the rank is public
    award = event("award", "public", TEAM_B, after, award_id=1, account_id=TEAM_B, value=10)
    assert not withholds_rank(award, PLAYER_B, FROZEN)


def test_an_unknown_audience_reaches_nobody() -> None:
    assert receivers(event("announcement", "somebody", notification_id=1)) == set()


def test_what_speaks_as_a_sentence() -> None:
    assert not speaks_to(solve(blood=0), PLAYER_A)
    assert all(speaks_to(solve(blood=rank), PLAYER_A) for rank in (1, 2, 3))
    assert not speaks_to(solve(blood=4), PLAYER_A)
    award = event("award", "public", TEAM_B, award_id=1, account_id=TEAM_B, value=10)
    assert speaks_to(award, PLAYER_B) and speaks_to(award, JUDGE) and speaks_to(award, MARSHAL)
    assert not speaks_to(award, PLAYER_A) and not speaks_to(award, ANON)
    assert not speaks_to(event("scoreboard", revision=3), ADMIN)
    assert not speaks_to(event("challenge_changed", challenge_id=1), ADMIN)
    assert speaks_to(event("announcement", notification_id=1), ANON)


# --- properties over any event ------------------------------------------------------------------------

ids = st.one_of(st.none(), st.sampled_from([VISIBLE, HIDDEN, TEAM_A, TEAM_B, HIDDEN_TEAM, 999]))
events = st.builds(
    lambda kind, audience, account, challenge, subject, minutes: LiveEvent(
        7,
        kind,
        {"challenge_id": challenge, "account_id": subject, "kind": "team", "first_blood": 1},
        audience,
        account,
        FREEZE + timedelta(minutes=minutes),
    ),
    st.sampled_from(sorted(EVENT_TYPES)),
    st.sampled_from(["public", "staff", "account"]),
    ids,
    ids,
    ids,
    st.integers(-60, 60),
)
worlds = st.sampled_from([WORLD, FROZEN, World()])


@given(events, worlds)
def test_admins_receive_every_event(ev: LiveEvent, world: World) -> None:
    assert visible_to(ev, ADMIN, world)


@given(events, worlds, st.sampled_from([ANON, PLAYER_A, PLAYER_B, NO_TEAM]))
def test_players_never_receive_staff_news_or_hidden_things(
    ev: LiveEvent, world: World, viewer: Viewer
) -> None:
    if not visible_to(ev, viewer, world):
        return
    assert ev.audience != "staff"
    assert ev.type not in {"submission", "account_hidden"}
    if ev.audience == "account":
        assert ev.account_id == viewer.account_id is not None
    if ev.challenge_id is not None:
        assert ev.challenge_id in world.visible_challenges and world.started
    own = viewer.account_id is not None and viewer.account_id in (ev.account_id, ev.subject)
    if ev.type in {"solve", "award", "unlock"}:
        assert ev.subject in world.public_accounts or own
    if world.frozen_out(ev):
        assert own


@pytest.mark.parametrize("role", ACCOUNT_ROLES)
def test_every_role_receives_public_news(role: str) -> None:
    assert visible_to(event("announcement", notification_id=1), Viewer(role, None), WORLD)
