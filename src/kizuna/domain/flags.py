"""Flag matching.

A submission is normalised before any comparison: NFKC (so full-width input typed through a Japanese
IME, ｆｌａｇ｛…｝, becomes flag{…}) and surrounding white space trimmed, including the ideographic
space U+3000. Kinds of flag:

* ``static``: exact match, compared in constant time so response timing reveals nothing about the flag;
  ``data == "case_insensitive"`` compares case-folded text.
* ``regex``: the whole submission must match (``fullmatch``); ``case_insensitive`` sets IGNORECASE.
  Patterns are written in Python ``re`` syntax (what CTFd authors expect) and matched with the
  ``regex`` engine, which is ``re``-compatible, releases the GIL while matching and stops after
  :data:`MATCH_TIMEOUT` seconds: a guess that takes longer counts as wrong (logged without the guess
  or the pattern), so no pattern can hold a worker. When the flag is saved, patterns that can
  backtrack catastrophically (a repeat nested inside another unbounded repeat, or a back-reference)
  are refused, and so is any pattern that takes longer than :data:`PROBE_TIMEOUT` on one of a set of
  generated worst-case guesses (long runs of one character between the pattern's own prefix and a
  character that makes the match fail), with an example of such a guess in the error.

``data == "exact"`` (Kizuna's own, for flags where width or surrounding space is the point) turns the
normalising off: a static flag must then be byte-for-byte the submission, still compared in constant
time, and a regex is matched against the raw submission.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex

from kizuna.domain.errors import DomainError, ErrorCode

log = logging.getLogger(__name__)

FLAG_TYPES = ("static", "regex")
CASE_INSENSITIVE = "case_insensitive"
EXACT = "exact"
FLAG_DATA = ("", CASE_INSENSITIVE, EXACT)
MAX_REGEX_LENGTH = 1000
MAX_SUBMISSION_LENGTH = 4096
# Seconds one regex flag may take on one guess. Generous: a flag that passed the save-time probe
# matches in milliseconds, and a right answer must never time out on a busy machine.
MATCH_TIMEOUT = 0.5
# Save time: seconds a generated worst-case guess may take (the slowest accepted patterns take a
# fraction of a millisecond on them), and the most time spent probing one pattern.
PROBE_TIMEOUT = 0.02
PROBE_BUDGET = 2.0


@dataclass(frozen=True)
class FlagSpec:
    type: str
    content: str
    data: str = ""


def normalise_submission(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _eq(a: str, b: str) -> bool:
    # surrogatepass: a JSON body may carry a lone surrogate, which must compare, not crash.
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def flag_matches(flag: FlagSpec, submission: str) -> bool:
    exact = flag.data == EXACT
    # An exact flag sees the whole raw submission, so nothing past a length limit is ignored.
    provided = submission if exact else normalise_submission(submission)[:MAX_SUBMISSION_LENGTH]
    insensitive = flag.data == CASE_INSENSITIVE
    if flag.type == "static":
        expected = flag.content if exact else normalise_submission(flag.content)
        if insensitive:
            return _eq(expected.casefold(), provided.casefold())
        return _eq(expected, provided)
    if flag.type == "regex" and len(provided) <= MAX_SUBMISSION_LENGTH:
        try:
            pattern = _compiled(flag.content, insensitive)
        except (regex.error, re.error, RecursionError, ValueError):
            return False
        try:
            return pattern.fullmatch(provided, concurrent=True, timeout=MATCH_TIMEOUT) is not None
        except TimeoutError:
            # Neither the guess nor the pattern is logged: either could be the flag.
            log.warning(
                "A regex flag took over %.1f s to match a guess of %d characters; counted as wrong.",
                MATCH_TIMEOUT,
                len(provided),
            )
            return False
    return False


@lru_cache(maxsize=512)
def _compiled(pattern: str, insensitive: bool) -> Any:
    return regex.compile(pattern, regex.IGNORECASE if insensitive else 0)


def any_flag_matches(flags: list[FlagSpec], submission: str) -> bool:
    """True when any flag matches; every flag is checked so timing does not depend on which one."""
    result = False
    for flag in flags:
        result = flag_matches(flag, submission) or result
    return result


def matching_flag(flags: list[FlagSpec], submission: str) -> int | None:
    """The position of the first flag that matches, or None; every flag is checked, as in
    ``any_flag_matches``, so timing does not depend on which one."""
    found: int | None = None
    for i, flag in enumerate(flags):
        if flag_matches(flag, submission) and found is None:
            found = i
    return found


def validate_flag(type_: str, content: str, data: str | None) -> FlagSpec:
    if type_ not in FLAG_TYPES:
        raise DomainError(ErrorCode.FLAG_TYPE_UNKNOWN, field="type", type=type_)
    if not content:
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="content")
    data = data or ""
    if data not in FLAG_DATA:
        raise DomainError(ErrorCode.VALUE_INVALID, field="data")
    if type_ == "regex":
        check_regex_safe(content, insensitive=data == CASE_INSENSITIVE)
    return FlagSpec(type=type_, content=content, data=data)


def check_regex_safe(pattern: str, insensitive: bool = False) -> None:
    """Refuse patterns that do not compile, could take exponential time to match (by their
    structure), or are slow on a generated worst-case guess (by trying them)."""
    if len(pattern) > MAX_REGEX_LENGTH:
        raise DomainError(ErrorCode.REGEX_DANGEROUS, field="content")
    try:
        re.compile(pattern)
        # The private parser is the only way to see the pattern's structure; it ships with CPython.
        from re import _parser  # type: ignore[attr-defined]

        tree = _parser.parse(pattern)
        compiled = regex.compile(pattern, regex.IGNORECASE if insensitive else 0)
    except (re.error, regex.error, RecursionError, ValueError) as exc:
        raise DomainError(ErrorCode.REGEX_INVALID, field="content", reason=str(exc)) from exc
    if _dangerous(tree, inside_unbounded=False):
        raise DomainError(ErrorCode.REGEX_DANGEROUS, field="content")
    slow = slow_guess(compiled, tree)
    if slow is not None:
        raise DomainError(ErrorCode.REGEX_SLOW, field="content", example=_shorten(slow), length=len(slow))


# --- the save-time probe -----------------------------------------------------------------------------

_FILLERS = "a0_ -.A"  # characters most classes (and \w, \d, \s, .) accept
_TAILS = ("!", "\n", "")  # what ends a guess: a character most patterns refuse, a newline, nothing
_CATEGORY_SAMPLES = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
}
_MAX_PUMPS = 24
_MAX_PREFIXES = 6


def slow_guess(compiled: Any, tree: Any) -> str | None:
    """A guess of at most :data:`MAX_SUBMISSION_LENGTH` characters on which ``compiled`` takes
    longer than :data:`PROBE_TIMEOUT` (three tries, so one pause of a busy machine is forgiven),
    or None. Guesses are the pattern's prefixes up to each of its top-level repeats, then one
    character (or one repeat body) repeated to the length limit, then a tail that fails the match."""
    deadline = time.monotonic() + PROBE_BUDGET
    for guess in _guesses(tree):
        if time.monotonic() > deadline:
            return None  # what could be tried in the budget was fast
        if all(_slow(compiled, guess) for _ in range(3)):
            return guess
    return None


def _slow(compiled: Any, guess: str) -> bool:
    started = time.perf_counter()
    try:
        compiled.fullmatch(guess, concurrent=True, timeout=PROBE_TIMEOUT)
    except TimeoutError:
        return True
    return time.perf_counter() - started > PROBE_TIMEOUT


def _guesses(tree: Any) -> Iterator[str]:
    chars: list[str] = []
    bodies: list[str] = []
    _collect(tree, chars, bodies)
    pumps = list(dict.fromkeys([*chars, *_FILLERS, *(b for b in bodies if len(b) > 1)]))[:_MAX_PUMPS]
    prefixes = list(dict.fromkeys(_prefixes(tree)))[:_MAX_PREFIXES]
    seen: set[str] = set()
    for prefix in prefixes:
        for pump in pumps:
            for tail in _TAILS:
                room = MAX_SUBMISSION_LENGTH - len(prefix) - len(tail)
                guess = prefix + pump * max(room // len(pump), 1) + tail
                if guess not in seen:
                    seen.add(guess)
                    yield guess


def _prefixes(items: Any) -> Iterator[str]:
    """The shortest text matching the pattern up to each top-level repeat (and the whole)."""
    done = ""
    yield done
    for item in items:
        if str(item[0]) in _REPEATS:
            yield done
        done += _witness([item])
    yield done


def _witness(items: Any) -> str:
    """A short text matching ``items`` (good enough to reach the part after it)."""
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if arg != ord("a") else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_class_sample(arg))
        elif name in _REPEATS:
            low, _high, body = arg
            out.append(_witness(body) * min(low, 64))
        elif name == "SUBPATTERN":
            out.append(_witness(arg[-1]))
        elif name == "BRANCH":
            out.append(_witness(arg[1][0]) if arg[1] else "")
        elif name in ("ASSERT", "ASSERT_NOT", "AT"):
            continue
        elif name == "ATOMIC_GROUP":
            out.append(_witness(arg))
    return "".join(out)


def _class_sample(items: Any) -> str:
    if items and str(items[0][0]) == "NEGATE":
        return next((c for c in _FILLERS if not _in_class(c, items[1:])), "~")
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return _CATEGORY_SAMPLES.get(str(arg), "a")
    return "a"


def _in_class(c: str, items: Any) -> bool:
    for op, arg in items:
        name = str(op)
        if name == "LITERAL" and ord(c) == arg:
            return True
        if name == "RANGE" and arg[0] <= ord(c) <= arg[1]:
            return True
        if name == "CATEGORY":
            return True  # unsure: try another character
    return False


def _collect(items: Any, chars: list[str], bodies: list[str]) -> None:
    """Every character the pattern names (literals, samples of its classes) and its repeat bodies."""
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            chars.append(chr(arg))
        elif name == "IN":
            for sub_op, sub_arg in arg:
                sub = str(sub_op)
                if sub == "LITERAL":
                    chars.append(chr(sub_arg))
                elif sub == "RANGE":
                    chars.extend((chr(sub_arg[0]), chr(sub_arg[1])))
                elif sub == "CATEGORY":
                    chars.append(_CATEGORY_SAMPLES.get(str(sub_arg), "a"))
        elif name in _REPEATS:
            bodies.append(_witness(arg[2]))
            _collect(arg[2], chars, bodies)
        elif name == "SUBPATTERN":
            _collect(arg[-1], chars, bodies)
        elif name == "BRANCH":
            for branch in arg[1]:
                _collect(branch, chars, bodies)
        elif name in ("ASSERT", "ASSERT_NOT"):
            _collect(arg[1], chars, bodies)
        elif name == "ATOMIC_GROUP":
            _collect(arg, chars, bodies)


def _shorten(guess: str) -> str:
    """The slow guess as the author is shown it: its start, an ellipsis, its end."""
    shown = guess if len(guess) <= 24 else f"{guess[:16]}…{guess[-4:]}"
    return shown.replace("\n", "\\n")


_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


def _dangerous(items: Any, inside_unbounded: bool) -> bool:
    from re import _constants  # type: ignore[attr-defined]

    for op, arg in items:
        name = str(op)
        if name in ("GROUPREF", "GROUPREF_EXISTS"):
            return True
        if name in _REPEATS:
            _low, high, body = arg
            unbounded = high is _constants.MAXREPEAT or high > 100
            if unbounded and inside_unbounded and name != "POSSESSIVE_REPEAT":
                return True
            if _dangerous(body, inside_unbounded or unbounded):
                return True
        elif name == "SUBPATTERN":
            if _dangerous(arg[-1], inside_unbounded):
                return True
        elif name == "BRANCH":
            branches = arg[1]
            if inside_unbounded and len(branches) > 1 and _overlapping(branches):
                return True
            if any(_dangerous(b, inside_unbounded) for b in branches):
                return True
        elif name in ("ASSERT", "ASSERT_NOT"):
            if _dangerous(arg[1], inside_unbounded):
                return True
    return False


def _overlapping(branches: list[Any]) -> bool:
    """Alternatives under a repeat that can begin with the same character invite exponential
    backtracking: two starting with the same literal, an empty one, or two starting with classes."""
    literals: list[Any] = []
    classes = 0
    for b in branches:
        if not len(b):
            return True
        op, arg = b[0]
        if str(op) == "LITERAL":
            if arg in literals:
                return True
            literals.append(arg)
        else:
            classes += 1
    return classes > 1
