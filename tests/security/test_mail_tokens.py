"""Mailed tokens at the service level: a link works once even when requests race (threads behind a
barrier, on SQLite and PostgreSQL), and mail reaches a reader of both languages in both."""

from __future__ import annotations

import threading
from typing import Any

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.services import accounts, recovery
from kizuna.services.mail import Mail, MailConfig, Mailer
from kizuna.storage import tables as t
from tests.security.mail_server import PUBLIC_URL, body, smtp

__all__ = ["smtp"]  # the fixture, used by name


def _config(port: int = 25) -> MailConfig:
    return MailConfig(host="127.0.0.1", port=port, sender="ctf@example.org", public_url=PUBLIC_URL)


def _token(mail: Mail) -> str:
    return mail.text.split("token=")[1].split()[0]


def test_a_reset_link_works_once_under_parallel_use(backend: str, ctx: Any, make: Any) -> None:
    make.user("racer", email="racer@example.org")
    [mail] = recovery.request_reset(ctx, _config(), "racer@example.org")
    token = _token(mail)
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def use(i: int) -> None:
        barrier.wait(timeout=10)
        try:
            recovery.reset_password(ctx, token, f"new-password-number-{i}")
            result = "ok"
        except DomainError as exc:
            result = exc.code.value
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=use, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["link_invalid"] * 5 + ["ok"]
    with ctx.db.read() as s:
        assert s.query(t.AuditEntry).filter_by(action="account.password_reset").count() == 1


def test_a_reader_of_both_languages_gets_both(ctx: Any, make: Any, smtp: Any) -> None:
    inbox, port = smtp
    user = make.user("both", email="both@example.org")
    accounts.update_user(ctx, user.id, {"locale": "ja", "display": "both"})
    mails = recovery.request_reset(ctx, _config(port), "both@example.org")
    assert Mailer(_config(port)).send_all(mails) == 1
    [mail] = inbox.wait_for("both@example.org")
    assert mail["Subject"].startswith("Kizuna CTF のパスワード再設定 / Reset your password")
    text = body(mail)
    assert text.index("次のリンクを開いてください") < text.index("To choose a new password")
    assert text.count(f"{PUBLIC_URL}/password/reset?token=") == 2  # the same link in each language


def test_wrong_and_unknown_tokens_are_refused_alike(ctx: Any, make: Any) -> None:
    make.user("plain", email="plain@example.org")
    for token in ("", "nonsense", "x" * 300):
        try:
            recovery.reset_password(ctx, token, "a-long-enough-password")
        except DomainError as exc:
            assert exc.code is ErrorCode.LINK_INVALID
        else:
            raise AssertionError("accepted")


def test_an_unknown_security_setting_never_sends_in_clear_text(smtp: Any) -> None:
    inbox, port = smtp
    config = MailConfig(host="127.0.0.1", port=port, security="startls", public_url=PUBLIC_URL)
    mail = Mail(to="someone@example.org", subject="s", text="t")
    assert Mailer(config).send_all([mail]) == 0
    assert inbox.messages == []
