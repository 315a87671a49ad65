"""Flag matching.

A submission is normalised before any comparison: NFKC (so full-width input typed through a Japanese
IME, ｆｌａｇ｛…｝, becomes flag{…}) and surrounding white space trimmed, including the ideographic
space U+3000. Kinds of flag:

* ``static``: exact match, compared in constant time so response timing reveals nothing about the flag;
  ``data == "case_insensitive"`` compares case-folded text.
* ``regex``: the whole submission must match (``fullmatch``); ``case_insensitive`` sets IGNORECASE.
  Patterns that can backtrack catastrophically (a repeat nested inside another unbounded repeat, or a
  back-reference) are refused when the flag is created.

``data == "exact"`` (Kizuna's own, for flags where width or surrounding space is the point) turns the
normalising off: a static flag must then be byte-for-byte the submission, still compared in constant
time, and a regex is matched against the raw submission.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from kizuna.domain.errors import DomainError, ErrorCode

FLAG_TYPES = ("static", "regex")
CASE_INSENSITIVE = "case_insensitive"
EXACT = "exact"
FLAG_DATA = ("", CASE_INSENSITIVE, EXACT)
MAX_REGEX_LENGTH = 1000
MAX_SUBMISSION_LENGTH = 4096


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
        flags = re.IGNORECASE if insensitive else 0
        try:
            return re.fullmatch(flag.content, provided, flags) is not None
        except re.error:
            return False
    return False


def any_flag_matches(flags: list[FlagSpec], submission: str) -> bool:
    """True when any flag matches; every flag is checked so timing does not depend on which one."""
    result = False
    for flag in flags:
        result = flag_matches(flag, submission) or result
    return result


def validate_flag(type_: str, content: str, data: str | None) -> FlagSpec:
    if type_ not in FLAG_TYPES:
        raise DomainError(ErrorCode.FLAG_TYPE_UNKNOWN, field="type", type=type_)
    if not content:
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="content")
    data = data or ""
    if data not in FLAG_DATA:
        raise DomainError(ErrorCode.VALUE_INVALID, field="data")
    if type_ == "regex":
        check_regex_safe(content)
    return FlagSpec(type=type_, content=content, data=data)


def check_regex_safe(pattern: str) -> None:
    """Refuse patterns that do not compile or could take exponential time to match."""
    if len(pattern) > MAX_REGEX_LENGTH:
        raise DomainError(ErrorCode.REGEX_DANGEROUS, field="content")
    try:
        re.compile(pattern)
        # The private parser is the only way to see the pattern's structure; it ships with CPython.
        from re import _parser  # type: ignore[attr-defined]

        tree = _parser.parse(pattern)
    except (re.error, RecursionError) as exc:
        raise DomainError(ErrorCode.REGEX_INVALID, field="content", reason=str(exc)) from exc
    if _dangerous(tree, inside_unbounded=False):
        raise DomainError(ErrorCode.REGEX_DANGEROUS, field="content")


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
