"""Certificates (修了証): who earns one, the PDF's text layer in both languages, verification of a
real, an altered, a forged and a revoked code, and who may download or revoke."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from kizuna.domain.certificates import ALPHABET, check_symbol, read_code, show_code
from kizuna.domain.errors import DomainError
from kizuna.domain.events import Audience
from kizuna.services import certificates, event, tracks
from kizuna.services.accounts import Principal
from kizuna.storage import tables as t
from kizuna.web import certificate_pdf
from tests.conftest import auth, login, record_solve

TITLES = {"en": "Web basics", "ja": "ウェブの基礎"}


def _ended_event(ctx: Any) -> None:
    now = ctx.now()
    event.update_event(
        ctx,
        {
            "name": "Joint CTF",
            "translations": {"ja": {"name": "日英合同CTF"}},
            "start_at": (now - timedelta(hours=5)).isoformat(),
            "end_at": (now - timedelta(hours=1)).isoformat(),
        },
    )


def _world(ctx: Any, make: Any) -> dict[str, Any]:
    taro, team = make.player_in_team("山田太郎", "Red Dragons")
    other, other_team = make.player_in_team("bystander", "Blue")
    idle, _idle_team = make.player_in_team("idle", "Green")
    ch = make.challenge(name="Cookie", category="web", value=100)
    ch2 = make.challenge(name="Caesar", category="crypto", value=200)
    now = ctx.now()
    with ctx.write() as uow:
        record_solve(uow, ch.id, taro, team.id, now - timedelta(hours=3))
        record_solve(uow, ch2.id, other, other_team.id, now - timedelta(hours=3))
        record_solve(uow, ch.id, other, other_team.id, now - timedelta(hours=2))
        uow.emit(
            "track_completed",
            {"track_key": "web-basics", "user_id": taro.id},
            audience=Audience.ACCOUNT,
            account_id=team.id,
        )
    return {"taro": taro, "team": team, "other": other, "idle": idle}


def _pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_the_event_certificate_after_the_end_with_rank_idempotent(backend, ctx, make, client) -> None:
    w = _world(ctx, make)
    token = make.token(w["taro"])
    ask = {"kind": "event", "subject": "event"}
    early = client.post("/api/v1/certificates", json=ask, headers=auth(token))
    assert early.status_code == 403  # the event has not ended
    _ended_event(ctx)
    first = client.post("/api/v1/certificates", json=ask, headers=auth(token))
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert data["name"] == "山田太郎" and data["team"] == "Red Dragons"
    assert (data["rank"], data["ranked"]) == (2, 2)  # Blue scored 300, Red 100
    assert data["titles"] == {"en": "Joint CTF", "ja": "日英合同CTF"}
    again = client.post("/api/v1/certificates", json=ask, headers=auth(token))
    assert again.json()["data"]["code"] == data["code"]  # one per user and subject
    with ctx.db.read() as s:
        assert s.query(t.Certificate).count() == 1
    idle = client.post("/api/v1/certificates", json=ask, headers=auth(make.token(w["idle"])))
    assert idle.status_code == 403  # neither solved nor scored


def test_the_track_certificate_needs_the_completion_in_the_event_log(backend, ctx, make) -> None:
    w = _world(ctx, make)
    taro, other = Principal.of(w["taro"]), Principal.of(w["other"])
    cert = certificates.issue(ctx, taro, "track", "web-basics", TITLES)
    assert cert.titles == TITLES and cert.rank is None
    with pytest.raises(DomainError) as refused:
        certificates.issue(ctx, other, "track", "web-basics", TITLES)
    assert refused.value.code.value == "certificate_not_earned"
    with pytest.raises(DomainError):
        certificates.issue(ctx, taro, "track", "crypto-101", TITLES)
    with pytest.raises(DomainError):
        certificates.issue(ctx, taro, "track", "web-basics", {})  # titles must be given
    staff = make.admin()
    with pytest.raises(DomainError):
        certificates.issue(ctx, Principal.of(staff), "event", "event")


def test_the_pdf_text_layer_holds_both_languages_and_the_name_in_japanese(ctx, make, client) -> None:
    if certificate_pdf.font_files() is None:
        pytest.fail("the certificate font is not installed: run make install")
    w = _world(ctx, make)
    _ended_event(ctx)
    cert = certificates.issue(ctx, Principal.of(w["taro"]), "event", "event")
    track = certificates.issue(ctx, Principal.of(w["taro"]), "track", "web-basics", TITLES)
    login(client, "山田太郎")
    r = client.get(f"/certificates/{show_code(cert.code)}.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = _pdf_text(r.content)
    for expected in (
        "Certificate of Participation",
        "参加証明書",
        "山田太郎",
        "Joint CTF",
        "日英合同CTF",
        "Final rank: 2 of 2",
        "最終順位",
        "Red Dragons",
        show_code(cert.code),
        f"/verify/{show_code(cert.code)}",
    ):
        assert expected in text, (expected, text)
    text = _pdf_text(client.get(f"/certificates/{show_code(track.code)}.pdf").content)
    for expected in ("Certificate of Completion", "修了証", "Web basics", "ウェブの基礎", "山田太郎"):
        assert expected in text, (expected, text)
    assert "Final rank" not in text


def test_the_date_is_in_the_players_zone(ctx, make) -> None:
    w = _world(ctx, make)
    cert = certificates.issue(ctx, Principal.of(w["taro"]), "track", "web-basics", TITLES)
    late = certificates.CertificateView(
        **{**cert.__dict__, "issued_at": cert.issued_at.replace(hour=20, minute=0)}
    )
    london = certificate_pdf.lines(late, "en", "Europe/London", "https://x/verify")
    tokyo = certificate_pdf.lines(late, "ja", "Asia/Tokyo", "https://x/verify")
    day = late.issued_at.day
    assert str(day) in london.issued
    assert f"{(late.issued_at + timedelta(hours=9)).day}日" in tokyo.issued


def test_verification_of_real_altered_forged_and_revoked_codes(ctx, make, client) -> None:
    w = _world(ctx, make)
    cert = certificates.issue(ctx, Principal.of(w["taro"]), "track", "web-basics", TITLES)
    shown = show_code(cert.code)
    ok = client.get(f"/api/v1/certificates/{shown}")
    assert ok.status_code == 200 and ok.json()["data"]["valid"] is True
    assert ok.json()["data"]["name"] == "山田太郎" and "pdf_url" not in ok.json()["data"]
    page = client.get(f"/verify/{shown}?lang=ja")
    assert page.status_code == 200 and "山田太郎" in page.text and "有効な証明書" in page.text
    assert client.get(f"/verify?code={cert.code.lower()}", follow_redirects=False).status_code == 303
    # One symbol changed: the check symbol refuses it before any lookup.
    swap = ALPHABET[(ALPHABET.index(cert.code[0]) + 1) % len(ALPHABET)]
    altered = swap + cert.code[1:]
    assert read_code(altered) is None
    # A well-formed code with a right check symbol that was never issued.
    body = "0" * 11 + ("1" if cert.code[:12] != "0" * 11 + "1" else "2")
    forged = body + check_symbol(body)
    missing = client.get("/api/v1/certificates/987654")
    for code in (altered, forged):
        r = client.get(f"/api/v1/certificates/{code}")
        assert r.status_code == 404 and r.json() == missing.json()
        p = client.get(f"/verify/{code}")
        assert p.status_code == 404 and "Not a valid certificate" in p.text and "山田太郎" not in p.text
    admin = make.admin()
    revoked = client.post(f"/api/v1/certificates/{shown}/revoke", headers=auth(make.token(admin)))
    assert revoked.status_code == 200
    r = client.get(f"/api/v1/certificates/{shown}")
    assert r.status_code == 404 and r.json() == missing.json()
    assert "山田太郎" not in client.get(f"/verify/{shown}").text
    with ctx.db.read() as s:
        entry = s.query(t.AuditEntry).filter(t.AuditEntry.action == "certificate.revoked").one()
        assert entry.target_id == cert.code and entry.actor_id == admin.id


def test_a_banned_players_certificate_no_longer_verifies(ctx, make, client) -> None:
    w = _world(ctx, make)
    cert = certificates.issue(ctx, Principal.of(w["taro"]), "track", "web-basics", TITLES)
    with ctx.write() as uow:
        uow.session.get(t.User, w["taro"].id).banned = True
    assert client.get(f"/api/v1/certificates/{cert.code}").status_code == 404


def test_only_the_owner_and_admins_download_and_only_admins_revoke(ctx, make, client, app) -> None:
    from fastapi.testclient import TestClient

    w = _world(ctx, make)
    cert = certificates.issue(ctx, Principal.of(w["taro"]), "track", "web-basics", TITLES)
    url = f"/certificates/{show_code(cert.code)}.pdf"
    assert client.get(url, follow_redirects=False).status_code in (302, 303)  # to the log-in form
    login(client, "bystander")
    assert client.get(url).status_code == 404
    assert client.get("/certificates/0000-0000-0000-0.pdf").status_code == 404
    player = client.post(f"/api/v1/certificates/{cert.code}/revoke", headers=auth(make.token(w["other"])))
    assert player.status_code == 403
    judge = make.user("judge1", role="judge")
    assert (
        client.post(f"/api/v1/certificates/{cert.code}/revoke", headers=auth(make.token(judge))).status_code
        == 403
    )
    admin_client = TestClient(app)
    admin = make.admin("boss")
    with ctx.write() as uow:
        uow.session.get(t.Event, 1).two_factor_roles = []
    login(admin_client, admin.name)
    assert admin_client.get(url).status_code == 200
    listing = admin_client.get("/admin/certificates")
    assert listing.status_code == 200 and show_code(cert.code) in listing.text
    owner = TestClient(app)
    login(owner, "山田太郎")
    mine = owner.get("/account/certificates")
    assert mine.status_code == 200 and show_code(cert.code) in mine.text


def test_the_player_asks_on_the_certificates_page(ctx, make, client, app) -> None:
    _world(ctx, make)
    _ended_event(ctx)
    # The shipped web-basics track, as `kizuna demo` stores it: its titles come from the tracks.
    tracks.import_tracks(ctx, Path(tracks.__file__).resolve().parents[1] / "demo" / "tracks" / "web-basics")
    csrf = login(client, "山田太郎")
    page = client.get("/account/certificates")
    assert "Participation in Joint CTF" in page.text and "Learning track: Web basics" in page.text
    ja_page = client.get("/account/certificates", headers={"Accept-Language": "ja"}).text
    assert "Web の基礎" in ja_page
    r = client.post(
        "/account/certificates",
        data={"kind": "track", "subject": "web-basics", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = client.get("/account/certificates")
    assert "Your certificate is ready" in after.text and "Learning track: Web basics" not in after.text
    refused = client.post(
        "/account/certificates", data={"kind": "track", "subject": "unknown", "csrf_token": csrf}
    )
    assert refused.status_code == 403


def test_a_missing_font_is_reported_by_the_doctor_and_the_download(ctx, make, client, monkeypatch) -> None:
    from kizuna.cli import doctor_messages
    from kizuna.i18n import current_locale
    from kizuna.services import doctor

    monkeypatch.setattr(doctor, "certificate_fonts", lambda: None)
    report = doctor.examine(ctx)
    missing = [p for p in report.problems if p.kind == "certificate_font_missing"]
    assert len(missing) == 1
    token = current_locale.set("ja")
    try:
        assert "make install" in doctor_messages.sentence(missing[0])
        assert "フォント" in doctor_messages.sentence(missing[0])
    finally:
        current_locale.reset(token)
    monkeypatch.setattr(certificate_pdf, "certificate_fonts", lambda _dir: None)
    w = _world(ctx, make)
    cert = certificates.issue(ctx, Principal.of(w["taro"]), "track", "web-basics", TITLES)
    login(client, "山田太郎")
    r = client.get(f"/certificates/{cert.code}.pdf")
    assert r.status_code == 503 and "make install" in r.text


def test_the_name_in_two_scripts_is_printed_verified_and_listed(ctx, make, client) -> None:
    if certificate_pdf.font_files() is None:
        pytest.fail("the certificate font is not installed: run make install")
    w = _world(ctx, make)
    token = make.token(w["taro"])
    ask = {"kind": "track", "subject": "web-basics", "name": " Taro  Yamada ", "name_other": "山田太郎"}
    # The shipped web-basics track, as `kizuna demo` stores it: its titles come from the tracks.
    tracks.import_tracks(ctx, Path(tracks.__file__).resolve().parents[1] / "demo" / "tracks" / "web-basics")
    r = client.post("/api/v1/certificates", json=ask, headers=auth(token))
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["name"], data["name_other"]) == ("Taro Yamada", "山田太郎")
    # Asking again with other names gives back the same certificate, unchanged.
    again = client.post(
        "/api/v1/certificates",
        json={**ask, "name": "Someone Else", "name_other": None},
        headers=auth(token),
    ).json()["data"]
    assert (again["code"], again["name"], again["name_other"]) == (data["code"], "Taro Yamada", "山田太郎")
    code = data["code"]
    checked = client.get(f"/api/v1/certificates/{code}").json()["data"]
    assert (checked["name"], checked["name_other"]) == ("Taro Yamada", "山田太郎")
    page = client.get(f"/verify/{code}")
    assert "Taro Yamada" in page.text and "山田太郎" in page.text and "Name in another script" in page.text
    login(client, "山田太郎")
    text = _pdf_text(client.get(f"/certificates/{code}.pdf").content)
    for expected in ("Taro Yamada", "山田太郎", "Certificate of Completion", "修了証", "Web の基礎"):
        assert expected in text, (expected, text)
    assert text.index("Taro Yamada") < text.index("山田太郎")  # the main name first, the other beneath
    listing = client.get("/account/certificates").text
    assert "Taro Yamada" in listing and "山田太郎" in listing
    from fastapi.testclient import TestClient

    staff = TestClient(client.app)
    admin = make.admin()
    with ctx.write() as uow:
        uow.session.get(t.Event, 1).two_factor_roles = []
    login(staff, admin.name)
    issued = staff.get("/admin/certificates").text
    assert "Taro Yamada · 山田太郎" in issued and "account: 山田太郎" in issued
    # Without names: the account's name alone, and no second one anywhere.
    _ended_event(ctx)
    event_ask = {"kind": "event", "subject": "event"}
    plain = client.post("/api/v1/certificates", json=event_ask, headers=auth(token))
    assert plain.json()["data"]["name"] == "山田太郎" and plain.json()["data"]["name_other"] is None


def test_names_that_cannot_be_printed_are_refused_in_the_readers_language(ctx, make, client) -> None:
    w = _world(ctx, make)
    _ended_event(ctx)
    token = make.token(w["taro"])
    ask = {"kind": "event", "subject": "event"}
    cases = [
        ({"name": "x" * 129}, "name", "128"),
        ({"name_other": "Taro\u202eYamada"}, "name_other", "U+202E"),
        ({"name": "Taro", "name_other": "ＴＡＲＯ"}, "name_other", "山田太郎"),
        ({"name_other": "山田太郎"}, "name_other", "山田太郎"),  # the account's name, repeated
        ({"name": 12}, "name", ""),
    ]
    for extra, field, shown in cases:
        r = client.post(
            "/api/v1/certificates", json={**ask, **extra}, headers={**auth(token), "Accept-Language": "ja"}
        )
        assert r.status_code == 400, (extra, r.text)
        message = r.json()["errors"][field][0]
        assert shown in message and any("\u3040" <= ch <= "\u30ff" for ch in message), message
    with ctx.db.read() as s:
        assert s.query(t.Certificate).count() == 0  # nothing was issued
    english = client.post(
        "/api/v1/certificates", json={**ask, "name": "Taro", "name_other": "taro"}, headers=auth(token)
    )
    assert "The second name is the same as the first" in english.json()["errors"]["name_other"][0]


def test_the_page_form_prefills_the_account_name_and_escapes_names(ctx, make, client) -> None:
    _world(ctx, make)
    _ended_event(ctx)
    csrf = login(client, "山田太郎")
    page = client.get("/account/certificates").text
    assert 'name="name" type="text"' in page and 'value="山田太郎"' in page and 'name="name_other"' in page
    bad = {"kind": "event", "subject": "event", "name": "Taro", "name_other": "TARO", "csrf_token": csrf}
    refused = client.post("/account/certificates", data=bad, headers={"Accept-Language": "ja"})
    assert refused.status_code == 400
    assert 'value="TARO"' in refused.text and 'aria-invalid="true"' in refused.text  # typed kept
    assert "山田太郎" in refused.text and "Taro Yamada" in refused.text  # the message's example
    hostile = "<script>alert(1)</script>"
    r = client.post(
        "/account/certificates",
        data={**bad, "name": hostile, "name_other": "山田太郎"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with ctx.db.read() as s:
        cert = s.query(t.Certificate).one()
        assert (cert.name, cert.name_other) == (hostile, "山田太郎")
    for url in (f"/verify/{show_code(cert.code)}", "/account/certificates"):
        text = client.get(url).text
        assert hostile not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text, url


def test_a_name_the_font_cannot_draw_is_refused_not_printed_with_letters_missing(ctx, make, client) -> None:
    if certificate_pdf.font_files() is None:
        pytest.fail("the certificate font is not installed: run make install")
    w = _world(ctx, make)
    _ended_event(ctx)
    token = make.token(w["taro"])
    ask = {"kind": "event", "subject": "event", "name": "Taro Yamada"}
    r = client.post("/api/v1/certificates", json={**ask, "name_other": "محمد"}, headers=auth(token))
    assert r.status_code == 400
    assert "U+0645" in r.json()["errors"]["name_other"][0]
    # The account's name, printed by default, is checked too: the player is asked to type one.
    with ctx.write() as uow:
        uow.session.get(t.User, w["taro"].id).name = "Taro 🚀"
    with pytest.raises(DomainError) as refused:
        certificates.issue(ctx, Principal.of(w["taro"]), "event", "event")
    assert (refused.value.code.value, refused.value.field) == ("certificate_name_unprintable", "name")
    with ctx.db.read() as s:
        assert s.query(t.Certificate).count() == 0
    cert = certificates.issue(ctx, Principal.of(w["taro"]), "event", "event", name="Taro", name_other="太郎")
    assert (cert.name, cert.name_other) == ("Taro", "太郎")
