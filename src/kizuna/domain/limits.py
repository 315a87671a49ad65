"""How long organiser texts may be, in characters, checked whenever a row is written.

Markdown is rendered when read, so an unbounded description would cost every reader (a 10 MB table
once took 153 s to render). The limits are far above what an event writes — a long challenge
description is a few thousand characters — and below what renders in about a second
(``kizuna.markdown.RENDER_LIMIT`` is the largest of them). Names and titles are bounded by their
columns' widths, the same on SQLite as on PostgreSQL. Every language's translation has the limit of
its field.
"""

from __future__ import annotations

from kizuna.domain.errors import DomainError, ErrorCode

# (table, field): most characters. Fields not listed here are bounded by their column's width only.
TEXT_LIMITS: dict[tuple[str, str], int] = {
    ("challenges", "description"): 65_536,
    ("challenges", "connection_info"): 4_096,
    ("hints", "content"): 16_384,
    ("notifications", "content"): 16_384,
    ("solutions", "content"): 65_536,
    ("pages", "content"): 131_072,
    ("event", "description"): 65_536,
    ("writeups", "content"): 32_768,
}


def check_text(field: str, value: object, limit: int) -> None:
    """Refuse ``value`` (400 naming ``field``) when it is a text longer than ``limit`` characters."""
    if isinstance(value, str) and len(value) > limit:
        raise DomainError(
            ErrorCode.TEXT_TOO_LONG, field=field, name=field, max=f"{limit:,}", size=f"{len(value):,}"
        )
