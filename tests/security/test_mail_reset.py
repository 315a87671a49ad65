"""Password reset by e-mail, end to end through the pages, with a real SMTP server on loopback
(``aiosmtpd``): the mail is in the recipient's language, the link is built from the public URL only,
works once, expires, ends the account's sessions; an unknown address gets the same answer and no
mail; with mail off the page says to ask an organiser."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from kizuna.services import accounts
from kizuna.storage import tables as t
from kizuna.web.app import create_app
from tests.conftest import PASSWORD, _csrf_from, login
from tests.security.mail_server import PUBLIC_URL, body, browse, link_in, mail_app, smtp

__all__ = ["smtp"]  # the fixture, used by name

NEW_PASSWORD = "a-brand-new-passphrase"


def _csrf(client: TestClient, path: str = "/password/forgot") -> str:
    return _csrf_from(client.get(path).text)


def ask_reset(client: TestClient, email: str, **headers: str) -> Any:
    csrf = _csrf(client)
    return client.post(
        "/password/forgot",
        data={"email": email, "csrf_token": csrf},
        headers=headers or None,
        follow_redirects=False,
    )


def open_link(client: TestClient, link: str) -> Any:
    """What a browser does with the mailed link: only its path and query go to our server."""
    parts = urlsplit(link)
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=True)


def set_password(client: TestClient, password: str = NEW_PASSWORD) -> Any:
    csrf = _csrf(client, "/password/reset")
    return client.post(
        "/password/reset",
        data={"password": password, "confirm": password, "csrf_token": csrf},
        follow_redirects=False,
    )


@pytest.fixture
def mailer_app(settings_and_ctx: Any, smtp: Any) -> Any:
    _inbox, port = smtp
    return mail_app(settings_and_ctx, port)


def test_reset_end_to_end_in_the_readers_language(
    backend: str, ctx: Any, make: Any, mailer_app: Any, smtp: Any
) -> None:
    inbox, _port = smtp
    user = make.user("hanako", email="hanako@example.jp")
    accounts.update_user(ctx, user.id, {"locale": "ja"})
    with browse(mailer_app) as old, browse(mailer_app) as browser, browse(mailer_app) as later:
        login(old, "hanako")
        assert old.get("/account", follow_redirects=False).status_code == 200

        # The request names a hostile Host (and a forwarded one): the link ignores both.
        answer = ask_reset(
            browser, "hanako@example.jp", host="evil.example", **{"x-forwarded-host": "evil.example"}
        )
        assert answer.status_code == 303
        [mail] = inbox.wait_for("hanako@example.jp")
        assert "パスワード再設定" in mail["Subject"]  # the account reads Japanese
        assert "次のリンクを開いてください" in body(mail)
        assert mail["Content-Language"] == "ja"
        link = link_in(mail)
        assert link.startswith(f"{PUBLIC_URL}/password/reset?token=")
        assert "evil.example" not in body(mail)

        # Only the token's SHA-256 is stored.
        token = urlsplit(link).query.removeprefix("token=")
        with ctx.db.read() as s:
            rows = s.query(t.AccountToken).filter_by(user_id=user.id, purpose="reset").all()
        assert [r.digest for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
        assert rows[0].expires_at - rows[0].created_at == timedelta(minutes=30)

        # Opening the link moves the token out of the address bar, then the form sets the password.
        page = open_link(browser, link)
        assert page.status_code == 200 and str(page.url).endswith("/password/reset")
        assert "token" not in str(page.url)
        assert page.headers["cache-control"] == "no-store"
        done = set_password(browser)
        assert done.status_code == 303 and done.headers["location"] == "/login"

        # The old session has ended; the new password works, the old one does not.
        assert old.get("/account", follow_redirects=False).status_code in (302, 303)
        login(later, "hanako", NEW_PASSWORD)
        with ctx.db.read() as s:
            audit = s.query(t.AuditEntry).filter_by(action="account.password_reset").one()
            assert audit.target_id == str(user.id) and NEW_PASSWORD not in str(audit.after)

    # Used once: the same link again is refused, neutrally.
    with browse(mailer_app) as again:
        page = open_link(again, link)
        assert page.status_code == 400
        assert 'action="/password/reset"' not in page.text


def test_an_expired_link_is_refused(ctx: Any, make: Any, mailer_app: Any, smtp: Any) -> None:
    inbox, _port = smtp
    make.user("late", email="late@example.org")
    start = ctx.now()
    ctx.now = lambda: start
    with browse(mailer_app) as browser:
        ask_reset(browser, "late@example.org")
        link = link_in(inbox.wait_for("late@example.org")[0])
        ctx.now = lambda: start + timedelta(minutes=29)
        assert open_link(browser, link).status_code == 200  # still good
        ctx.now = lambda: start + timedelta(minutes=31)
        assert open_link(browser, link).status_code == 400
        assert set_password(browser).status_code == 400
    login(browse(mailer_app), "late", PASSWORD)  # unchanged


def test_a_newer_link_voids_the_older_once_used(ctx: Any, make: Any, mailer_app: Any, smtp: Any) -> None:
    inbox, _port = smtp
    make.user("twice", email="twice@example.org")
    with browse(mailer_app) as browser:
        ask_reset(browser, "twice@example.org")
        ask_reset(browser, "twice@example.org")
        first, second = (link_in(m) for m in inbox.wait_for("twice@example.org", 2))
        open_link(browser, second)
        assert set_password(browser).status_code == 303
        assert open_link(browser, first).status_code == 400


def test_unknown_address_gets_the_same_answer_and_no_mail(make: Any, mailer_app: Any, smtp: Any) -> None:
    inbox, _port = smtp
    make.user("known", email="known@example.org")
    answers = []
    with browse(mailer_app) as browser:
        for address in ("known@example.org", "nobody@example.org"):
            answer = ask_reset(browser, address)
            page = browser.get(answer.headers["location"])
            answers.append((answer.status_code, answer.headers["location"], page.status_code, page.text))
    assert answers[0][:3] == answers[1][:3] == (303, "/password/forgot", 200)
    assert "If an account uses that address" in answers[0][3]
    assert answers[0][3].replace("known@", "") == answers[1][3].replace("nobody@", "")
    assert len(inbox.to("known@example.org")) == 1
    assert inbox.to("nobody@example.org") == []


def test_requests_per_address_are_limited_silently(make: Any, mailer_app: Any, smtp: Any) -> None:
    inbox, _port = smtp
    make.user("flood", email="flood@example.org")
    with browse(mailer_app) as browser:
        for _ in range(6):
            assert ask_reset(browser, "flood@example.org").status_code == 303
    assert len(inbox.to("flood@example.org")) == 3


def test_requests_per_client_are_limited_with_retry_after(make: Any, mailer_app: Any, smtp: Any) -> None:
    with browse(mailer_app) as browser:
        codes = [ask_reset(browser, f"x{i}@example.org").status_code for i in range(11)]
        assert codes[:10] == [303] * 10
        assert codes[10] == 429
        last = ask_reset(browser, "y@example.org")
        assert last.status_code == 429 and int(last.headers["retry-after"]) > 0


def test_without_smtp_the_page_says_to_ask_an_organiser(client: TestClient, make: Any) -> None:
    make.user("nomail", email="nomail@example.org")
    page = client.get("/password/forgot")
    assert "Ask an organiser to reset your password" in page.text
    assert 'name="email"' not in page.text
    login_page = client.get("/login")
    assert 'href="/password/forgot"' in login_page.text


def test_without_a_public_url_no_link_is_mailed(settings_and_ctx: Any, make: Any, smtp: Any) -> None:
    inbox, port = smtp
    make.user("nourl", email="nourl@example.org")
    app = mail_app(settings_and_ctx, port, public_url="")
    with browse(app) as browser:
        assert "Ask an organiser" in browser.get("/password/forgot").text
        ask_reset(browser, "nourl@example.org")
    assert inbox.messages == []


def test_an_unreachable_smtp_server_changes_nothing_for_the_reader(
    settings_and_ctx: Any, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.security.mail_server import free_port

    make.user("down", email="down@example.org")
    app = mail_app(settings_and_ctx, free_port())  # nothing listens there
    with caplog.at_level(logging.INFO), browse(app) as browser:
        answer = ask_reset(browser, "down@example.org")
    assert answer.status_code == 303
    text = caplog.text
    assert "not sent" in text
    assert "token=" not in text and "down@example.org" not in text
    _settings, ctx = settings_and_ctx
    with ctx.db.read() as s:
        assert s.query(t.AccountToken).count() == 1  # made (committed) before the send failed


def test_the_app_without_mail_settings_builds(settings_and_ctx: Any) -> None:
    settings, ctx = settings_and_ctx
    assert create_app(settings, ctx) is not None
