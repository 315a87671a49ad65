"""What a demo challenge is: its text in English and Japanese, the files it ships (made when the demo
loads, from code, so nothing binary lives in the repository) and ``solve``, the documented solution
that finds the flag from what a player is given."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

FLAG_FORMAT = re.compile(r"kizuna\{[A-Za-z0-9_]+\}")  # the demo's flags; not the `kizuna{...}` example


@dataclass(frozen=True)
class Text:
    """One text in both languages of the demo."""

    en: str
    ja: str

    def translations(self, name: str) -> dict[str, dict[str, str]]:
        return {"ja": {name: self.ja}}


@dataclass(frozen=True)
class Given:
    """What a player has: the description they read (in either language) and the files they
    downloaded, by name."""

    description: str
    files: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoHint:
    title: Text
    content: Text
    cost: int = 0


@dataclass(frozen=True)
class DemoChallenge:
    key: str
    category: str  # the category as stored (its English display name)
    name: Text
    description: Text
    flag: str  # the answer ``solve`` finds; the stored flags accept it
    solve: Callable[[Given], str]
    value: int = 100
    flags: tuple[tuple[str, str, str], ...] = ()  # (type, content, data); default: ``flag``, static
    files: Callable[[], dict[str, bytes]] = dict
    hints: tuple[DemoHint, ...] = ()
    tags: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # keys of challenges to solve first
    scoring: Mapping[str, Any] = field(default_factory=dict)  # type and decay, for a dynamic one
    # A judged (``manual``) challenge: no flags; ``solve`` writes an answer (``flag``) for a judge.
    judged: bool = False
    # A practice challenge (kizuna.services.practice): open to play whenever shown, on no board.
    practice: bool = False

    def stored_flags(self) -> tuple[tuple[str, str, str], ...]:
        if self.judged:
            return ()
        return self.flags or (("static", self.flag, ""),)


def find_flag(text: str) -> str:
    """The first ``kizuna{…}`` in ``text``."""
    found = FLAG_FORMAT.search(text)
    if found is None:
        raise ValueError("no flag in the text")
    return found.group(0)


def decode_spans(markdown: str, decode: Callable[[str], str]) -> str:
    """The first `code` span of a Markdown text that ``decode`` turns into a flag, decoded (the demo
    puts what is to be decoded in code spans)."""
    for span in re.findall(r"`([^`\n]+)`", markdown):
        try:
            decoded = decode(span)
        except ValueError:  # binascii.Error and UnicodeDecodeError included
            continue
        if FLAG_FORMAT.fullmatch(decoded):
            return decoded
    raise ValueError("no encoded flag in the text")


def search_file(given: Given, name: str, pattern: str) -> re.Match[str]:
    """``pattern`` in the text file ``name`` the player downloaded."""
    found = re.search(pattern, given.files[name].decode())
    if found is None:
        raise ValueError(f"nothing like {pattern!r} in {name}")
    return found
