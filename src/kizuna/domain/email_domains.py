"""The e-mail domains an event accepts at registration (``Event.email_domains``).

Domains are stored normalised: lower case, in their IDNA (ASCII, ``xn--``) form, without a trailing
dot, each label 1–63 letters, digits or hyphens, at least two labels. ``例え.jp`` is stored as
``xn--r8jz45g.jp``, so an address typed either way matches.

Subdomains: an entry allows its own domain **and every subdomain of it** — ``example.ac.jp`` lets
``cs.example.ac.jp`` register too, because an organisation's subdomains are its own (a university's
departments). A look-alike such as ``badexample.ac.jp`` or ``example.ac.jp.evil.test`` does not
match: the comparison is by whole labels from the right.
"""

from __future__ import annotations

import re

from kizuna.domain.errors import DomainError, ErrorCode

MAX_DOMAINS = 50
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalise_domain(raw: str) -> str:
    """One domain in its stored form, or ``DomainError(EMAIL_DOMAIN_INVALID)``."""
    text = str(raw).strip().rstrip(".").lower()
    if text.startswith("@"):
        text = text[1:]
    if not text or len(text) > 253:
        raise DomainError(ErrorCode.EMAIL_DOMAIN_INVALID, field="email_domains", domain=str(raw)[:80])
    try:
        ascii_form = text.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise DomainError(ErrorCode.EMAIL_DOMAIN_INVALID, field="email_domains", domain=text[:80]) from None
    labels = ascii_form.split(".")
    if len(labels) < 2 or len(ascii_form) > 253 or not all(_LABEL.match(label) for label in labels):
        raise DomainError(ErrorCode.EMAIL_DOMAIN_INVALID, field="email_domains", domain=text[:80])
    if labels[-1].isdigit():  # an address literal, not a domain
        raise DomainError(ErrorCode.EMAIL_DOMAIN_INVALID, field="email_domains", domain=text[:80])
    return ascii_form


def normalise_domains(values: object) -> list[str] | None:
    """The allow-list as stored: distinct normalised domains in the order given; None when empty
    (every domain allowed). Accepts a list, or a string with one domain per line or comma."""
    if values is None:
        return None
    if isinstance(values, str):
        values = [part for part in re.split(r"[\s,、]+", values) if part]
    if not isinstance(values, list | tuple):
        raise DomainError(ErrorCode.VALUE_INVALID, field="email_domains")
    if len(values) > MAX_DOMAINS:
        raise DomainError(ErrorCode.VALUE_INVALID, field="email_domains")
    out = list(dict.fromkeys(normalise_domain(value) for value in values))
    return out or None


def address_domain(email: str) -> str:
    """The normalised domain of an address ("" when it has none a domain could be made of)."""
    _local, sep, domain = email.strip().rpartition("@")
    if not sep:
        return ""
    try:
        return normalise_domain(domain)
    except DomainError:
        return ""


def domain_allowed(email: str, allowed: list[str] | None) -> bool:
    """Whether ``email`` belongs to one of ``allowed`` (or a subdomain of one); an empty list allows
    every address."""
    if not allowed:
        return True
    domain = address_domain(email)
    if not domain:
        return False
    return any(domain == entry or domain.endswith("." + entry) for entry in allowed)
