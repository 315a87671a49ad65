"""Consent to the recruiter view: the version of its text.

The text itself is interface text (``web/consent_text.py``, in the catalogs). Change the version
whenever what the text means changes: a consent given to another version no longer counts, so the
players are asked again before anything about them is exported."""

from __future__ import annotations

RECRUITING_CONSENT_VERSION = "2026-11"
