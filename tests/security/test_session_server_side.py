"""Server-side sessions: logging out ends the session for every copy of its cookie; a password
change, a ban, a role change, a two-factor reset and "sign out everywhere else" end the account's
other sessions; a session expires 14 days after logging in; the two-factor login makes no session
until the code is right; over HTTPS the cookie is Secure and ``__Host-``-prefixed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from kizuna.services import accounts, moderation, sessions, two_factor
from kizuna.services.accounts import Principal
from kizuna.storage import session_queries
from kizuna.storage import tables as t
from kizuna.web.app import create_app
from tests.conftest import PASSWORD, _csrf_from, login
from tests.web.test_two_factor import Clock, code_step, enable_directly, password_step

COOKIE = "kizuna_session"


def signed_in(client: TestClient) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


def copy_of(app: Any, client: TestClient) -> TestClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    other = TestClient(app)
    other.cookies.set(COOKIE, client.cookies.get(COOKIE) or "")
    return other


def session_rows(ctx: Any, user_id: int) -> int:
    with ctx.db.read() as s:
        return s.query(t.WebSession).filter(t.WebSession.user_id == user_id).count()


def test_log_out_ends_the_session_for_a_copied_cookie_too(
    backend: str, app: Any, make: Any, ctx: Any
) -> None:
    user = make.user("aoi")
    with TestClient(app) as browser:
        csrf = login(browser, "aoi")
        thief = copy_of(app, browser)
        assert signed_in(thief)  # the copy works while the session lives ...
        with ctx.db.read() as s:
            row = s.query(t.WebSession).filter(t.WebSession.user_id == user.id).one()
        # Only a digest of the id is stored; the cookie carries the id itself.
        assert row.digest not in (browser.cookies.get(COOKIE) or "")
        assert len(row.digest) == 64 and row.user_agent and row.address == "testclient"
        assert browser.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
        assert not signed_in(browser)
        assert not signed_in(thief)  # ... and stops with it: the row is gone
        assert session_rows(ctx, user.id) == 0
        # The API answers the copied cookie as a visitor's too.
        assert thief.get("/api/v1/users/me").status_code == 401


def test_password_change_ends_every_other_session_and_keeps_this_one(app: Any, make: Any, ctx: Any) -> None:
    make.user("ban")
    with TestClient(app) as mine, TestClient(app) as other:
        csrf = login(mine, "ban")
        login(other, "ban")
        copied = copy_of(app, mine)
        r = mine.post(
            "/account/password",
            data={
                "password": PASSWORD,
                "new_password": "another-long-pass",
                "confirm": "another-long-pass",
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        assert signed_in(mine)  # this browser got a new session
        assert not signed_in(other) and not signed_in(copied)  # the old cookie of this browser too


def test_api_password_change_keeps_the_browser_signed_in(app: Any, make: Any) -> None:
    make.user("chie")
    with TestClient(app) as mine, TestClient(app) as other:
        csrf = login(mine, "chie")
        login(other, "chie")
        r = mine.patch(
            "/api/v1/users/me",
            json={"password": "another-long-pass", "confirm": PASSWORD},
            headers={"CSRF-Token": csrf},
        )
        assert r.status_code == 200, r.text
        assert mine.get("/api/v1/users/me").status_code == 200
        assert not signed_in(other)


def test_ban_role_change_and_two_factor_reset_end_sessions(app: Any, make: Any, ctx: Any) -> None:
    admin = make.admin("root")
    who = Principal.of(admin)
    for name, end in (
        ("dai", lambda u: accounts.update_user(ctx, u.id, {"banned": True})),
        ("eri", lambda u: moderation.change_role(ctx, who, u.id, "author")),
        ("fumi", lambda u: accounts.update_user(ctx, u.id, {"password": "admin-set-password"})),
    ):
        user = make.user(name)
        with TestClient(app) as browser:
            login(browser, name)
            assert signed_in(browser)
            end(user)
            assert not signed_in(browser), name
            assert session_rows(ctx, user.id) == 0, name
    clock = Clock(ctx)
    user = make.user("gin")
    enable_directly(ctx, clock, user)
    with TestClient(app) as browser:
        password_step(browser, "gin")
        assert code_step(browser, clock.code(two_factor_secret(ctx, user.id))).status_code == 303
        assert signed_in(browser)
        two_factor.reset(ctx, user.id, who)
        assert not signed_in(browser)


def two_factor_secret(ctx: Any, user_id: int) -> str:
    with ctx.db.read() as s:
        secret = s.get(t.User, user_id).totp_secret
    assert secret
    return str(secret)


def test_two_factor_login_makes_no_session_before_the_code(app: Any, make: Any, ctx: Any) -> None:
    clock = Clock(ctx)
    user = make.user("hana")
    secret, _codes = enable_directly(ctx, clock, user)
    with TestClient(app) as browser:
        password_step(browser, "hana")
        assert session_rows(ctx, user.id) == 0
        assert not signed_in(browser)
        assert code_step(browser, clock.wrong(secret)).status_code == 400
        assert session_rows(ctx, user.id) == 0
        assert code_step(browser, clock.code(secret)).status_code == 303
        assert session_rows(ctx, user.id) == 1
        assert signed_in(browser)


def test_sign_out_everywhere_else_from_the_account_page(app: Any, make: Any, ctx: Any) -> None:
    user = make.user("ichi")
    with TestClient(app) as mine, TestClient(app) as phone:
        login(phone, "ichi")
        csrf = login(mine, "ichi")
        page = mine.get("/account").text
        assert "Signed-in browsers" in page and "this browser" in page
        assert page.count("testclient") >= 2  # both browsers listed, with their address
        r = mine.post("/account/sessions/end-others", data={"csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303
        assert signed_in(mine) and not signed_in(phone)
        assert session_rows(ctx, user.id) == 1
        # Without the CSRF token nothing happens.
        login(phone, "ichi")
        assert mine.post("/account/sessions/end-others", data={}).status_code == 403
        assert signed_in(phone)


def test_a_session_expires_fourteen_days_after_logging_in(app: Any, make: Any, ctx: Any) -> None:
    make.user("jiro")
    start = ctx.now()
    ctx.now = lambda: start
    with TestClient(app) as browser:
        login(browser, "jiro")
        ctx.now = lambda: start + timedelta(days=13, hours=23)
        assert signed_in(browser)
        ctx.now = lambda: start + timedelta(days=14, seconds=1)
        assert not signed_in(browser)


def test_last_seen_is_written_at_most_once_a_minute(app: Any, make: Any, ctx: Any) -> None:
    user = make.user("kai")
    start = ctx.now()
    ctx.now = lambda: start
    with TestClient(app) as browser:
        login(browser, "kai")
        writes = []
        real = ctx.db.write

        def counting() -> Any:
            writes.append(1)
            return real()

        ctx.db.write = counting
        try:
            for _ in range(3):
                assert signed_in(browser)
            assert writes == []  # reading pages within the minute writes nothing
            ctx.now = lambda: start + timedelta(seconds=61)
            signed_in(browser)
            signed_in(browser)
            assert len(writes) == 1
        finally:
            ctx.db.write = real
    with ctx.db.read() as s:
        assert s.query(t.WebSession).filter(
            t.WebSession.user_id == user.id
        ).one().last_seen_at == start + timedelta(seconds=61)


def test_expired_sessions_are_purged_in_bounded_batches(backend: str, make: Any, ctx: Any) -> None:
    user = make.user("kei")
    old = ctx.now() - timedelta(days=30)
    with ctx.db.write() as s:
        for i in range(session_queries.PURGE_BATCH + 50):
            s.add(
                t.WebSession(
                    digest=f"{i:064d}", user_id=user.id, created_at=old, last_seen_at=old, expires_at=old
                )
            )
    sessions.start(ctx, user.id)  # a log-in purges one batch
    assert session_rows(ctx, user.id) == 51
    sessions.start(ctx, user.id)
    assert session_rows(ctx, user.id) == 2


def test_a_signed_cookie_without_a_live_session_signs_no_one_in(
    settings_and_ctx: Any, app: Any, make: Any
) -> None:
    """A cookie signed with the right key but naming no live session (one from before server-side
    sessions, or a session id that was logged out) does not sign anyone in."""
    import base64
    import json

    from itsdangerous import TimestampSigner

    settings, _ctx = settings_and_ctx
    user = make.user("lin")

    def cookie(data: dict[str, Any]) -> str:
        payload = base64.b64encode(json.dumps(data).encode())
        return TimestampSigner(settings.secret_key).sign(payload).decode()

    with TestClient(app) as browser:
        browser.cookies.set(COOKIE, cookie({"uid": user.id, "sv": user.session_version}))
        assert not signed_in(browser)
        browser.cookies.set(COOKIE, cookie({"uid": user.id, "sv": user.session_version, "sid": "x" * 43}))
        assert not signed_in(browser)


def test_cookie_is_secure_and_host_prefixed_over_https(settings_and_ctx: Any, make: Any) -> None:
    import dataclasses

    settings, ctx = settings_and_ctx
    make.user("mio")
    https = dataclasses.replace(settings, public_url="https://ctf.example.org")
    app = create_app(https, ctx)
    with TestClient(app, base_url="https://testserver") as browser:
        page = browser.get("/login")
        csrf = _csrf_from(page.text)
        r = browser.post(
            "/login", data={"name": "mio", "password": PASSWORD, "csrf_token": csrf}, follow_redirects=False
        )
        assert r.status_code == 303
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-kizuna_session="), cookie
        assert "secure" in cookie.lower() and "path=/" in cookie.lower() and "domain" not in cookie.lower()
        assert browser.get("/account", follow_redirects=False).status_code == 200
        lang = browser.get("/lang/ja", follow_redirects=False).headers.get_list("set-cookie")
        assert lang and all("secure" in c.lower() for c in lang)
    plain = create_app(settings, ctx)
    with TestClient(plain) as browser:
        r = browser.get("/lang/ja", follow_redirects=False)
        assert all("secure" not in c.lower() for c in r.headers.get_list("set-cookie"))
        login(browser, "mio")
        assert browser.cookies.get(COOKIE)
