"""kizuna.storage.raw runs Core statements on SQLite's driver cursor with SQLAlchemy's own conversions:
rows come back with the types a session gives, parameters go in as SQLAlchemy would send them, a
forgotten parameter is refused instead of stored as NULL, and driver errors are SQLAlchemy's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kizuna.services.context import Context
from kizuna.storage import attempt_queries
from kizuna.storage import tables as t
from kizuna.storage.raw import Raw
from tests.conftest import Factory


def test_rows_and_inserts_match_what_sqlalchemy_does(ctx: Context, make: Factory) -> None:
    assert ctx.db.is_sqlite  # the default database: where the driver's cursor is used
    player, team = make.player_in_team("rawplayer")
    ch = make.challenge(flag="flag{raw}", requirements={"prerequisites": [], "anonymize": False})
    when = datetime(2026, 11, 28, 6, 3, 4, 123456)
    values = {
        "challenge_id": ch.id,
        "user_id": player.id,
        "team_id": team.id,
        "account_id": team.id,
        "ip": "127.0.0.1",
        "provided": "flag{nope}",
        "type": "incorrect",
        "late": True,
        "date": when,
        "flag_id": None,
    }
    with ctx.write() as uow:
        raw_id = attempt_queries._RAW_INSERT_SUBMISSION.insert(uow.session, values)
        core_key = (
            uow.session.connection().execute(attempt_queries._INSERT_SUBMISSION, values).inserted_primary_key
        )
        assert core_key is not None
    with ctx.db.read() as s:
        a, b = (s.get(t.Submission, i) for i in (raw_id, core_key[0]))
        assert a is not None and b is not None
        for column in t.Submission.__table__.columns:
            if column.key != "id":
                assert getattr(a, column.key) == getattr(b, column.key), column.key
        assert a.date == when and a.late is True
        params = {"user_id": player.id, "challenge_id": ch.id}
        raw_rows = attempt_queries._RAW_FACTS.rows(s, params)
        core_rows = s.connection().execute(attempt_queries._FACTS, params).all()
        assert [tuple(r) for r in raw_rows] == [tuple(r) for r in core_rows]
        assert [type(v) for v in raw_rows[0]] == [type(v) for v in core_rows[0]]
        assert raw_rows[0].requirements == {"prerequisites": [], "anonymize": False}
        window = {
            "account_id": team.id,
            "user_id": player.id,
            "challenge_id": ch.id,
            "since": when - timedelta(minutes=1),
            "user_offset": 0,
            "team_offset": 0,
            "account_offset": 0,
        }
        (raw_limits,) = attempt_queries._RAW_LIMITS.rows(s, window)
        core_limits = s.connection().execute(attempt_queries._LIMITS, window).one()
        assert tuple(raw_limits) == tuple(core_limits)


def test_a_forgotten_parameter_is_refused_and_errors_are_sqlalchemys(ctx: Context, make: Factory) -> None:
    assert ctx.db.is_sqlite  # the default database: where the driver's cursor is used
    statement = Raw(attempt_queries._INSERT_SOLVE["sqlite"])  # the attempt path's own solve insert
    with ctx.write() as uow, pytest.raises(ValueError, match="missing parameters"):
        statement.insert(uow.session, {"challenge_id": 1})
    with ctx.write() as uow, pytest.raises(IntegrityError):  # no such challenge: the foreign key says so
        statement.insert(
            uow.session,
            {
                "challenge_id": 999_999,
                "user_id": 1,
                "team_id": None,
                "account_id": 1,
                "submission_id": 999_999,
                "date": datetime.now(UTC).replace(tzinfo=None),
                "value": None,
            },
        )
    with ctx.db.read() as s:
        assert s.execute(select(t.Solve)).first() is None
