"""Signed file links are bound to the viewer they were made for, short-lived, and checked again.

The threat: a link copied out of a staff page (a hidden challenge's file, signed for an admin) used to
work for anyone for six hours. Now a ``?token=`` must be ours, for this file, unexpired (an hour) and
made for the requester (the same account; a visitor's link only without an account), and the
requester must still be allowed to see the file's challenge now. Every refusal is the very 404 of a
missing file.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from kizuna.security import ANONYMOUS_VIEWER, FILE_LINK_SECONDS, FileSigner
from kizuna.services import content
from kizuna.storage import tables as t
from tests.conftest import auth, login


@pytest.fixture
def files(ctx: Any, make: Any) -> dict[str, Any]:
    make.admin("boss")
    player, team = make.player_in_team("player", "Players")
    opener = make.challenge(name="Open door", flag="flag{open}")
    locked = make.challenge(name="Inner room", requirements={"prerequisites": [opener.id]})
    hidden = make.challenge(name="Vault", state="hidden")
    return {
        "player": player,
        "team": team,
        "opener": opener,
        "open": content.save_file(ctx, opener.id, "open.txt", b"open body"),
        "locked": content.save_file(ctx, locked.id, "inner.txt", b"inner body"),
        "hidden": content.save_file(ctx, hidden.id, "vault.txt", b"vault body"),
    }


def _user_id(ctx: Any, name: str) -> int:
    with ctx.db.read() as s:
        return int(s.query(t.User).filter(t.User.name == name).one().id)


def _missing(client: TestClient, location: str) -> Any:
    return client.get("/files/" + location.rsplit("/", 1)[0] + "/no-such-file.txt")


def _norm(r: Any) -> str:
    """The answer without what differs between any two requests: the address asked for (the
    language links echo it) and the page's script nonces."""
    text = r.text
    target = str(r.request.url.raw_path.decode())
    for echo in sorted(
        {target, target.split("?", 1)[0], quote(target, safe=""), quote(target, safe="/")}, key=len
    )[::-1]:
        text = text.replace(echo, "URL")
    text = text.replace(quote(target.split("?", 1)[0], safe=""), "URL")
    return re.sub(r'nonce="[^"]*"', "nonce", text)


def _same_as_missing(r: Any, missing: Any) -> None:
    assert r.status_code == 404
    assert (r.status_code, _norm(r)) == (missing.status_code, _norm(missing))


def test_links_live_an_hour_by_default(app):
    assert FILE_LINK_SECONDS == 3600
    assert app.state.file_signer.max_age == FILE_LINK_SECONDS


def test_an_admin_link_to_a_hidden_file_is_useless_to_visitors_and_players(app, ctx, files):
    boss = _user_id(ctx, "boss")
    hidden = files["hidden"].location
    url = app.state.file_signer.url(hidden, boss)  # what the admin view hands out
    with TestClient(app) as visitor:
        _same_as_missing(visitor.get(url), _missing(visitor, hidden))
    with TestClient(app) as player:
        login(player, "player")
        _same_as_missing(player.get(url), _missing(player, hidden))
    with TestClient(app) as admin:
        login(admin, "boss")
        r = admin.get(url)
        assert r.status_code == 200 and r.content == b"vault body"


def test_a_players_own_link_stops_working_when_the_challenge_is_hidden(app, ctx, files):
    player = files["player"].id
    hidden = files["hidden"].location
    with TestClient(app) as c:
        login(c, "player")
        _same_as_missing(c.get(app.state.file_signer.url(hidden, player)), _missing(c, hidden))


def test_a_locked_challenges_file_opens_only_once_unlocked(app, ctx, make, files):
    player = files["player"]
    locked = files["locked"].location
    url = app.state.file_signer.url(locked, player.id)
    with TestClient(app) as c:
        login(c, "player")
        _same_as_missing(c.get(url), _missing(c, locked))
        _same_as_missing(c.get("/files/" + locked), _missing(c, locked))
        r = c.post(
            "/api/v1/challenges/attempt",
            json={"challenge_id": files["opener"].id, "submission": "flag{open}"},
            headers=auth(make.token(player)),
        )
        assert r.json()["data"]["status"] == "correct"
        ok = c.get(url)
        assert ok.status_code == 200 and ok.content == b"inner body"


def test_another_viewers_link_or_a_forged_or_expired_one_is_a_missing_file(app, ctx, make, files):
    opener = files["open"].location
    other = make.user("other")
    make.join(other, files["team"])  # same team, same rights: still not their link
    signer: FileSigner = app.state.file_signer
    with TestClient(app) as c:
        login(c, "player")
        missing = _missing(c, opener)
        own = signer.url(opener, files["player"].id)
        assert c.get(own).status_code == 200
        for bad in (
            signer.url(opener, other.id),  # made for someone else
            signer.url(opener, None),  # made for visitors
            own[:-3] + ("aaa" if not own.endswith("aaa") else "bbb"),  # tampered
            f"/files/{opener}?token="
            + signer.sign(files["locked"].location, files["player"].id),  # other file
            f"/files/{opener}?token=" + FileSigner("another-secret").sign(opener, files["player"].id),
        ):
            _same_as_missing(c.get(bad), missing)
        app.state.file_signer = FileSigner(app.state.settings.secret_key, max_age=-1)  # every link expired
        _same_as_missing(c.get(own), missing)


def test_a_visitors_link_opens_only_what_anyone_could_open(app, ctx, files):
    signer: FileSigner = app.state.file_signer
    assert (
        signer.verify(signer.sign(files["open"].location, None), files["open"].location) == ANONYMOUS_VIEWER
    )
    with TestClient(app) as visitor:
        assert visitor.get("/files/" + files["open"].location).status_code == 404  # no link: no file
        r = visitor.get(signer.url(files["open"].location, None))
        assert r.status_code == 200 and r.content == b"open body"
        for key in ("locked", "hidden"):
            location = files[key].location
            _same_as_missing(visitor.get(signer.url(location, None)), _missing(visitor, location))


def test_ctfcli_style_downloads_with_an_api_token_still_work(app, ctx, make, files):
    """ctfcli reads ``/api/v1/challenges/<id>?view=admin`` with its token and downloads the ``files``
    links it got, with the same token: the link is bound to that very account."""
    boss = _user_id(ctx, "boss")
    with ctx.db.read() as s:
        admin = s.get(t.User, boss)
        hidden_challenge = s.get(t.File, files["hidden"].id).challenge_id
    headers = auth(make.token(admin))
    with TestClient(app) as cli:
        data = cli.get(f"/api/v1/challenges/{hidden_challenge}?view=admin", headers=headers).json()["data"]
        (link,) = data["files"]
        r = cli.get(link, headers=headers)
        assert r.status_code == 200 and r.content == b"vault body"
        assert cli.get(link).status_code == 404  # the same link without the token: nobody's
