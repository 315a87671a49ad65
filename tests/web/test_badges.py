"""Badges shown: the player page's section (the reader's language, both languages, the date in the
reader's zone), the /badges page with how many players hold each, the API, and a hidden user's
badges answered as a missing user's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from kizuna.services import accounts, badges, event
from kizuna.services.context import Context
from kizuna.web.zones import TZ_COOKIE, format_in_zone
from tests.conftest import Factory, auth, login

AT = datetime(2026, 11, 2, 16, 30)  # 01:30 on 3 November in Tokyo


def _earn(ctx: Context, make: Factory) -> tuple[Any, Any]:
    """Two players with first blood each; the second is hidden later."""
    event.update_event(ctx, {"mode": "users"})
    ctx.now = lambda: AT
    star, shy = make.user("star"), make.user("shy")
    for who in (star, shy):
        ch = make.challenge(category="web").id
        with ctx.write() as uow:
            uow.emit(
                "solve",
                {"challenge_id": ch, "account_id": who.id, "user_id": who.id, "first_blood": 1, "value": 100},
                audience="account",
                account_id=who.id,
            )
    badges.catch_up(ctx)
    return star, shy


def test_the_player_page_shows_badges_in_the_readers_language_and_zone(
    client: TestClient, ctx: Context, make: Factory
) -> None:
    star, _ = _earn(ctx, make)
    client.cookies.set(TZ_COOKIE, "Asia/Tokyo")
    html = client.get(f"/users/{star.id}?lang=en").text
    assert 'id="h-badges"' in html and "First blood" in html and "/static/badges/drop.svg" in html
    assert "Solved a challenge before anyone else." in html
    assert format_in_zone(AT, "Asia/Tokyo", locale="en") in html
    ja = client.get(f"/users/{star.id}?lang=ja").text
    assert "バッジ" in ja and "誰よりも先に問題を解いた。" in ja and "Solved a challenge before" not in ja
    assert format_in_zone(AT, "Asia/Tokyo", locale="ja") in ja
    both = client.get(f"/users/{star.id}?lang=ja&display=both").text
    assert "誰よりも先に問題を解いた。" in both and "Solved a challenge before anyone else." in both
    # Someone without badges.
    other = make.user("newcomer")
    assert "No badges yet." in client.get(f"/users/{other.id}?lang=en").text


def test_the_badges_page_lists_every_badge_with_its_holders(
    client: TestClient, ctx: Context, make: Factory
) -> None:
    _star, shy = _earn(ctx, make)
    html = client.get("/badges?lang=en").text
    for badge in badges.shipped_catalogue().badges:
        assert f'id="badge-{badge.key}"' in html
        assert f"/static/badges/{badge.icon}.svg" in html
    assert "Earned by 2 players" in html and "Earned by 0 players" in html
    accounts.update_user(ctx, shy.id, {"hidden": True})  # a hidden player is not counted
    assert "Earned by 1 player<" in client.get("/badges?lang=en").text
    ja = client.get("/badges?lang=ja").text
    assert "ファーストブラッド" in ja and "1人が獲得" in ja
    assert client.get("/static/badges/drop.svg").headers["content-type"].startswith("image/svg+xml")


def test_the_api_lists_badges_and_a_users_badges(client: TestClient, ctx: Context, make: Factory) -> None:
    star, shy = _earn(ctx, make)
    data = client.get("/api/v1/badges").json()["data"]
    assert [b["key"] for b in data] == list(badges.shipped_catalogue().keys)
    first = next(b for b in data if b["key"] == "first-blood")
    assert first["earned_by"] == 2 and first["icon"] == "/static/badges/drop.svg"
    assert first["rule"] == {"kind": "first_blood", "count": 1}
    assert first["translations"]["ja"]["name"] == "ファーストブラッド"
    ja = client.get("/api/v1/badges", headers={"Accept-Language": "ja"}).json()["data"]
    assert next(b for b in ja if b["key"] == "first-blood")["name"] == "ファーストブラッド"
    mine = client.get(f"/api/v1/users/{star.id}/badges").json()["data"]
    assert [(b["key"], b["awarded_at"]) for b in mine] == [("first-blood", "2026-11-02T16:30:00Z")]
    # A hidden user's badges answer exactly as a missing user's, except to roster staff.
    accounts.update_user(ctx, shy.id, {"hidden": True})
    hidden, missing = client.get(f"/api/v1/users/{shy.id}/badges"), client.get("/api/v1/users/987654/badges")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    assert hidden.status_code == 404
    token = make.token(make.admin())
    assert (
        client.get(f"/api/v1/users/{shy.id}/badges", headers=auth(token)).json()["data"][0]["key"]
        == "first-blood"
    )


def test_reading_badges_never_awards_any(client: TestClient, ctx: Context, make: Factory) -> None:
    """Badges come from the job alone: pages and the API only read."""
    star = make.user("reader")
    ch = make.challenge(category="web").id
    with ctx.write() as uow:
        uow.emit(
            "solve",
            {"challenge_id": ch, "account_id": star.id, "user_id": star.id, "first_blood": 1, "value": 100},
            audience="account",
            account_id=star.id,
        )
    login(client, "reader")
    client.get(f"/users/{star.id}")
    client.get("/badges")
    assert client.get(f"/api/v1/users/{star.id}/badges").json()["data"] == []
    badges.catch_up(ctx)
    assert len(client.get(f"/api/v1/users/{star.id}/badges").json()["data"]) == 1


def test_openapi_describes_the_badge_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/badges"] and "get" in paths["/api/v1/users/{user_id}/badges"]


def test_a_badge_earned_is_a_toast_for_that_account_alone(app: Any, ctx: Context, make: Factory) -> None:
    from contextlib import ExitStack

    from kizuna.services import notifications
    from kizuna.web.live import LiveSettings
    from tests.sse import read_until

    member, team = make.player_in_team("earner")
    other, _ = make.player_in_team("bystander")
    ch = make.challenge(category="web").id
    app.state.live.settings = LiveSettings(poll_seconds=0.05, heartbeat_seconds=0.2, revalidate_seconds=0.2)
    headers = {
        "member": {**auth(make.token(member)), "Accept-Language": "ja"},
        "other": auth(make.token(other)),
        "visitor": {},
    }
    with TestClient(app) as live, ExitStack() as streams_open:
        streams = {
            label: streams_open.enter_context(live.stream("GET", "/events", headers=h))
            for label, h in headers.items()
        }
        with ctx.write() as uow:
            uow.emit(
                "solve",
                {
                    "challenge_id": ch,
                    "account_id": team.id,
                    "user_id": member.id,
                    "first_blood": 1,
                    "value": 100,
                },
                account_id=team.id,
            )
        badges.catch_up(ctx)
        sentinel = notifications.announce(ctx, "End of the test", "Nothing more.")

        def arrived(frames: list[Any]) -> bool:
            return any(
                f.event == "announcement" and f.json["data"].get("notification_id") == sentinel.id
                for f in frames
            )

        got = {label: read_until(r, arrived) for label, r in streams.items()}
    mine = [f.json for f in got["member"] if f.event == "badge_awarded"]
    assert len(mine) == 1 and mine[0]["data"] == {"badge_key": "first-blood", "user_id": member.id}
    assert mine[0]["messages"][0]["text"] == "earnerがバッジを獲得しました：ファーストブラッド"
    for label in ("other", "visitor"):
        assert not [f for f in got[label] if f.event == "badge_awarded"], label
