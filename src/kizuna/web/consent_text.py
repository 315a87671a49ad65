"""The consent to the recruiter view, in both languages (UK GDPR and Japan's APPI).

Every sentence is in the catalogs like any interface text, and the page shows it in the reader's
language or both. What a player agreed to is recorded as ``VERSION`` (``domain/consent.py``)
plus a SHA-256 of the whole text in English and Japanese (``digest``): a change to either
translation changes the digest, so the record shows exactly which wording was agreed to. Change
``VERSION`` whenever the meaning changes: consents given to an older version are then no longer
counted (``services.recruiting``) and players are asked again.
"""

from __future__ import annotations

import hashlib

from kizuna.domain.consent import RECRUITING_CONSENT_VERSION as VERSION
from kizuna.i18n import LOCALES, current_locale, display_locales, gettext_in, lazy

HEADING = lazy("Recruiter view: share your profile with the organisers and partner employers")
PARAGRAPHS: tuple[tuple[str, str], ...] = (
    (
        lazy("Who receives it"),
        lazy(
            "The organisers of this event, who hold your data on this site, and the partner employers "
            "they name on this site or in the event's announcements. They may be in the United Kingdom, "
            "in Japan or in other countries."
        ),
    ),
    (
        lazy("What is shared"),
        lazy(
            "Your player name, team, country or region and affiliation; your skill profile (what you solved "
            "in each category, weighted by difficulty); and, where this site has them, the learning tracks "
            "you completed and the badges you earned. Never your e-mail address, password, addresses, "
            "answers or write-ups: employers contact you only through the organisers."
        ),
    ),
    (
        lazy("Why"),
        lazy(
            "So that the organisers can introduce players to employers looking for cyber-security "
            "talent — jobs, internships and training — and for nothing else."
        ),
    ),
    (
        lazy("On what basis"),
        lazy(
            "Your consent: under the UK GDPR (Article 6(1)(a)), and under Japan's Act on the Protection "
            "of Personal Information (APPI) your consent to your personal data being given to third "
            "parties (Article 27), including recipients in other countries (Article 28)."
        ),
    ),
    (
        lazy("How long"),
        lazy(
            "The organisers keep each export for at most 12 months after the event and ask partner "
            "employers to delete what they received once it is no longer needed for this purpose, and "
            "at the latest after 12 months."
        ),
    ),
    (
        lazy("Your rights"),
        lazy(
            "You may withdraw your consent at any time, here, with one button. From then on you are in no "
            "export. Withdrawing does not undo exports made before it, but you may ask the organisers to "
            "have those copies deleted. You may also ask the organisers to see, correct or delete your "
            "data, and complain to the UK Information Commissioner's Office (ICO) or Japan's Personal "
            "Information Protection Commission (PPC)."
        ),
    ),
    (
        lazy("It is your choice"),
        lazy(
            "Saying no, or withdrawing later, changes nothing else: your account, scores and certificates "
            "stay as they are."
        ),
    ),
)
AGREE = lazy("I have read the text above and agree that my profile is shared as it describes.")


def texts_in(locale: str) -> list[str]:
    """The whole consent text in ``locale``, heading first."""
    out = [gettext_in(locale, HEADING)]
    for title, body in PARAGRAPHS:
        out += [gettext_in(locale, title), gettext_in(locale, body)]
    out.append(gettext_in(locale, AGREE))
    return out


def digest() -> str:
    """SHA-256 of the version and the whole text in every language, as shown."""
    whole = "\n".join([VERSION, *(line for code in LOCALES for line in texts_in(code))])
    return hashlib.sha256(whole.encode("utf-8")).hexdigest()


def reader_locale() -> str:
    return current_locale.get()


def shown() -> list[dict[str, object]]:
    """The text in each language the reader displays (two in both-languages mode), each with its
    ``locale`` so the page marks it with ``lang``."""
    out: list[dict[str, object]] = []
    for code in display_locales():
        out.append(
            {
                "locale": code,
                "heading": gettext_in(code, HEADING),
                "sections": [(gettext_in(code, title), gettext_in(code, body)) for title, body in PARAGRAPHS],
                "agree": gettext_in(code, AGREE),
            }
        )
    return out
