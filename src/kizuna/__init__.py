"""Kizuna (絆): a bilingual Capture-the-Flag platform."""

__version__ = "0.1.0"
