"""The live stream: locked challenges are nobody's news until unlocked, and an open stream is closed
once what opened it stops holding.

* ``domain.live``: an event naming a challenge locked for the viewer (prerequisites their account
  has not solved; for a visitor, any challenge with prerequisites) goes only to readers of the
  activity feed and to those who may view every challenge. The venue's ticker (a visitor) follows.
* ``web.live``: a stream opened with an API token is closed when the token is deleted or expires; any
  signed-in stream when its account is banned, hidden, or given another role. The check is driven
  without waiting on the clock: the interval is set to an hour and ``LiveHub.revalidate_soon`` asks
  for it (account changes also trigger it at once through their events).
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.domain.events import Audience
from kizuna.domain.live import LiveEvent, Viewer, World, visible_to
from kizuna.services import accounts, moderation, notifications, venue
from kizuna.storage import tables as t
from kizuna.web.live import LiveSettings
from tests.conftest import auth
from tests.sse import read_until

OPEN, LOCKED = 1, 2
TEAM_A, TEAM_B = 10, 20


def _solve(challenge: int, account: int) -> LiveEvent:
    return LiveEvent(
        1,
        "solve",
        {"challenge_id": challenge, "account_id": account, "user_id": 5, "first_blood": 1},
        Audience.PUBLIC,
    )


WORLD = World(
    visible_challenges=frozenset({OPEN, LOCKED}),
    public_accounts=frozenset({TEAM_A, TEAM_B}),
    unlocked={LOCKED: frozenset({TEAM_A})},  # team A solved the prerequisite
)


@pytest.mark.parametrize(
    ("viewer", "hears"),
    [
        (Viewer(None, None), False),  # a visitor has solved nothing
        (Viewer("player", TEAM_B), False),  # has not unlocked it
        (Viewer("player", TEAM_A), True),  # has unlocked it
        (Viewer("player", None), False),  # no team yet
        (Viewer("author", None), True),  # may view every challenge
        (Viewer("judge", None), True),
        (Viewer("marshal", None), True),  # reads the activity feed
        (Viewer("admin", None), True),
    ],
)
def test_a_locked_challenge_is_news_only_to_those_who_may_open_it(viewer, hears):
    assert visible_to(_solve(LOCKED, TEAM_A), viewer, WORLD) is hears
    assert visible_to(_solve(OPEN, TEAM_B), viewer, WORLD)  # an open one is everyone's news
    released = LiveEvent(2, "challenge_released", {"challenge_id": LOCKED}, Audience.PUBLIC)
    assert visible_to(released, viewer, WORLD) is hears


def test_the_venue_ticker_leaves_out_locked_challenges(ctx, make):
    _, team = make.player_in_team("alice", "Alices")
    opener = make.challenge(name="Open door")
    locked = make.challenge(name="Inner room", requirements={"prerequisites": [opener.id]})
    with ctx.write() as uow:
        for ch in (opener, locked):
            uow.emit(
                "solve",
                {"challenge_id": ch.id, "account_id": team.id, "user_id": 1, "first_blood": 1, "value": 100},
            )
    shown = [b.event.challenge_id for b in venue.first_bloods(ctx, 10)]
    assert shown == [opener.id]


def test_a_stream_hears_a_locked_challenges_first_blood_only_once_unlocked(app, ctx, make):
    app.state.live.settings = LiveSettings(poll_seconds=0.05, heartbeat_seconds=0.2)
    alice, team_a = make.player_in_team("alice", "Alices")
    bob, team_b = make.player_in_team("bob", "Bobs")
    opener = make.challenge(name="Open door")
    locked = make.challenge(name="Inner room", requirements={"prerequisites": [opener.id]})
    with ctx.write() as uow:
        sub = t.Submission(
            challenge_id=opener.id,
            user_id=alice.id,
            team_id=team_a.id,
            account_id=team_a.id,
            provided="flag{x}",
            type="correct",
            date=ctx.now(),
        )
        uow.session.add(sub)
        uow.session.flush()
        uow.session.add(
            t.Solve(
                submission_id=sub.id,
                challenge_id=opener.id,
                user_id=alice.id,
                team_id=team_a.id,
                account_id=team_a.id,
                date=ctx.now(),
            )
        )
    readers = {"alice": auth(make.token(alice)), "bob": auth(make.token(bob)), "visitor": {}}
    with TestClient(app) as live, ExitStack() as opened:
        streams = {
            k: opened.enter_context(live.stream("GET", "/events", headers=h)) for k, h in readers.items()
        }
        for r in streams.values():
            read_until(r, lambda frames: any(f.retry for f in frames))
        with ctx.write() as uow:
            uow.emit(
                "solve",
                {
                    "challenge_id": locked.id,
                    "account_id": team_b.id,
                    "user_id": bob.id,
                    "first_blood": 1,
                    "value": 100,
                },
            )
        end = notifications.announce(ctx, "End", "End.")

        def done(frames: list[Any]) -> bool:
            return any(
                f.event == "announcement" and f.json["data"]["notification_id"] == end.id for f in frames
            )

        got = {k: read_until(r, done) for k, r in streams.items()}
    heard = {k: any("Inner room" in f.data for f in frames) for k, frames in got.items()}
    # Bob's own solve is his news; Alice unlocked it; a visitor has not.
    assert heard == {"alice": True, "bob": True, "visitor": False}


def _open(live: TestClient, opened: ExitStack, headers: dict[str, str]) -> Any:
    r = opened.enter_context(live.stream("GET", "/events", headers=headers))
    assert r.status_code == 200
    read_until(r, lambda frames: any(f.retry for f in frames))
    return r


def _closes(app: Any, response: Any, timeout: float = 10.0) -> bool:
    """Ask for the check now and read until the stream ends (keep-alives come every 0.2 s, so the
    read never waits long; a stream that stays open fails at read_until's deadline)."""
    app.state.live.revalidate_soon()
    try:
        read_until(response, lambda frames: False, timeout=timeout)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize("change", ["token_deleted", "token_expired", "banned", "hidden", "role"])
def test_an_open_stream_is_closed_once_its_credentials_stop_holding(app, ctx, make, change):
    app.state.live.settings = LiveSettings(poll_seconds=0.05, heartbeat_seconds=0.2, revalidate_seconds=3600)
    alice, _team = make.player_in_team("alice", "Alices")
    boss = make.admin("boss")
    token = make.token(alice)
    with TestClient(app) as live, ExitStack() as opened:
        stream = _open(live, opened, auth(token))
        bystander = _open(live, opened, auth(make.token(make.user("carol"))))
        with ctx.write() as uow:
            row = uow.session.query(t.Token).filter(t.Token.user_id == alice.id).one()
            if change == "token_deleted":
                uow.session.delete(row)
            elif change == "token_expired":
                row.expires_at = ctx.now() - timedelta(seconds=1)
        if change == "banned":
            accounts.update_user(ctx, alice.id, {"banned": True})
        elif change == "hidden":
            accounts.update_user(ctx, alice.id, {"hidden": True})
        elif change == "role":
            moderation.change_role(ctx, accounts.Principal.of(boss), alice.id, "judge")
        assert _closes(app, stream), change
        assert not _closes(app, bystander, timeout=1.5)  # an untouched stream stays open
        if change.startswith("token"):
            assert live.get("/events", headers=auth(token)).status_code == 401


def test_without_a_check_a_revoked_stream_would_stay_open(app, ctx, make):
    """The control: the same revocation, with nobody asking for the check (the interval is an hour
    and no account event arrives), leaves the stream open — so the closing above is the check's."""
    app.state.live.settings = LiveSettings(poll_seconds=0.05, heartbeat_seconds=0.2, revalidate_seconds=3600)
    alice = make.user("alice")
    token = make.token(alice)
    with TestClient(app) as live, ExitStack() as opened:
        stream = _open(live, opened, auth(token))
        with ctx.write() as uow:
            uow.session.query(t.Token).filter(t.Token.user_id == alice.id).delete()
        with pytest.raises(AssertionError):
            read_until(stream, lambda frames: False, timeout=1.5)


def test_a_stream_opened_during_a_check_is_not_judged_by_it(ctx, make):
    """The check reads the accounts of the streams open when it starts; a stream opened while that
    read runs is not in it and must be left for the next check, not closed as unknown."""
    import asyncio

    from kizuna.services.accounts import Principal
    from kizuna.web.live import LiveHub, Stream

    alice, carol = make.user("alice"), make.user("carol")
    hub = LiveHub(ctx)
    first = Stream(Viewer("player", alice.id), ("en",), "users", Principal.of(alice))
    late = Stream(Viewer("player", carol.id), ("en",), "users", Principal.of(carol))
    hub.streams.add(first)
    read = hub._standings

    def standings_while_someone_connects(users: Any, digests: Any = (), browsers: Any = ()) -> Any:
        hub.streams.add(late)  # opened while the read runs
        return read(users, digests, browsers)

    hub._standings = standings_while_someone_connects  # type: ignore[method-assign]

    async def check() -> None:
        await hub._revalidate(asyncio.get_running_loop())

    asyncio.run(check())
    assert not first.closed and not late.closed


def test_a_browser_stream_is_closed_when_its_session_logs_out(app, ctx, make):
    """Logging out (here from another tab of the same browser) ends the session server-side, and a
    stream opened with that session closes; another account's stream stays open."""
    from tests.conftest import login

    app.state.live.settings = LiveSettings(poll_seconds=0.05, heartbeat_seconds=0.2, revalidate_seconds=3600)
    make.user("alice")
    make.user("carol")
    with TestClient(app) as live, ExitStack() as opened:
        cookies = {}
        for name in ("alice", "carol"):
            login(live, name)
            cookies[name] = dict(live.cookies)
            live.cookies.clear()

        def header(name: str) -> dict[str, str]:
            return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies[name].items())}

        stream = _open(live, opened, header("alice"))
        bystander = _open(live, opened, header("carol"))
        # Without a log-out nothing closes: the control.
        assert not _closes(app, stream, timeout=1.0)
        # Alice logs out in another tab of the same browser (the same session cookie).
        page = live.get("/account", headers=header("alice"))
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        out = live.post("/logout", data={"csrf_token": csrf}, headers=header("alice"), follow_redirects=False)
        assert out.status_code in (302, 303)
        assert _closes(app, stream)
        assert not _closes(app, bystander, timeout=1.5)


def test_deleting_a_token_closes_its_stream_at_once(app, ctx, make):
    """The delete route asks for the check itself: with the periodic check an hour away, the stream
    opened with the token ends as soon as the token is deleted."""
    app.state.live.settings = LiveSettings(poll_seconds=0.05, heartbeat_seconds=0.2, revalidate_seconds=3600)
    alice = make.user("alice")
    token = make.token(alice)
    with TestClient(app) as live, ExitStack() as opened:
        stream = _open(live, opened, auth(token))
        other = make.token(alice)
        with ctx.db.read() as s:
            token_id = s.query(t.Token.id).filter(t.Token.user_id == alice.id).order_by(t.Token.id).first()[0]
        assert live.delete(f"/api/v1/tokens/{token_id}", headers=auth(other)).status_code == 200
        read_until(stream, lambda frames: False, timeout=10.0)  # ends, or fails at the deadline
