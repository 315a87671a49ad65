"""Challenge and hint content per language through the API: resolved text for the negotiated
language, ``translations`` with every language, and create/update that accept ``translations``."""

from __future__ import annotations

from tests.conftest import auth

JA = {"Accept-Language": "ja"}


def _admin(make):
    return auth(make.token(make.admin()))


def _player(make):
    player, _team = make.player_in_team()
    return auth(make.token(player))


def _create(client, a, **extra):
    body = {"name": "Cookie Jar", "category": "web", "description": "Find the **cookie**.", "value": 100}
    body.update(extra)
    r = client.post("/api/v1/challenges", json=body, headers=a)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_translations_round_trip_and_negotiated_text(client, make):
    a = _admin(make)
    created = _create(
        client,
        a,
        locale="en",
        translations={
            "ja": {"name": "クッキー瓶", "description": "**クッキー**を探せ。", "category": "ウェブ"}
        },
    )
    assert created["name"] == "Cookie Jar" and created["locale"] == "en"
    assert created["translations"]["ja"] == {"name": "クッキー瓶", "description": "**クッキー**を探せ。"}
    cid = created["id"]
    admin_view = client.get(f"/api/v1/challenges/{cid}?view=admin", headers=a).json()["data"]
    assert admin_view["name"] == "Cookie Jar"  # stored text: what ctfcli matches names against
    assert admin_view["translations"]["ja"]["category"] == "ウェブ"
    p = _player(make)
    ja = client.get(f"/api/v1/challenges/{cid}", headers={**p, **JA}).json()["data"]
    assert (ja["name"], ja["category"]) == ("クッキー瓶", "ウェブ")
    assert "<strong>クッキー</strong>" in ja["html"]
    assert ja["translations"]["en"]["name"] == "Cookie Jar"
    assert ja["translations"]["ja"]["category"] == "ウェブ"
    en = client.get(f"/api/v1/challenges/{cid}?lang=en", headers=p).json()["data"]
    assert (en["name"], en["category"], en["description"]) == ("Cookie Jar", "web", "Find the **cookie**.")
    listed = client.get("/api/v1/challenges", headers={**p, **JA}).json()["data"]
    assert [(c["name"], c["category"]) for c in listed] == [("クッキー瓶", "ウェブ")]
    assert listed[0]["translations"]["en"] == {"name": "Cookie Jar", "category": "web"}


def test_a_missing_translation_falls_back_never_empty(client, make):
    a = _admin(make)
    cid = _create(client, a, translations={"ja": {"name": "クッキー瓶"}})["id"]
    ja = client.get(f"/api/v1/challenges/{cid}", headers={**_player(make), **JA}).json()["data"]
    assert ja["name"] == "クッキー瓶"
    assert ja["description"] == "Find the **cookie**."  # the English original, not ""


def test_update_merges_translations_and_empty_removes(client, make):
    a = _admin(make)
    cid = _create(client, a, translations={"ja": {"name": "旧名", "description": "説明"}})["id"]
    r = client.patch(f"/api/v1/challenges/{cid}", json={"translations": {"ja": {"name": "新名"}}}, headers=a)
    assert r.json()["data"]["translations"]["ja"] == {"name": "新名", "description": "説明"}
    r = client.patch(
        f"/api/v1/challenges/{cid}", json={"translations": {"ja": {"description": ""}}}, headers=a
    )
    assert r.json()["data"]["translations"]["ja"] == {"name": "新名"}
    # An entry for the challenge's own language writes its plain fields.
    r = client.patch(f"/api/v1/challenges/{cid}", json={"translations": {"en": {"name": "Jar"}}}, headers=a)
    assert r.json()["data"]["name"] == "Jar"


def test_changing_the_source_language_loses_nothing(client, make):
    a = _admin(make)
    cid = _create(client, a, translations={"ja": {"name": "クッキー瓶", "description": "探せ"}})["id"]
    data = client.patch(f"/api/v1/challenges/{cid}", json={"locale": "ja"}, headers=a).json()["data"]
    assert (data["locale"], data["name"], data["description"]) == ("ja", "クッキー瓶", "探せ")
    assert data["translations"]["en"] == {"name": "Cookie Jar", "description": "Find the **cookie**."}


def test_bad_translations_are_refused_in_the_readers_language_and_nothing_changes(client, make):
    a = _admin(make)
    cid = _create(client, a, translations={"ja": {"name": "クッキー瓶"}})["id"]
    for bad in (
        {"translations": {"ja": {"flag": "x"}}},
        {"translations": {"japanese!": {"name": "x"}}},
        {"translations": "ja"},
        {"locale": "EN"},
        {"translations": {"en": {"name": ""}}},  # the own-language name may not be emptied
    ):
        r = client.patch(f"/api/v1/challenges/{cid}", json={**bad, "value": 5}, headers={**a, **JA})
        assert r.status_code == 400, bad
        body = r.json()
        assert body["success"] is False and body["errors"]
        message = " ".join(str(v) for v in body["errors"].values())
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in message), message
    data = client.get(f"/api/v1/challenges/{cid}?view=admin", headers=a).json()["data"]
    assert (data["value"], data["name"], data["translations"]["ja"]["name"]) == (
        100,
        "Cookie Jar",
        "クッキー瓶",
    )


def test_hint_translations_by_position_wait_for_hints_created_later(client, make):
    """ctfcli creates the challenge (with extra.translations) before its hints."""
    a = _admin(make)
    hints_ja = [{"title": "場所", "content": "クッキーを見て"}, "二つ目"]
    cid = _create(client, a, translations={"ja": {"name": "瓶", "hints": hints_ja}})["id"]
    first = client.post(
        "/api/v1/hints", json={"challenge_id": cid, "content": "Look at cookies", "title": "Where"}, headers=a
    ).json()["data"]
    second = client.post(
        "/api/v1/hints", json={"challenge_id": cid, "content": "Second", "cost": 0}, headers=a
    ).json()["data"]
    assert first["translations"]["ja"] == {"title": "場所", "content": "クッキーを見て"}
    assert second["translations"]["ja"] == {"content": "二つ目"}
    # Each waiting translation is used once: a third hint gets none.
    third = client.post("/api/v1/hints", json={"challenge_id": cid, "content": "Third"}, headers=a).json()
    assert "ja" not in third["data"]["translations"]
    # Changing the challenge's hint translations updates the existing hints by position.
    client.patch(
        f"/api/v1/challenges/{cid}", json={"translations": {"ja": {"hints": ["一", "二", "三"]}}}, headers=a
    )
    rows = client.get(f"/api/v1/challenges/{cid}/hints", headers=a).json()["data"]
    assert [h["translations"]["ja"]["content"] for h in rows] == ["一", "二", "三"]


def test_players_see_hint_titles_in_every_language_but_no_content_before_unlocking(client, make):
    a = _admin(make)
    cid = _create(client, a)["id"]
    hint = client.post(
        "/api/v1/hints",
        json={
            "challenge_id": cid,
            "content": "secret",
            "title": "Where",
            "translations": {"ja": {"title": "場所", "content": "秘密"}},
        },
        headers=a,
    ).json()["data"]
    p = _player(make)
    view = client.get(f"/api/v1/hints/{hint['id']}", headers={**p, **JA}).json()["data"]
    assert view["title"] == "場所" and "content" not in view
    assert view["translations"] == {"en": {"title": "Where"}, "ja": {"title": "場所"}}
    detail = client.get(f"/api/v1/challenges/{cid}", headers={**p, **JA}).json()["data"]
    assert "秘密" not in str(detail) and "secret" not in str(detail)
    client.post("/api/v1/unlocks", json={"target": hint["id"], "type": "hints"}, headers=p)
    view = client.get(f"/api/v1/hints/{hint['id']}", headers={**p, **JA}).json()["data"]
    assert (view["title"], view["content"]) == ("場所", "秘密")
    assert view["translations"]["en"] == {"title": "Where", "content": "secret"}


def test_account_solve_lists_name_challenges_in_the_readers_language(client, make):
    a = _admin(make)
    cid = _create(client, a, translations={"ja": {"name": "クッキー瓶", "category": "ウェブ"}})["id"]
    client.post(
        "/api/v1/flags", json={"challenge_id": cid, "content": "flag{c}", "type": "static"}, headers=a
    )
    player, team = make.player_in_team()
    p = auth(make.token(player))
    client.post("/api/v1/challenges/attempt", json={"challenge_id": cid, "submission": "flag{c}"}, headers=p)
    for path in (f"/api/v1/teams/{team.id}/solves", "/api/v1/users/me/solves"):
        ja = client.get(path, headers={**p, **JA}).json()["data"][0]["challenge"]
        assert (ja["name"], ja["category"]) == ("クッキー瓶", "ウェブ"), path
        en = client.get(path, headers={**p, "Accept-Language": "en"}).json()["data"][0]["challenge"]
        assert (en["name"], en["category"]) == ("Cookie Jar", "web"), path


def test_a_locked_challenge_reveals_no_text_in_any_language(client, make):
    a = _admin(make)
    first = _create(client, a)["id"]
    locked = _create(
        client,
        a,
        name="Secret",
        category="vault",
        requirements={"prerequisites": [first], "anonymize": True},
        translations={"ja": {"name": "秘密の問題", "category": "秘密"}},
    )["id"]
    listed = client.get("/api/v1/challenges", headers={**_player(make), **JA}).json()["data"]
    entry = next(c for c in listed if c["id"] == locked)
    assert (entry["name"], entry["category"], entry["translations"]) == ("???", "???", {})
    assert "秘密" not in str(listed) and "Secret" not in str(listed) and "vault" not in str(listed)
