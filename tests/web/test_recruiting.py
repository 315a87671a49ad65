"""The recruiter view with consent: nothing about a player is exported without their consent to the
current text; withdrawing removes them from every later export; hidden and banned players never
appear; the CSV is escaped; every export is audited; only admins export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from kizuna.domain.consent import RECRUITING_CONSENT_VERSION
from kizuna.domain.events import Audience
from kizuna.services import recruiting
from kizuna.services.accounts import Principal
from kizuna.storage import tables as t
from kizuna.web import consent_text
from tests.conftest import auth, login, record_solve


def _rows(body: bytes) -> list[dict[str, str]]:
    text = body.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _consent(client: TestClient, name: str, agree: bool = True) -> Any:
    csrf = login(client, name)
    data = {"csrf_token": csrf, "version": RECRUITING_CONSENT_VERSION}
    if agree:
        data["agree"] = "yes"
    return client.post("/account/recruiting/consent", data=data, follow_redirects=False)


def _world(ctx: Any, make: Any) -> dict[str, Any]:
    alice, team = make.player_in_team('=HYPERLINK("http://evil.example")', "Red")
    bob, bob_team = make.player_in_team("bob", "Blue")
    carol, _ = make.player_in_team("carol", "Green")
    web = make.challenge(name="Cookie", category="web", value=100)
    crypto = make.challenge(name="Caesar", category="crypto", value=300)
    now = ctx.now()
    with ctx.write() as uow:
        record_solve(uow, web.id, alice, team.id, now - timedelta(minutes=3))
        record_solve(uow, crypto.id, alice, team.id, now - timedelta(minutes=2))
        record_solve(uow, web.id, bob, bob_team.id, now - timedelta(minutes=1))
        uow.emit(
            "track_completed",
            {"track_key": "web-basics", "user_id": alice.id},
            audience=Audience.ACCOUNT,
            account_id=team.id,
        )
        uow.emit(
            "badge_awarded",
            {"badge_key": "first-blood", "user_id": alice.id},
            audience=Audience.ACCOUNT,
            account_id=team.id,
        )
    with ctx.write() as uow:
        uow.session.get(t.Event, 1).two_factor_roles = []
        uow.session.get(t.User, alice.id).country = "JP"
        uow.session.get(t.User, alice.id).affiliation = "Hiroshima Univ."
    return {"alice": alice, "bob": bob, "carol": carol}


def _export(app: Any, make: Any) -> Any:
    admin = make.admin()
    client = TestClient(app)
    return client.get("/api/v1/recruiting/export", headers=auth(make.token(admin)))


def test_nothing_is_exported_without_consent(ctx, make, app) -> None:
    _world(ctx, make)
    r = _export(app, make)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert _rows(r.content) == []
    assert b"bob" not in r.content and b"HYPERLINK" not in r.content and b"web" not in r.content
    # A form sent without ticking the box is no consent.
    refused = _consent(TestClient(app), "bob", agree=False)
    assert refused.status_code == 303
    assert _rows(_export(app, make).content) == []


def test_consent_then_withdrawal(backend, ctx, make, app) -> None:
    w = _world(ctx, make)
    client = TestClient(app)
    assert _consent(client, w["alice"].name).status_code == 303
    assert _consent(TestClient(app), "bob").status_code == 303
    page = client.get("/account")
    assert "Withdraw consent" in page.text and RECRUITING_CONSENT_VERSION in page.text
    rows = _rows(_export(app, make).content)
    assert [r["name"] for r in rows] == ['\'=HYPERLINK("http://evil.example")', "bob"]  # escaped
    alice = rows[0]
    assert alice["country"] == "JP" and alice["affiliation"] == "Hiroshima Univ." and alice["team"] == "Red"
    assert (alice["web solved"], alice["web score"], alice["web share %"]) == ("1", "1", "100")
    assert (alice["crypto solved"], alice["crypto score"]) == ("1", "3")
    assert alice["tracks_completed"] == "web-basics" and alice["badges"] == "first-blood"
    assert "email" not in " ".join(rows[0]).lower()
    with ctx.db.read() as s:
        stored = s.query(t.RecruitingConsent).filter(t.RecruitingConsent.user_id == w["alice"].id).one()
        assert stored.version == RECRUITING_CONSENT_VERSION and stored.text_digest == consent_text.digest()
        assert stored.given_at is not None and stored.withdrawn_at is None
    csrf = login(client, w["alice"].name)
    out = client.post("/account/recruiting/withdraw", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    rows = _rows(_export(app, make).content)
    assert [r["name"] for r in rows] == ["bob"]
    with ctx.db.read() as s:
        stored = s.query(t.RecruitingConsent).filter(t.RecruitingConsent.user_id == w["alice"].id).one()
        assert stored.withdrawn_at is not None  # the record of what was agreed stays
    assert "Give consent" in client.get("/account").text


def test_hidden_banned_and_outdated_consents_are_not_exported(ctx, make, app) -> None:
    w = _world(ctx, make)
    for name in (w["alice"].name, "bob", "carol"):
        _consent(TestClient(app), name)
    with ctx.write() as uow:
        uow.session.get(t.User, w["alice"].id).hidden = True
        uow.session.get(t.User, w["bob"].id).banned = True
        row = (
            uow.session.query(t.RecruitingConsent).filter(t.RecruitingConsent.user_id == w["carol"].id).one()
        )
        row.version = "2020-01"  # agreed to an older text: asked again, not exported
    r = _export(app, make)
    assert _rows(r.content) == []
    assert recruiting.current_consent(ctx, w["carol"].id) is None


def test_exports_are_audited_and_admins_only(ctx, make, app) -> None:
    w = _world(ctx, make)
    _consent(TestClient(app), "bob")
    judge = make.user("judge1", role="judge")
    player = TestClient(app).get("/api/v1/recruiting/export", headers=auth(make.token(w["bob"])))
    assert player.status_code == 403
    assert (
        TestClient(app).get("/api/v1/recruiting/export", headers=auth(make.token(judge))).status_code == 403
    )
    assert _export(app, make).status_code == 200
    with ctx.db.read() as s:
        entries = s.query(t.AuditEntry).filter(t.AuditEntry.action == "recruiting.exported").all()
        assert len(entries) == 1 and entries[0].after["players"] == 1
    admin = make.admin("boss")
    client = TestClient(app)
    login(client, admin.name)
    page = client.get("/admin/recruiting")
    assert page.status_code == 200 and "bob" in page.text and "carol" not in page.text


def test_staff_cannot_consent(ctx, make) -> None:
    import pytest

    from kizuna.domain.errors import Forbidden

    admin = make.admin()
    with pytest.raises(Forbidden):
        recruiting.give_consent(ctx, Principal.of(admin), RECRUITING_CONSENT_VERSION, "x", "en")


def test_the_consent_text_is_in_both_languages_and_names_what_it_must() -> None:
    en, ja = (" ".join(consent_text.texts_in(code)) for code in ("en", "ja"))
    for word in (
        "UK GDPR",
        "APPI",
        "12 months",
        "withdraw",
        "partner employers",
        "affiliation",
        "skill profile",
    ):
        assert word in en
    for word in ("英国 GDPR", "個人情報保護法", "12 か月", "撤回", "提携企業", "所属", "スキルプロファイル"):
        assert word in ja
