"""The hot reads (kizuna.services.hot) answer exactly as the ORM reads they stand in for, and see a
change at once — made through the same Database object or through another one (another worker or
replica)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.services import accounts, event
from kizuna.services.context import Context
from kizuna.services.hot import HotCache
from kizuna.storage import tables as t
from kizuna.storage.db import Database, bump
from kizuna.storage.hot_reads import NeedsThread, on_loop
from kizuna.web.app import build_context
from tests.conftest import Factory, record_solve


@pytest.fixture
def other(settings_and_ctx: tuple[Any, Context]) -> Iterator[Context]:
    """A second context on the same database: what another process would use."""
    second = build_context(settings_and_ctx[0], Database(settings_and_ctx[1].db.url))
    yield second
    second.db.dispose()


def _code(exc: pytest.ExceptionInfo[DomainError]) -> ErrorCode:
    return exc.value.code


def test_token_principal_equals_resolve_token(backend: str, ctx: Context, make: Factory) -> None:
    user = make.user("alice")
    token = make.token(user)
    hot = HotCache(ctx)
    assert hot.principal(token) == accounts.Principal.of(accounts.resolve_token(ctx, token))
    assert hot.principal(f"  {token} ") == hot.principal(token)  # reused, same answer
    with pytest.raises(DomainError) as bad:
        hot.principal(token + "x")
    assert _code(bad) is ErrorCode.TOKEN_INVALID and bad.value.status == 401


def test_a_ban_a_rename_and_a_deleted_token_take_effect_at_once(
    backend: str, ctx: Context, other: Context, make: Factory
) -> None:
    user = make.user("bob")
    admin = make.admin()
    token = make.token(user)
    hot = HotCache(ctx)
    assert hot.principal(token).name == "bob"
    accounts.update_user(other, user.id, {"name": "robert"})  # another process renames
    assert hot.principal(token).name == "robert"
    accounts.update_user(other, user.id, {"banned": True})
    with pytest.raises(DomainError) as banned:
        hot.principal(token)
    assert _code(banned) is ErrorCode.ACCOUNT_BANNED
    accounts.update_user(other, user.id, {"banned": False})
    assert hot.principal(token).name == "robert"
    with other.db.read() as s:
        token_id = s.query(t.Token).filter(t.Token.user_id == user.id).one().id
    accounts.delete_token(other, token_id, accounts.Principal.of(admin))
    with pytest.raises(DomainError) as gone:
        hot.principal(token)
    assert _code(gone) is ErrorCode.TOKEN_INVALID


def test_an_expired_token_is_refused_even_when_cached(backend: str, ctx: Context, make: Factory) -> None:
    user = make.user()
    issued = accounts.create_token(ctx, user.id, expires_in_days=1)
    hot = HotCache(ctx)
    assert hot.principal(issued.value).user_id == user.id
    later = ctx.now() + timedelta(days=2)
    ctx.now = lambda: later  # type: ignore[method-assign]
    with pytest.raises(DomainError) as expired:
        hot.principal(issued.value)
    assert _code(expired) is ErrorCode.TOKEN_EXPIRED


def test_event_settings_and_revisions_are_never_stale(
    backend: str, ctx: Context, other: Context, make: Factory
) -> None:
    hot = HotCache(ctx)
    revisions, ev = hot.state()
    assert ev.mode == event.get_event(ctx).mode
    new_mode = "users" if ev.mode == "teams" else "teams"
    event.update_event(other, {"mode": new_mode})
    assert hot.state()[1].mode == new_mode
    user = make.user()
    ch = make.challenge()
    with other.write() as uow:
        record_solve(uow, ch.id, user, None, other.now())
    after, _ = hot.state()
    assert after["scoreboard"] > revisions.get("scoreboard", 0)
    assert hot.solved(user.id) == {ch.id}
    assert hot.solved(None) == set()


def test_reads_work_on_the_database_object_alone(backend: str, ctx: Context) -> None:
    from kizuna.storage.hot_reads import HotReads

    reads = HotReads(Database(ctx.db.url))
    try:
        revisions, fingerprint = reads.state()
        assert fingerprint is not None and isinstance(revisions, dict)
        assert reads.token("0" * 64) is None
    finally:
        reads.db.dispose()


def test_a_first_seen_token_is_typed_as_a_session_would_type_it(
    backend: str, ctx: Context, make: Factory
) -> None:
    """The principal of a token seen for the first time is built from the row just read (no ORM
    read): every column of the token and of its account has the value and type the ORM gives."""
    user = make.user("typed")
    issued = accounts.create_token(ctx, user.id, expires_in_days=3)
    with ctx.write() as uow:
        row = uow.session.get(t.User, user.id)
        assert row is not None
        row.email_verified_at = ctx.now()
        row.totp_recovery = ["a1", "b2"]
        row.hidden = True
    hot = HotCache(ctx)
    raw = hot.reads.token(accounts.token_digest(issued.value))
    assert raw is not None
    token_values, user_values = hot.reads.token_values(raw)
    with ctx.db.read() as s:
        token = s.query(t.Token).filter(t.Token.user_id == user.id).one()
        orm_user = s.get(t.User, user.id)
        assert orm_user is not None
        for column in t.Token.__table__.columns:
            assert token_values[column.key] == getattr(token, column.key), column.key
            assert type(token_values[column.key]) is type(getattr(token, column.key)), column.key
        for column in t.User.__table__.columns:
            assert user_values[column.key] == getattr(orm_user, column.key), column.key
            assert type(user_values[column.key]) is type(getattr(orm_user, column.key)), column.key
    assert hot.principal(issued.value) == accounts.Principal.of(orm_user)
    assert hot.principal(issued.value).email_verified


def test_on_the_event_loop_reads_never_wait(
    backend: str, ctx: Context, other: Context, make: Factory
) -> None:
    """``on_loop``: on a file-backed SQLite database the hot reads run on the loop's own connection and
    see another process's commits at once; anything that would open a session or wait says
    NeedsThread instead. On PostgreSQL everything goes to a worker thread."""
    user = make.user("looper")
    token = make.token(user)
    ch = make.challenge()
    hot = HotCache(ctx)
    hot.state()  # the typed event row, loaded once on a thread
    flag = on_loop.set(True)
    try:
        if backend != "sqlite":
            assert not hot.reads.loop_capable
            with pytest.raises(NeedsThread):
                hot.state()
            return
        assert hot.reads.loop_capable
        before, _ = hot.state()
        assert hot.principal(token).name == "looper"  # first seen: typed from the row, on the loop
        assert hot.solved(user.id) == set()
        for _ in range(2):  # remembered until something is committed…
            assert hot.state()[0] == before and hot.solved(user.id) == set()
        accounts.update_user(other, user.id, {"name": "looper2"})  # …by anyone: another process here
        assert hot.principal(token).name == "looper2"
        with other.write() as uow:
            record_solve(uow, ch.id, user, None, other.now())
            bump(uow.session, "scoreboard")
        after, _ = hot.state()  # another process's commit, seen at once
        assert after["scoreboard"] > before.get("scoreboard", 0)
        assert hot.solved(user.id) == {ch.id}
        event.update_event(other, {"mode": "users" if hot.state()[1].mode == "teams" else "teams"})
        with pytest.raises(NeedsThread):
            hot.state()  # the typed event row must be loaded again: not on the loop
        # A broken loop connection is dropped, the read goes to a thread, and the next one reconnects.
        hot.reads._local.conn.dbapi_connection.close()
        with pytest.raises(NeedsThread):
            hot.solved(user.id)
        assert hot.reads._local.conn is None
        assert hot.solved(user.id) == {ch.id}
    finally:
        on_loop.reset(flag)
    assert hot.state()[1].mode == event.get_event(ctx).mode  # on a thread: loaded


def test_a_connection_the_server_dropped_is_replaced_at_once(
    backend: str, ctx: Context, make: Factory
) -> None:
    """PostgreSQL's hot reads have their own pool that does not ping before each checkout (one round
    trip per read): a connection the server dropped — a restarted database — is replaced and the read
    done again, and the caller never sees the drop."""
    user = make.user("dropped")
    token = make.token(user)
    hot = HotCache(ctx)
    assert hot.principal(token).user_id == user.id
    hot.state()
    if backend == "postgresql":
        assert ctx.db.hot_engine is not ctx.db.engine
        # Several idle connections in the hot pool (as under load), all of which the server drops:
        # the second try must not take the next dead one.
        held = [ctx.db.hot_engine.raw_connection() for _ in range(3)]
        for conn in held:
            conn.close()
        with ctx.db.engine.connect() as conn:
            ended = conn.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).scalar()
        assert ended
    else:
        assert ctx.db.hot_engine is ctx.db.engine
    for _ in range(3):  # every pooled connection the server dropped, one after another
        assert hot.principal(token).user_id == user.id
        assert hot.state()[1] is not None
        assert hot.solved(user.id) == set()
