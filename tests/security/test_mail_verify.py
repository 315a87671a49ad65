"""E-mail verification with a per-event domain allow-list, and registration that gives no address
away, with a real SMTP server on loopback (``aiosmtpd``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from kizuna.domain.email_domains import domain_allowed, normalise_domains
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.services import accounts, hints, teams
from kizuna.services.accounts import Principal
from kizuna.storage import repo
from kizuna.storage import tables as t
from tests.conftest import PASSWORD, _csrf_from, auth, login
from tests.security.mail_server import PUBLIC_URL, body, browse, link_in, mail_app, smtp

__all__ = ["smtp"]  # the fixture, used by name


# --- the allow-list ---------------------------------------------------------------------------------


def test_domains_are_normalised_to_lower_case_idna() -> None:
    assert normalise_domains(["Example.AC.JP", "@cyberwales.org.", "例え.jp", "example.ac.jp"]) == [
        "example.ac.jp",
        "cyberwales.org",
        "xn--r8jz45g.jp",
    ]
    assert normalise_domains("a.example\nb.example, c.example") == ["a.example", "b.example", "c.example"]
    assert normalise_domains([]) is None


@pytest.mark.parametrize(
    "bad", ["localhost", "bad..example", "-bad.example", "exa mple.org", "1.2.3.4", "a" * 64 + ".org"]
)
def test_invalid_domains_are_refused_with_a_message(bad: str) -> None:
    with pytest.raises(DomainError) as caught:
        normalise_domains([bad])
    assert caught.value.code is ErrorCode.EMAIL_DOMAIN_INVALID


def test_subdomains_match_but_look_alikes_do_not() -> None:
    allowed = ["example.ac.jp", "xn--r8jz45g.jp"]
    assert domain_allowed("a@example.ac.jp", allowed)
    assert domain_allowed("a@CS.Example.ac.jp", allowed)  # a department of the same organisation
    assert domain_allowed("a@例え.jp", allowed)
    assert not domain_allowed("a@badexample.ac.jp", allowed)
    assert not domain_allowed("a@example.ac.jp.evil.test", allowed)
    assert not domain_allowed("a@gmail.com", allowed)
    assert domain_allowed("a@anything.test", None)


# --- through the app ----------------------------------------------------------------------------------


@pytest.fixture
def mailer_app(settings_and_ctx: Any, smtp: Any) -> Any:
    _inbox, port = smtp
    return mail_app(settings_and_ctx, port)


def _admin_headers(make: Any) -> dict[str, str]:
    return auth(make.token(make.admin()))


def _turn_on(client: TestClient, make: Any, **extra: Any) -> Any:
    payload = {"email_verification": True, "email_domains": ["Example.AC.JP", "例え.jp"], **extra}
    return client.patch("/api/v1/event", json=payload, headers=_admin_headers(make))


def register(client: TestClient, name: str, email: str) -> Any:
    csrf = _csrf_from(client.get("/register").text)
    data = {"name": name, "email": email, "password": PASSWORD, "confirm": PASSWORD, "csrf_token": csrf}
    return client.post("/register", data=data, follow_redirects=False)


def _user(ctx: Any, name: str) -> t.User | None:
    with ctx.db.read() as s:
        return s.query(t.User).filter_by(name=name).one_or_none()


def _attempt(client: TestClient, token: str, challenge_id: int, lang: str = "en") -> Any:
    return client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": challenge_id, "submission": "flag{test}"},
        headers={**auth(token), "Accept-Language": lang},
    )


def test_settings_are_validated_normalised_and_audited(ctx: Any, make: Any, mailer_app: Any) -> None:
    with browse(mailer_app) as client:
        r = _turn_on(client, make)
        assert r.status_code == 200, r.text
        assert r.json()["data"]["email_domains"] == ["example.ac.jp", "xn--r8jz45g.jp"]
        assert r.json()["data"]["email_verification"] is True
        bad = client.patch(
            "/api/v1/event", json={"email_domains": ["ok.example", "bad..x"]}, headers=_admin_headers(make)
        )
        assert bad.status_code == 400 and "bad..x is not a valid e-mail domain" in bad.text
    with ctx.db.read() as s:
        ev = repo.event(s)
        assert ev.email_domains == ["example.ac.jp", "xn--r8jz45g.jp"]  # the bad list changed nothing
        entry = s.query(t.AuditEntry).filter_by(action="event.settings_changed").one()
        assert entry.after == {
            "email_verification": True,
            "email_domains": ["example.ac.jp", "xn--r8jz45g.jp"],
        }


def test_the_admin_page_shows_both_settings(make: Any, mailer_app: Any) -> None:
    make.admin("boss")
    with browse(mailer_app) as client:
        login(client, "boss")
        page = client.get("/admin/event").text
    assert 'name="email_verification"' in page and 'name="email_domains"' in page


def test_verification_flow(backend: str, ctx: Any, make: Any, mailer_app: Any, smtp: Any) -> None:
    inbox, _port = smtp
    ch = make.challenge()
    hint_row = _hint(ctx, ch.id)
    with browse(mailer_app) as client:
        assert _turn_on(client, make, mode="users").status_code == 200

        # A domain outside the list is refused, with the list.
        r = register(client, "outsider", "me@gmail.com")
        assert r.status_code == 400
        assert "accepts e-mail addresses from these domains only: example.ac.jp" in r.text
        assert _user(ctx, "outsider") is None

        # A subdomain registers; the answer is "check your mail", nobody is signed in yet.
        r = register(client, "kenji", "kenji@cs.example.ac.jp")
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert "Check your e-mail" in client.get("/login").text
        [mail] = inbox.wait_for("kenji@cs.example.ac.jp")
        link = link_in(mail)
        assert link.startswith(f"{PUBLIC_URL}/email/verify?token=")
        user = _user(ctx, "kenji")
        assert user is not None and user.email_verified_at is None

        # Signed in but not verified: no playing, a clear message (API 403 in the reader's language).
        login(client, "kenji")
        assert "Verify your e-mail address to play" in client.get("/challenges").text
        token = make.token(user)
        refused = _attempt(client, token, ch.id)
        assert refused.status_code == 403 and "Verify your e-mail address first" in refused.json()["message"]
        assert "メールアドレスを確認" in _attempt(client, token, ch.id, "ja").json()["message"]
        with pytest.raises(DomainError) as caught:
            hints.unlock_hint(ctx, Principal.of(user), hint_row)
        assert caught.value.code is ErrorCode.EMAIL_UNVERIFIED
        with ctx.db.read() as s:
            assert s.query(t.Submission).count() == 0

        # The link: opening it changes nothing; the button verifies (once).
        parts = urlsplit(link)
        page = client.get(f"{parts.path}?{parts.query}", follow_redirects=True)
        assert page.status_code == 200 and "token" not in str(page.url)
        assert _user(ctx, "kenji").email_verified_at is None  # type: ignore[union-attr]
        csrf = _csrf_from(page.text)
        done = client.post("/email/verify", data={"csrf_token": csrf}, follow_redirects=True)
        assert "Your e-mail address is verified" in done.text
        assert _user(ctx, "kenji").email_verified_at is not None  # type: ignore[union-attr]
        assert _attempt(client, token, ch.id).json()["data"]["status"] == "correct"
        again = client.get(f"{parts.path}?{parts.query}", follow_redirects=True)
        assert again.status_code == 400
        with ctx.db.read() as s:
            assert s.query(t.AuditEntry).filter_by(action="account.email_verified").count() == 1


def _hint(ctx: Any, challenge_id: int) -> int:
    from kizuna.services import content

    return int(content.create_hint(ctx, challenge_id, "look", 0).id)


def test_unverified_players_cannot_make_or_join_teams(
    ctx: Any, make: Any, mailer_app: Any, smtp: Any
) -> None:
    with browse(mailer_app) as client:
        _turn_on(client, make)
        register(client, "solo", "solo@example.ac.jp")
    user = _user(ctx, "solo")
    assert user is not None
    other = make.team()
    for attempt in (
        lambda: teams.create_team(ctx, "mine", user.id),
        lambda: teams.join_team(ctx, user.id, other.invite_code),
    ):
        with pytest.raises(DomainError) as caught:
            attempt()
        assert caught.value.code is ErrorCode.EMAIL_UNVERIFIED


def test_an_address_in_use_answers_like_a_success_and_tells_its_owner(
    backend: str, ctx: Any, make: Any, mailer_app: Any, smtp: Any
) -> None:
    inbox, _port = smtp
    owner = make.user("owner", email="owner@example.ac.jp")
    accounts.update_user(ctx, owner.id, {"locale": "ja"})
    with browse(mailer_app) as client:
        _turn_on(client, make)
        fresh = register(client, "newcomer", "newcomer@example.ac.jp")
        fresh_page = client.get("/login").text
        taken = register(client, "intruder", "Owner@example.ac.jp")
        taken_page = client.get("/login").text
    assert (fresh.status_code, fresh.headers["location"]) == (taken.status_code, taken.headers["location"])
    assert fresh_page == taken_page
    assert _user(ctx, "intruder") is None
    [notice] = inbox.wait_for("owner@example.ac.jp")
    assert "新規登録" in notice["Subject"]  # the owner reads Japanese
    assert "/email/verify" not in body(notice) and f"{PUBLIC_URL}/password/forgot" in body(notice)
    assert "/email/verify?token=" in body(inbox.wait_for("newcomer@example.ac.jp")[0])


def test_changing_the_address_voids_the_link(ctx: Any, make: Any, mailer_app: Any, smtp: Any) -> None:
    inbox, _port = smtp
    with browse(mailer_app) as client:
        _turn_on(client, make)
        register(client, "mover", "mover@example.ac.jp")
        link = link_in(inbox.wait_for("mover@example.ac.jp")[0])
        user = _user(ctx, "mover")
        assert user is not None
        accounts.update_user(ctx, user.id, {"email": "elsewhere@example.ac.jp"})
        parts = urlsplit(link)
        assert client.get(f"{parts.path}?{parts.query}", follow_redirects=True).status_code == 400
    assert _user(ctx, "mover").email_verified_at is None  # type: ignore[union-attr]


def test_asking_for_a_new_link_is_limited(ctx: Any, make: Any, mailer_app: Any, smtp: Any) -> None:
    inbox, _port = smtp
    with browse(mailer_app) as client:
        _turn_on(client, make)
        register(client, "eager", "eager@example.ac.jp")
        login(client, "eager")
        codes = []
        for _ in range(4):
            csrf = _csrf_from(client.get("/challenges").text)
            codes.append(
                client.post("/email/verify/resend", data={"csrf_token": csrf}, follow_redirects=False)
            )
    assert [r.status_code for r in codes] == [303, 303, 303, 429]
    assert "Retry-After" in codes[3].headers
    mails = inbox.wait_for("eager@example.ac.jp", 4)
    links = [link_in(m) for m in mails]
    assert len(set(links)) == 4
    with ctx.db.read() as s:  # only the newest link still works
        live = s.query(t.AccountToken).filter_by(purpose="verify", used_at=None).count()
    assert live == 1


def test_with_mail_off_verification_cannot_be_turned_on(client: TestClient, make: Any) -> None:
    r = client.patch("/api/v1/event", json={"email_verification": True}, headers=_admin_headers(make))
    assert r.status_code == 400 and "cannot send e-mail" in r.text
    r = client.patch(
        "/api/v1/event",
        json={"email_verification": True},
        headers={**_admin_headers(make), "Accept-Language": "ja"},
    )
    assert "メールを送信できません" in r.text
    make.admin("boss")
    login(client, "boss")
    assert "KIZUNA_SMTP_HOST" in client.get("/admin/event").text
