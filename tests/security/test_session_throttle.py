"""Log-in and registration throttling: 429 with ``Retry-After`` and a message in the reader's
language, per account name and per client address, counted exactly under parallel requests on
SQLite and PostgreSQL, in Redis when configured and in the database when Redis is down."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.services import event, throttle
from kizuna.services.throttle import (
    LOGIN_PER_ACCOUNT,
    LOGIN_PER_ADDRESS,
    REGISTER_PER_ADDRESS,
    Throttle,
    Throttled,
)
from kizuna.storage.rate_redis import RedisCounter
from tests.conftest import PASSWORD, _csrf_from

# Small per-address limits keep these tests short; the defaults are generous for venues (settings).
ADDRESS_LIMIT = 12
REGISTER_LIMIT = 5


@pytest.fixture
def small(settings_and_ctx: Any) -> Any:
    """The app with small per-address limits."""
    import dataclasses

    from kizuna.web.app import create_app

    settings, ctx = settings_and_ctx
    return create_app(
        dataclasses.replace(
            settings, failed_logins_per_address=ADDRESS_LIMIT, registrations_per_address=REGISTER_LIMIT
        ),
        ctx,
    )


def try_login(client: TestClient, name: str, password: str, headers: dict[str, str] | None = None) -> Any:
    csrf = _csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": csrf},
        headers=headers or {},
        follow_redirects=False,
    )


def test_failed_log_ins_per_account_get_429_with_retry_after(app: Any, make: Any, ctx: Any) -> None:
    make.user("aoi")
    start = ctx.now().replace(microsecond=0)
    ctx.now = lambda: start
    with TestClient(app) as client:
        for _ in range(LOGIN_PER_ACCOUNT.hits):
            assert try_login(client, "aoi", "wrong-password").status_code == 401
        # Even the right password is not checked now: the account's window is full.
        refused = try_login(client, "aoi", PASSWORD)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == str(LOGIN_PER_ACCOUNT.seconds)
        assert "Too many failed log-ins. Wait 15 minutes and try again." in refused.text
        # The same, in Japanese for a Japanese reader; the name's other spellings count the same.
        client.get("/lang/ja")
        refused = try_login(client, "ＡＯＩ", PASSWORD)
        assert refused.status_code == 429 and "ログインの失敗が多すぎます。" in refused.text
        # Another account from the same address is not affected.
        make.user("ben")
        assert try_login(client, "ben", PASSWORD).status_code == 303
        # When the window ends the account may log in again.
        ctx.now = lambda: start + timedelta(seconds=LOGIN_PER_ACCOUNT.seconds + 1)
        assert try_login(client, "aoi", PASSWORD).status_code == 303


def test_successful_log_ins_do_not_count(app: Any, make: Any) -> None:
    make.user("chie")
    with TestClient(app) as client:
        for _ in range(LOGIN_PER_ACCOUNT.hits + 2):
            assert try_login(client, "chie", PASSWORD).status_code == 303
            client.cookies.clear()


def test_failed_log_ins_per_address_across_account_names(small: Any, make: Any, ctx: Any) -> None:
    start = ctx.now().replace(microsecond=0)
    ctx.now = lambda: start
    with TestClient(small) as client:
        for i in range(ADDRESS_LIMIT):
            assert try_login(client, f"nobody{i}", "wrong-password").status_code == 401
        refused = try_login(client, "someone-else", "wrong-password")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == LOGIN_PER_ADDRESS.seconds


def test_address_from_a_trusted_proxy_only(settings_and_ctx: Any, make: Any) -> None:
    """Behind a trusted proxy each player has their own address; without one, X-Forwarded-For is
    ignored, so a client cannot pick a fresh address for each guess."""
    import dataclasses

    from kizuna.web.app import create_app

    settings, ctx = settings_and_ctx
    settings = dataclasses.replace(settings, failed_logins_per_address=ADDRESS_LIMIT)
    untrusted = create_app(settings, ctx)
    with TestClient(untrusted) as client:
        for i in range(ADDRESS_LIMIT):
            forged = {"X-Forwarded-For": f"198.51.100.{i}"}
            assert try_login(client, f"nobody{i}", "wrong", forged).status_code == 401
        assert try_login(client, "x", "wrong", {"X-Forwarded-For": "198.51.100.200"}).status_code == 429
    proxied = create_app(
        dataclasses.replace(settings, trusted_proxies="testclient-is-not-an-ip, 127.0.0.1"), ctx
    )
    # TestClient's peer is "testclient" (not an address), so it is no trusted proxy: still refused.
    with TestClient(proxied) as client:
        assert try_login(client, "y", "wrong", {"X-Forwarded-For": "198.51.100.201"}).status_code == 429


def test_registration_per_address(small: Any, ctx: Any) -> None:
    event.update_event(ctx, {"registration_open": True})
    with TestClient(small) as client:
        for i in range(REGISTER_LIMIT + 1):
            csrf = _csrf_from(client.get("/register").text)
            data = {"name": f"new{i}", "password": PASSWORD, "confirm": PASSWORD, "csrf_token": csrf}
            if i == 0:
                # A refused form (name too long) does not use up one of the address's accounts.
                bad = client.post("/register", data={**data, "name": "x" * 100}, follow_redirects=False)
                assert bad.status_code == 400
                csrf = _csrf_from(client.get("/register").text)
                data["csrf_token"] = csrf
            r = client.post("/register", data=data, follow_redirects=False)
            client.cookies.clear()
            if i < REGISTER_LIMIT:
                assert r.status_code == 303, (i, r.text)
            else:
                assert r.status_code == 429
                assert 3500 < int(r.headers["Retry-After"]) <= REGISTER_PER_ADDRESS.seconds
                assert "Too many accounts were registered from your network." in r.text


def test_default_per_address_limits_leave_room_for_a_venue() -> None:
    """A venue's players share one public address: the defaults must not lock a room out."""
    from kizuna.settings import Settings

    assert LOGIN_PER_ADDRESS.hits == Settings.failed_logins_per_address >= 100
    assert REGISTER_PER_ADDRESS.hits == Settings.registrations_per_address >= 60


def test_parallel_attempts_are_counted_exactly(backend: str, ctx: Any) -> None:
    """Forty threads released together against a limit of ten: exactly ten pass, on SQLite and
    PostgreSQL (one atomic INSERT … ON CONFLICT DO UPDATE … RETURNING per hit)."""
    gate = Throttle(ctx)
    limit = throttle.Limit("test:parallel", 10, 900, LOGIN_PER_ACCOUNT.error)
    threads = 40
    barrier = threading.Barrier(threads)
    passed: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []

    def attempt(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            gate.take(limit, "victim")
            passed.append(n)
        except Throttled:
            refused.append(n)
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=attempt, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not errors, errors
    assert len(passed) == limit.hits and len(refused) == threads - limit.hits


def test_refund_and_a_new_window(backend: str, ctx: Any) -> None:
    start = ctx.now().replace(microsecond=0)
    ctx.now = lambda: start
    gate = Throttle(ctx)
    limit = throttle.Limit("test:refund", 2, 60, LOGIN_PER_ACCOUNT.error)
    first = gate.take(limit, "s")
    gate.take(limit, "s")
    gate.refund(first)
    gate.take(limit, "s")
    with pytest.raises(Throttled) as caught:
        gate.take(limit, "s")
    assert caught.value.retry_after == 60 and caught.value.status == 429
    ctx.now = lambda: start + timedelta(seconds=30)
    with pytest.raises(Throttled) as caught:
        gate.take(limit, "s")
    assert caught.value.retry_after == 30
    ctx.now = lambda: start + timedelta(seconds=61)
    gate.take(limit, "s")  # a new window


def test_redis_counts_when_configured_and_the_table_when_it_is_down(redis_url: str, ctx: Any) -> None:
    import uuid

    limit = throttle.Limit(f"test:redis:{uuid.uuid4().hex}", 3, 60, LOGIN_PER_ACCOUNT.error)
    counter = RedisCounter(redis_url)
    gate = Throttle(ctx, counter)
    hits = [gate.take(limit, "s") for _ in range(3)]
    assert all(h.backend == "redis" for h in hits)
    with pytest.raises(Throttled) as caught:
        gate.take(limit, "s")
    assert 0 < caught.value.retry_after <= 60
    gate.refund(hits[0])
    # Redis down (nothing listens on this port): the database keeps the limit.
    down = Throttle(ctx, RedisCounter("redis://127.0.0.1:1/0"))
    taken = [down.take(limit, "t") for _ in range(3)]
    assert all(h.backend == "table" for h in taken)
    with pytest.raises(Throttled):
        down.take(limit, "t")
    counter.close()
