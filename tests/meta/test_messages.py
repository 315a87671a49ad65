"""Every error id and every attempt outcome has a sentence, in English and Japanese."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.i18n import LOCALES, current_locale
from kizuna.web.messages import ATTEMPT_MESSAGE_IDS, MESSAGES, attempt_message, message_for

SRC = Path(__file__).resolve().parents[2] / "src" / "kizuna"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(params=LOCALES)
def locale(request: pytest.FixtureRequest) -> object:
    token = current_locale.set(request.param)
    yield request.param
    current_locale.reset(token)


def test_every_error_code_has_a_message() -> None:
    missing = [code.name for code in ErrorCode if code not in MESSAGES]
    assert not missing, f"web/messages.py MESSAGES lacks {missing}"
    assert set(MESSAGES) == set(ErrorCode)


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_error_message_renders(code: ErrorCode, locale: str) -> None:
    params = {name: 7 for name in PLACEHOLDER.findall(MESSAGES[code])}
    text = message_for(DomainError(code, **params))
    # (Whether the Japanese text is translated is tests/i18n/test_catalogs.py's concern.)
    assert text.strip() and "%(" not in text


@pytest.mark.parametrize("message_id", ATTEMPT_MESSAGE_IDS)
def test_every_attempt_message_renders(message_id: str, locale: str) -> None:
    text = attempt_message(message_id, remaining=2, seconds=60, name="Kizuna CTF")
    assert text.strip() and "%(" not in text


def test_unknown_attempt_message_is_an_error() -> None:
    with pytest.raises(KeyError):
        attempt_message("flag_eaten_by_goat")


def _attempt_ids_in_services() -> set[str]:
    """Message ids given to ``AttemptResult(status, message, ...)`` anywhere in the services."""
    ids: set[str] = set()
    for path in (SRC / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AttemptResult"):
                continue
            arg = node.args[1] if len(node.args) > 1 else None
            for kw in node.keywords:
                if kw.arg == "message":
                    arg = kw.value
            if arg is not None:
                ids |= {
                    n.value for n in ast.walk(arg) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                }
    return ids


def test_every_attempt_message_id_used_by_the_services_is_known() -> None:
    used = _attempt_ids_in_services()
    assert {"correct", "incorrect", "already_solved_correct"} <= used
    assert used <= set(ATTEMPT_MESSAGE_IDS), sorted(used - set(ATTEMPT_MESSAGE_IDS))
