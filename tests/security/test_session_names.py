"""Look-alike names, control characters, the password's upper bound and the client's address.

Mixed-script look-alikes ("Cybеr Wales" with a Cyrillic е) are refused using Unicode's confusables
data (``confusable_homoglyphs``), and so is a name whose look-alike key (skeleton) equals an existing
user's or team's; Japanese names mixing kanji, kana, Latin and full-width forms are accepted. Control
and invisible formatting characters are refused with a message naming them, never silently removed.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.names import (
    MAX_PASSWORD_LENGTH,
    control_characters,
    look_alike,
    mixed_script_confusables,
    skeleton,
    validate_name,
    validate_password,
)
from kizuna.services import accounts, event, teams
from kizuna.storage import tables as t
from kizuna.web.client import resolve
from tests.conftest import PASSWORD, _csrf_from, auth, login

CYRILLIC_E = "\u0435"

JAPANESE = [
    "広島サイバー",
    "Cyber広島",
    "ＣＴＦチーム",
    "ひろしまCTF",
    "東京電機大学 CTF部",
    "チーム・サクラ",
    "ｶﾀｶﾅ",
]
REFUSED_MIXED = [f"Cyb{CYRILLIC_E}r Wales", "p\u0430ypal", "\u0410rmy", "S\u0430kura 桜"]
CONTROL = [
    "a\u202eb",
    "x\u200by",
    "tab\there",
    "bell\x07",
    "c1\x85x",
    "rlo\u202dx",
    "soft\u00adhyphen",
    "bom\ufeffx",
    "iso\u2066x",
]


@pytest.mark.parametrize(
    "name", [*JAPANESE, "Café Noir", "Москва", "Ελλάδα", "team-42", "👩\u200d💻 hackers"]
)
def test_real_names_are_accepted(name: str) -> None:
    assert validate_name(name)
    assert mixed_script_confusables(validate_name(name)) == []


@pytest.mark.parametrize("name", REFUSED_MIXED)
def test_mixed_script_look_alikes_are_refused(name: str) -> None:
    with pytest.raises(DomainError) as caught:
        validate_name(name)
    assert caught.value.code is ErrorCode.NAME_MIXED_SCRIPT
    assert caught.value.params["chars"]  # the message names the letters at fault


@pytest.mark.parametrize("name", CONTROL)
def test_control_characters_are_refused_not_stripped(name: str) -> None:
    with pytest.raises(DomainError) as caught:
        validate_name(name)
    assert caught.value.code is ErrorCode.NAME_CONTROL_CHARACTER
    assert "U+" in caught.value.params["chars"]


def test_skeletons() -> None:
    assert skeleton(f"Cyb{CYRILLIC_E}r Wales") == skeleton("Cyber Wales")
    assert skeleton("チ一ム") == skeleton("チーム")  # kanji 一 and the prolonged sound mark
    assert skeleton("ＣＴＦチーム") == skeleton("CTFチーム")
    assert look_alike("teaml", ["team1"]) == "team1"
    assert look_alike("Team", ["team"]) is None  # the same name key: NAME_TAKEN's business
    assert look_alike("広島サイバー", ["東京サイバー", "Cyber広島"]) is None
    assert control_characters("क्\u200dष") == []  # a joiner a script needs is kept


def test_look_alike_user_and_team_names_are_refused(backend: str, ctx: Any, make: Any) -> None:
    user = make.user("Cyber Wales")
    with pytest.raises(DomainError) as caught:
        accounts.register_user(ctx, "Cyber Wa1es", PASSWORD)  # digit one for the letter l
    assert caught.value.code is ErrorCode.NAME_LOOKS_LIKE
    other = make.user("someone")
    with pytest.raises(DomainError):
        accounts.update_user(ctx, other.id, {"name": "CYBER WALES"[:-1] + "\u0405"})  # Cyrillic Ѕ
    accounts.update_user(ctx, user.id, {"name": "Cyber Wales"})  # its own name stays its own
    team = make.team("広島サイバー")
    with pytest.raises(DomainError) as caught:
        teams.create_team(ctx, "広島サイバ一", None)  # kanji 一 for ー
    assert caught.value.code is ErrorCode.NAME_LOOKS_LIKE
    teams.update_team(ctx, team.id, {"name": "広島サイバー"}, team.captain_id, True)
    assert make.team("Cyber広島") and make.team("ＣＴＦチーム")


def test_the_register_page_says_why_in_the_readers_language(client: TestClient, ctx: Any, make: Any) -> None:
    event.update_event(ctx, {"registration_open": True})
    make.user("Cyber Wales")
    client.get("/lang/ja")

    def register(name: str, password: str = PASSWORD) -> Any:
        csrf = _csrf_from(client.get("/register").text)
        return client.post(
            "/register", data={"name": name, "password": password, "confirm": password, "csrf_token": csrf}
        )

    r = register(f"Cyb{CYRILLIC_E}r Wales")
    assert r.status_code == 400 and "見た目が似た別の文字体系の文字" in r.text
    r = register("Cyber Wa1es")
    assert r.status_code == 400 and "すでに使われている名前と見分けがつきません" in r.text
    r = register("evil\u202eseman")
    assert r.status_code == 400 and "U+202E" in r.text and "制御文字" in r.text
    r = register("longpass", "x" * (MAX_PASSWORD_LENGTH + 1))
    assert r.status_code == 400 and f"パスワードは{MAX_PASSWORD_LENGTH}文字以内" in r.text


def test_team_names_through_the_api(client: TestClient, make: Any) -> None:
    admin = make.admin()
    r = client.post("/api/v1/teams", json={"name": "bad\u202ename"}, headers=auth(make.token(admin)))
    assert r.status_code == 400
    assert "U+202E" in r.json()["errors"]["name"][0]


def test_password_upper_bound(ctx: Any, make: Any, client: TestClient) -> None:
    validate_password("x" * MAX_PASSWORD_LENGTH)
    with pytest.raises(DomainError) as caught:
        validate_password("x" * (MAX_PASSWORD_LENGTH + 1))
    assert caught.value.code is ErrorCode.PASSWORD_TOO_LONG
    user = make.user("pat")
    with pytest.raises(DomainError):
        accounts.change_password(ctx, user.id, PASSWORD, "y" * 10_000)
    with pytest.raises(DomainError):
        accounts.update_user(ctx, user.id, {"password": "y" * 10_000})
    # A megabyte typed at the log-in form is answered at once as a wrong password.
    csrf = _csrf_from(client.get("/login").text)
    r = client.post("/login", data={"name": "pat", "password": "z" * 1_000_000, "csrf_token": csrf})
    assert r.status_code == 401
    login(client, "pat")


@pytest.mark.parametrize(
    ("peer", "header", "trusted", "expected"),
    [
        ("203.0.113.9", ["198.51.100.1"], "", "203.0.113.9"),  # no trusted proxies: header ignored
        ("10.0.0.2", ["198.51.100.1"], "10.0.0.0/8", "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1"], "10.0.0.0/8", "198.51.100.1"),  # client's own entry ignored
        ("10.0.0.2", ["6.6.6.6", "198.51.100.1, 10.0.0.3"], "10.0.0.0/8", "198.51.100.1"),  # two proxies
        ("203.0.113.9", ["198.51.100.1"], "10.0.0.0/8", "203.0.113.9"),  # the peer is no proxy
        ("10.0.0.2", ["garbage"], "10.0.0.0/8", "10.0.0.2"),
        ("::ffff:10.0.0.2", ["2001:db8::1"], "10.0.0.2", "2001:db8::1"),
        ("10.0.0.2", [], "10.0.0.0/8", "10.0.0.2"),
    ],
)
def test_client_address(peer: str, header: list[str], trusted: str, expected: str) -> None:
    assert resolve(peer, header, trusted) == expected


def test_affiliation_and_country_refuse_control_characters(ctx: Any, make: Any) -> None:
    """A right-to-left override in an affiliation would reverse the scoreboard row it sits on: the
    texts shown beside names are refused like names, with the characters named; nothing is stored."""
    user = make.user("aoi")
    team = make.team("Hiroshima")
    rlo = "Cyber\u202eselaW"
    for call in (
        lambda: accounts.update_user(ctx, user.id, {"affiliation": rlo}),
        lambda: accounts.update_user(ctx, user.id, {"country": "G\u200bB"}),
        lambda: teams.update_team(ctx, team.id, {"affiliation": rlo}, team.captain_id, True),
        lambda: teams.create_team(ctx, "Wales", None, affiliation=rlo),
        lambda: accounts.register_user(ctx, "ben", PASSWORD, affiliation=rlo),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert caught.value.code is ErrorCode.TEXT_CONTROL_CHARACTER
        assert "U+" in caught.value.params["chars"]
    with ctx.db.read() as s:
        assert s.get(t.User, user.id).affiliation == "" and s.get(t.Team, team.id).affiliation == ""
    accounts.update_user(ctx, user.id, {"affiliation": "広島大学 Cyber Lab", "country": "JP"})
    with ctx.db.read() as s:
        assert s.get(t.User, user.id).affiliation == "広島大学 Cyber Lab"
