"""The review queue (審査待ち): answers to ``manual`` challenges, decided by judges.

A player's answer to a manual challenge is a text (the same limits as a flag) and at most one file;
``services.submissions`` stores it as a ``pending`` submission and opens its review here, in the
attempt's unit of work and under the account's lock. One answer per account (the team in team
mode) and challenge waits at a time: while one does, another is refused with 409
(``review_pending``), and the review's unique key on (challenge, open_account) keeps it so under any
concurrency. After a rejection the account may answer again; after an acceptance the challenge is
solved and the attempt path says so.

A judge (``Action.SUBMISSION_REVIEW``: judges and admins) accepts — for the challenge's value, or a
part of it (``0 < value <= value``), which the solve stores — or rejects with a comment written in
one or both languages. Deciding is one conditional update (``status = 'pending'``), so of two
judges deciding at once exactly one succeeds and the other is told it was decided
(``review_decided``, 409). An accepted answer is solved through ``solves.record_solve``, like any
other solve (scoreboard, first blood, decay). Every decision is audited (``review.accepted``,
``review.rejected``) and sent to the account alone (``review_decided``, audience ``account``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.events import Audience
from kizuna.domain.policy import Action
from kizuna.domain.text import LocalizedText, Resolved, validate_locale
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.services.solves import record_solve
from kizuna.storage import attempt_queries, repo, review_queries
from kizuna.storage import tables as t
from kizuna.storage.uow import UnitOfWork

MANUAL = "manual"
DECISIONS = ("accept", "reject")
STATUSES = ("pending", "accepted", "rejected")
MAX_COMMENT = 4000
MAX_FILE_NAME = 200
DEFAULT_FILE_LIMIT = 5 * 1024 * 1024

# What a file's first bytes may say it is; anything else is refused. Served back only to staff, as
# an attachment with ``nosniff``.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)


@dataclass(frozen=True)
class Attachment:
    """A checked file: its name (as sent, bounded), type (from its first bytes) and data."""

    name: str
    content_type: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The file's type from its first bytes: a document, image or archive, or UTF-8 text without
    control characters (other than tab and line breaks); None for anything else."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text):
        return None
    return "text/plain"


def check_attachment(name: str, data: bytes, limit: int = DEFAULT_FILE_LIMIT) -> Attachment:
    """A file sent with an answer, or ANSWER_FILE_TOO_LARGE (413) / ANSWER_FILE_TYPE (400)."""
    if len(data) > limit:
        raise DomainError(
            ErrorCode.ANSWER_FILE_TOO_LARGE, field="file", status=413, max=max(limit // 1024, 1)
        )
    if not data:
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="file")
    kind = sniff(data)
    if kind is None:
        raise DomainError(ErrorCode.ANSWER_FILE_TYPE, field="file")
    clean = "".join(c for c in (name or "") if c.isprintable() and c not in '/\\"').strip()
    return Attachment(clean[:MAX_FILE_NAME] or "answer", kind, data)


def ensure_none_pending(uow: UnitOfWork, challenge_id: int, account_id: int) -> None:
    if review_queries.has_pending(uow.session, challenge_id, account_id):
        raise DomainError(ErrorCode.REVIEW_PENDING, field="submission", status=409)


def open_review(
    uow: UnitOfWork,
    *,
    submission_id: int,
    challenge_id: int,
    account_id: int,
    user_id: int,
    team_id: int | None,
    now: datetime,
    attachment: Attachment | None,
) -> int:
    review_id = review_queries.insert_review(
        uow.session,
        {
            "submission_id": submission_id,
            "challenge_id": challenge_id,
            "account_id": account_id,
            "user_id": user_id,
            "team_id": team_id,
            "status": "pending",
            "open_account": account_id,
            "comment": "",
            "comment_locale": "en",
            "created_at": now,
        },
    )
    if review_id is None:
        raise DomainError(ErrorCode.REVIEW_PENDING, field="submission", status=409)
    if attachment is not None:
        uow.session.add(
            t.ReviewFile(
                review_id=review_id,
                name=attachment.name,
                content_type=attachment.content_type,
                size=len(attachment.data),
                data=attachment.data,
            )
        )
    uow.emit(
        "review_submitted",
        {"review_id": review_id, "challenge_id": challenge_id, "account_id": account_id},
        audience=Audience.STAFF,
        account_id=account_id,
    )
    return review_id


def parse_comment(raw: Any, default_locale: str) -> tuple[str, str, dict[str, Any] | None]:
    """A comment as (text, its locale, other languages) from a plain string (in ``default_locale``)
    or ``{"en": ..., "ja": ...}`` (one or both languages)."""
    if raw is None or raw == "":
        return "", default_locale, None
    if isinstance(raw, str):
        texts = {default_locale: raw}
    elif isinstance(raw, Mapping):
        texts = {}
        for code, text in raw.items():
            if text is None or text == "":
                continue
            if not isinstance(text, str):
                raise DomainError(ErrorCode.VALUE_INVALID, field="comment")
            texts[validate_locale(code, "comment")] = text
    else:
        raise DomainError(ErrorCode.VALUE_INVALID, field="comment")
    for text in texts.values():
        if len(text) > MAX_COMMENT:
            raise DomainError(
                ErrorCode.TEXT_TOO_LONG, field="comment", name="comment", max=MAX_COMMENT, size=len(text)
            )
        if "\x00" in text:
            raise DomainError(ErrorCode.VALUE_INVALID, field="comment")
    texts = {code: text.strip() for code, text in texts.items() if text.strip()}
    if not texts:
        return "", default_locale, None
    source = default_locale if default_locale in texts else next(iter(texts))
    others = {code: {"comment": text} for code, text in texts.items() if code != source}
    return texts[source], source, others or None


def comment_of(review: t.Review) -> LocalizedText:
    return LocalizedText.of(review.comment_locale, {"comment": review.comment}, review.comment_translations)


def comment_in(review: t.Review, wanted: str, order: tuple[str, ...] = ()) -> Resolved:
    return comment_of(review).get("comment", wanted, order)


@dataclass(frozen=True)
class Decision:
    review_id: int
    status: str
    value: int | None
    solved: bool


def decide(
    ctx: Context,
    who: Principal,
    review_id: int,
    decision: object,
    value: object = None,
    comment: object = None,
    locale: str = "en",
) -> Decision:
    """A judge's decision on a waiting answer (see the module's docstring)."""
    if not who.can(Action.SUBMISSION_REVIEW):
        raise NotFound()
    if decision not in DECISIONS:
        raise DomainError(ErrorCode.VALUE_INVALID, field="decision")
    text, text_locale, others = parse_comment(comment, locale)
    with ctx.write() as uow:
        s = uow.session
        review = s.get(t.Review, review_id)
        if review is None:
            raise NotFound()
        ch = s.get(t.Challenge, review.challenge_id)
        if ch is None:
            raise NotFound()
        points: int | None = None
        if decision == "accept" and value not in (None, ""):
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise DomainError(ErrorCode.VALUE_INVALID, field="value")
            try:
                points = int(value)
            except ValueError:
                raise DomainError(ErrorCode.VALUE_INVALID, field="value") from None
            if not 0 < points <= ch.value:
                raise DomainError(ErrorCode.REVIEW_VALUE_RANGE, field="value", max=ch.value)
        status = "accepted" if decision == "accept" else "rejected"
        if not review_queries.decide(
            s,
            review.id,
            status=status,
            judge_id=who.user_id,
            value=points,
            comment=text,
            comment_locale=text_locale,
            comment_translations=others,
            now=ctx.now(),
        ):
            raise DomainError(ErrorCode.REVIEW_DECIDED, status=409)
        solved = False
        if status == "accepted":
            attempt_queries.retype_submission(s, review.submission_id, "correct")
            recorded = record_solve(
                ctx,
                uow,
                submission_id=review.submission_id,
                challenge_id=review.challenge_id,
                user_id=review.user_id,
                team_id=review.team_id,
                account_id=review.account_id,
                mode=repo.event(s).mode,
                # Solved when the answer was sent, not when a judge got to it: the wait for a judge
                # never costs a tie-break, and a frozen board counts an answer sent before the freeze.
                date=review.created_at,
                value=points,
            )
            solved = recorded is not None
            if not solved:  # the account solved it meanwhile (an admin's correction)
                attempt_queries.retype_submission(s, review.submission_id, "already_solved")
        else:
            # A rejected answer is a wrong answer: it counts toward the challenge's maximum.
            attempt_queries.retype_submission(s, review.submission_id, "incorrect")
        uow.audit(
            None,
            f"review.{status}",
            "review",
            review.id,
            before={"status": "pending"},
            after={"status": status, "value": points, "comment": text, "comment_locale": text_locale},
        )
        uow.emit(
            "review_decided",
            {
                "review_id": review.id,
                "challenge_id": review.challenge_id,
                "account_id": review.account_id,
                "decision": status,
                "value": points,
            },
            audience=Audience.ACCOUNT,
            account_id=review.account_id,
        )
    return Decision(review_id, status, points, solved)


@dataclass(frozen=True)
class QueueItem:
    review_id: int
    challenge_id: int
    challenge_name: str
    challenge_value: int
    account_id: int
    user_id: int
    answer: str
    status: str
    value: int | None
    comment: dict[str, str]
    created_at: datetime
    decided_at: datetime | None
    file: tuple[str, str, int] | None  # name, type, size


def queue(
    ctx: Context, who: Principal, status: str | None = "pending", review_id: int | None = None
) -> list[QueueItem]:
    """The review queue for a judge: every challenge's answers, hidden ones included (with
    ``review_id``: that answer alone, whatever its state)."""
    if not who.can(Action.SUBMISSION_REVIEW):
        raise NotFound()
    if status is not None and status not in STATUSES:
        raise DomainError(ErrorCode.VALUE_INVALID, field="status")
    with ctx.db.read() as s:
        rows = review_queries.queue(s, status, review_id=review_id)
        files = review_queries.file_info(s, [r.id for r, _sub in rows])
        names = {
            c.id: (c.name, c.value)
            for c in s.query(t.Challenge).filter(t.Challenge.id.in_({r.challenge_id for r, _ in rows}))
        }
        return [
            QueueItem(
                review_id=r.id,
                challenge_id=r.challenge_id,
                challenge_name=names.get(r.challenge_id, ("", 0))[0],
                challenge_value=names.get(r.challenge_id, ("", 0))[1],
                account_id=r.account_id,
                user_id=r.user_id,
                answer=sub.provided,
                status=r.status,
                value=r.value,
                comment={code: v.get("comment", "") for code, v in comment_of(r).as_dict().items()},
                created_at=r.created_at,
                decided_at=r.decided_at,
                file=files.get(r.id),
            )
            for r, sub in rows
        ]


def review_file(ctx: Context, who: Principal, review_id: int) -> t.ReviewFile:
    """The file sent with an answer: judges' and admins' only (others: not found)."""
    if not who.can(Action.SUBMISSION_REVIEW):
        raise NotFound()
    with ctx.db.read() as s:
        found = s.get(t.ReviewFile, review_id)
        if found is None:
            raise NotFound()
        s.expunge(found)
        return found


@dataclass(frozen=True)
class PlayerView:
    """What a player sees of their latest answer to a manual challenge."""

    status: str
    value: int | None
    comment: LocalizedText
    created_at: datetime
    decided_at: datetime | None


def latest_for(ctx: Context, account_id: int | None, challenge_id: int) -> PlayerView | None:
    if account_id is None:
        return None
    with ctx.db.read() as s:
        r = review_queries.for_account(s, account_id, challenge_id)
        if r is None:
            return None
        return PlayerView(r.status, r.value, comment_of(r), r.created_at, r.decided_at)
