"""Sending Kizuna's mail (password reset, e-mail verification) over SMTP.

Mail is off when ``smtp_host`` is empty: the features that need it say so to organisers and players
instead. Links in mail are built **only** from ``Settings.public_url`` — never from a request's
``Host`` header, which an attacker chooses — so without a public URL no link is mailed at all.

Use cases never send inside their write transaction: they commit, then return the :class:`Mail`
they want sent, and the web layer sends it after the response (``Mailer.send_all`` in a background
task), so a slow or unreachable SMTP server holds no database lock and a reply takes the same time
whether or not a message went out. Every SMTP step has a bounded timeout; a failed send is logged
with the error's type and the recipient's domain only — never the message, whose body carries a
single-use link.

Text is in the recipient's language (their stored locale, else the event's default), through the
same gettext catalogs as the pages; an account that reads both languages gets both, its own first.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any
from urllib.parse import quote, urlsplit

from kizuna.i18n import BOTH, LOCALES, lazy, translations

log = logging.getLogger("kizuna.mail")

SECURITY = ("none", "starttls", "tls")
SMTP_TIMEOUT = 10.0  # seconds for each SMTP step (connect, each command)
SEPARATOR = "\n\n" + "-" * 40 + "\n\n"


@dataclass(frozen=True)
class MailConfig:
    """What sending needs, taken from the settings once (see ``Settings.smtp_*``)."""

    host: str = ""
    port: int = 25
    username: str = ""
    password: str = field(default="", repr=False)
    security: str = "none"
    sender: str = ""
    public_url: str = ""
    timeout: float = SMTP_TIMEOUT

    @classmethod
    def from_settings(cls, settings: Any) -> MailConfig:
        return cls(
            host=str(settings.smtp_host or "").strip(),
            port=int(settings.smtp_port or 25),
            username=str(settings.smtp_username or ""),
            password=str(settings.smtp_password or ""),
            security=str(settings.smtp_security or "none").strip().lower(),
            sender=str(settings.mail_from or "").strip(),
            public_url=str(settings.public_url or "").strip(),
        )

    @property
    def enabled(self) -> bool:
        """Mail can be sent (an SMTP host is set)."""
        return bool(self.host)

    @property
    def base_url(self) -> str:
        """The public URL without a trailing slash, when it is an absolute http(s) URL; else ""."""
        parts = urlsplit(self.public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            return ""
        return self.public_url.rstrip("/")

    @property
    def links(self) -> bool:
        """Mail with links can be sent: mail is on and the public URL is known."""
        return self.enabled and bool(self.base_url)

    def link(self, path: str, token: str) -> str:
        """An absolute link to ``path`` carrying ``token``, built from the public URL only."""
        if not self.base_url:
            raise RuntimeError("no public URL: links cannot be mailed")
        return f"{self.base_url}{path}?token={quote(token, safe='')}"

    @property
    def from_address(self) -> str:
        if self.sender:
            return self.sender
        host = urlsplit(self.base_url).hostname or "localhost"
        return formataddr(("Kizuna", f"no-reply@{host}"))


@dataclass(frozen=True)
class Mail:
    """One message ready to send: plain text, already in the recipient's language(s)."""

    to: str
    subject: str
    text: str
    locale: str = "en"

    def __repr__(self) -> str:  # never the body: it carries a single-use link
        return f"Mail(to=<{_domain(self.to)}>, locale={self.locale!r})"


@dataclass(frozen=True)
class Template:
    """A message's subject and paragraphs as catalog ids with ``%(name)s`` placeholders."""

    subject: str
    paragraphs: tuple[str, ...]


# --- the messages ----------------------------------------------------------------------------------

RESET = Template(
    lazy("Reset your password for %(event)s"),
    (
        lazy("Hello %(name)s,"),
        lazy("Someone asked to reset the password of your account on %(event)s."),
        lazy("To choose a new password, open this link within %(minutes)s minutes. It works once:"),
        "%(link)s",
        lazy("If you did not ask for this, ignore this message: your password has not changed."),
    ),
)
VERIFY = Template(
    lazy("Confirm your e-mail address for %(event)s"),
    (
        lazy("Hello %(name)s,"),
        lazy("Please confirm that this is your e-mail address for your account on %(event)s."),
        lazy("Open this link within %(hours)s hours to confirm it. It works once:"),
        "%(link)s",
        lazy("If you did not register, ignore this message."),
    ),
)
ALREADY_REGISTERED = Template(
    lazy("Someone tried to register with your e-mail address on %(event)s"),
    (
        lazy("Hello %(name)s,"),
        lazy(
            "Someone tried to register a new account on %(event)s with this e-mail address, "
            "which your account already uses. No new account was made."
        ),
        lazy("If it was you, log in with your existing account. If you forgot your password, reset it here:"),
        "%(link)s",
        lazy("If it was not you, you can ignore this message."),
    ),
)


def reader_locales(locale: str | None, display: str | None, default: str) -> list[str]:
    """The languages a recipient reads, theirs first: their stored locale else the event's default;
    both languages for an account that reads both (日英併記)."""
    first = locale if locale in LOCALES else (default if default in LOCALES else LOCALES[0])
    if display == BOTH:
        return [first, *(code for code in LOCALES if code != first)]
    return [first]


def compose(template: Template, to: str, locales: Sequence[str], **values: object) -> Mail:
    """The message in each of ``locales``; with two, the subject joins both and the body has one
    block per language, the reader's own first. A value may be a dict by language code."""
    subjects, bodies = [], []
    for code in locales:
        catalog = translations(code)
        # A value given per language ({"en": …, "ja": …}, such as the event's name) in this language.
        here = {
            k: (v.get(code, next(iter(v.values()), "")) if isinstance(v, dict) else v)
            for k, v in values.items()
        }
        subjects.append(catalog.gettext(template.subject) % here)
        paragraphs = [(catalog.gettext(p) if p != "%(link)s" else p) % here for p in template.paragraphs]
        bodies.append("\n\n".join(paragraphs))
    subject = " / ".join(dict.fromkeys(subjects))
    return Mail(to=to, subject=subject, text=SEPARATOR.join(bodies) + "\n", locale=locales[0])


# --- sending ---------------------------------------------------------------------------------------


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "?"


class Mailer:
    """Sends :class:`Mail` through the configured SMTP server; one connection per batch."""

    def __init__(self, config: MailConfig) -> None:
        self.config = config

    @property
    def enabled(self) -> bool:
        return self.config.enabled

    def message(self, mail: Mail) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.config.from_address
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg["Message-ID"] = make_msgid(domain=_domain(self.config.from_address.strip(">")))
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(mail.text, charset="utf-8")
        msg["Content-Language"] = mail.locale  # after set_content, which clears Content-* headers
        return msg

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        if cfg.security not in SECURITY:  # never fall back to clear text on a typo
            raise smtplib.SMTPException(f"unknown smtp_security {cfg.security!r}")
        if cfg.security == "tls":
            return smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
            )
        smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        if cfg.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        return smtp

    def send_all(self, mails: Iterable[Mail]) -> int:
        """Send each message; returns how many went. Failures are logged (error type and the
        recipient's domain only) and never raised: the reader has already had their answer."""
        batch = list(mails)
        if not batch:
            return 0
        if not self.enabled:
            log.info("mail is off (no SMTP host): %d message(s) not sent", len(batch))
            return 0
        sent = 0
        try:
            with self._connect() as smtp:
                if self.config.username:
                    smtp.login(self.config.username, self.config.password)
                for mail in batch:
                    try:
                        smtp.send_message(self.message(mail))
                        sent += 1
                    except (smtplib.SMTPException, OSError) as exc:
                        log.warning("mail to <%s> not sent: %s", _domain(mail.to), type(exc).__name__)
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            log.warning(
                "mail server %s:%s unavailable, %d message(s) not sent: %s",
                self.config.host,
                self.config.port,
                len(batch) - sent,
                type(exc).__name__,
            )
        return sent

    def send(self, mail: Mail) -> bool:
        return self.send_all([mail]) == 1
