"""The review queue's statements (``services.reviews``): opening a review, deciding it once, and
reading the queue and an account's decisions. Opening and deciding are single statements whose
outcome says whether they won: a second waiting answer of the same account and challenge meets the
unique key on (challenge, open_account) and inserts nothing; a second decision finds the review no
longer pending and updates nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kizuna.storage import tables as t

_review = t.Base.metadata.tables["reviews"]


def has_pending(session: Session, challenge_id: int, account_id: int) -> bool:
    stmt = select(t.Review.id).where(
        t.Review.challenge_id == challenge_id, t.Review.open_account == account_id
    )
    return session.execute(stmt).first() is not None


def insert_review(session: Session, values: dict[str, Any]) -> int | None:
    """Insert a waiting review; its id, or None when the account already has one waiting for the
    challenge (``ON CONFLICT DO NOTHING`` on the unique key)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(_review)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[_review.c.challenge_id, _review.c.open_account])
        .returning(_review.c.id)
    )
    row = session.execute(stmt).first()
    return None if row is None else int(row[0])


def decide(
    session: Session,
    review_id: int,
    *,
    status: str,
    judge_id: int | None,
    value: int | None,
    comment: str,
    comment_locale: str,
    comment_translations: dict[str, Any] | None,
    now: datetime,
) -> bool:
    """Record the decision if the review is still pending; whether this call decided it."""
    stmt = (
        update(_review)
        .where(_review.c.id == review_id, _review.c.status == "pending")
        .values(
            status=status,
            open_account=None,
            judge_id=judge_id,
            value=value,
            comment=comment,
            comment_locale=comment_locale,
            comment_translations=comment_translations,
            decided_at=now,
        )
    )
    return session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]


def queue(
    session: Session, status: str | None, limit: int = 200, review_id: int | None = None
) -> list[tuple[t.Review, t.Submission]]:
    """Reviews (oldest waiting first; decided ones newest first) with their submissions; with
    ``review_id``, that one alone."""
    stmt = select(t.Review, t.Submission).join(t.Submission, t.Submission.id == t.Review.submission_id)
    if review_id is not None:
        stmt = stmt.where(t.Review.id == review_id)
    if status is not None:
        stmt = stmt.where(t.Review.status == status)
    order = t.Review.created_at.asc() if status == "pending" else t.Review.created_at.desc()
    stmt = stmt.order_by(order, t.Review.id).limit(limit)
    return [(r, sub) for r, sub in session.execute(stmt)]


def for_account(session: Session, account_id: int, challenge_id: int) -> t.Review | None:
    """The account's latest answer to the challenge."""
    stmt = (
        select(t.Review)
        .where(t.Review.account_id == account_id, t.Review.challenge_id == challenge_id)
        .order_by(t.Review.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def file_info(session: Session, review_ids: list[int]) -> dict[int, tuple[str, str, int]]:
    """(name, type, size) of the files sent with these reviews, without their data."""
    if not review_ids:
        return {}
    stmt = select(
        t.ReviewFile.review_id, t.ReviewFile.name, t.ReviewFile.content_type, t.ReviewFile.size
    ).where(t.ReviewFile.review_id.in_(review_ids))
    return {rid: (name, ctype, size) for rid, name, ctype, size in session.execute(stmt)}
