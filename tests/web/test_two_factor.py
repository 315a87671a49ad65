"""Two-factor authentication through the pages and the API: turning it on (QR code, key, confirming
code, recovery codes shown once), the code step of the login (wrong, replayed and expired codes,
recovery codes, the limits on wrong codes), turning it off, and the event's requirement for staff
roles — pages redirect, session API calls get a 403 in the reader's language, API tokens are not
affected. The key appears on the setup page only: never in a URL, a cookie, a log or elsewhere."""

from __future__ import annotations

import base64
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.domain import totp
from kizuna.services import event, two_factor
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import tables as t
from tests.conftest import PASSWORD, Factory, _csrf_from, auth, login

START = datetime(2026, 11, 28, 9, 0, 0)
KEY = re.compile(r'<code class="totp-key">([A-Z2-7 ]+)</code>')
COOKIE = "kizuna_session"
RECOVERY = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


class Clock:
    def __init__(self, ctx: Context) -> None:
        self.now = START
        ctx.now = lambda: self.now

    def code(self, secret: str) -> str:
        return totp.totp(totp.secret_key(secret), self.now.replace(tzinfo=UTC).timestamp())

    def tick(self, seconds: int = totp.PERIOD) -> None:
        self.now += timedelta(seconds=seconds)

    def wrong(self, secret: str) -> str:
        """Six digits that are not the code now (nor a neighbouring step's)."""
        key, at = totp.secret_key(secret), self.now.replace(tzinfo=UTC).timestamp()
        near = {totp.totp(key, at + d * totp.PERIOD) for d in (-1, 0, 1)}
        return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


@pytest.fixture
def clock(ctx: Context) -> Clock:
    return Clock(ctx)


def csrf(client: TestClient) -> str:
    return _csrf_from(client.get("/login").text)


def post(client: TestClient, url: str, **data: str) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf(client)}, follow_redirects=False)


def password_step(client: TestClient, name: str, next: str = "") -> Any:
    r = post(client, "/login", name=name, password=PASSWORD, next=next)
    assert r.status_code == 303, r.text
    return r


def code_step(client: TestClient, code: str) -> Any:
    return post(client, "/login/code", code=code)


def logout(client: TestClient) -> None:
    assert post(client, "/logout").status_code == 303


def enable_through_pages(client: TestClient, clock: Clock) -> tuple[str, list[str]]:
    """Set it up as a person would: start, read the key off the page, confirm with a code."""
    started = post(client, "/account/two-factor/setup")
    assert started.status_code == 303 and started.headers["location"] == "/account/two-factor"
    page = client.get("/account/two-factor")
    found = KEY.search(page.text)
    assert found, page.text
    secret = found.group(1).replace(" ", "")
    confirmed = post(client, "/account/two-factor/confirm", code=clock.code(secret))
    assert confirmed.status_code == 200, confirmed.text
    codes = RECOVERY.findall(confirmed.text)
    assert len(codes) == 10
    clock.tick()
    return secret, codes


def enable_directly(ctx: Context, clock: Clock, user: Any) -> tuple[str, list[str]]:
    who = Principal.of(user)
    setup = two_factor.begin_setup(ctx, who)
    codes = two_factor.confirm_setup(ctx, who, clock.code(setup.secret))
    clock.tick()
    return setup.secret, codes


def logged_in(client: TestClient) -> bool:
    r = client.get("/account", follow_redirects=False)
    return r.status_code == 200


def cookie_text(client: TestClient) -> str:
    """The session cookie's content (signed, not encrypted: anyone holding it can read it)."""
    value = client.cookies.get(COOKIE) or ""
    assert value, "no session cookie"
    payload = value.split(".")[0]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8", "replace")


# --- turning it on and logging in ----------------------------------------------------------------


def test_turn_on_then_log_in_with_a_code(
    client: TestClient, ctx: Context, make: Factory, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    make.user("alice")
    login(client, "alice")
    account = client.get("/account")
    assert "Two-factor authentication is off." in account.text
    assert 'href="/account/two-factor"' in account.text

    started = post(client, "/account/two-factor/setup")
    assert started.status_code == 303
    page = client.get("/account/two-factor")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "<svg" in page.text and 'class="qr"' in page.text
    secret = KEY.search(page.text).group(1).replace(" ", "")  # type: ignore[union-attr]
    with ctx.db.read() as s:
        row = s.get(t.User, 1)
        assert row is not None and row.totp_pending == secret and row.totp_secret is None
    # The key is kept on the server, not in the (signed, readable) session cookie.
    assert secret not in cookie_text(client)

    wrong = post(client, "/account/two-factor/confirm", code=clock.wrong(secret))
    assert wrong.status_code == 400 and "That code is not correct." in wrong.text
    assert KEY.search(wrong.text)  # the setup is still shown, to try again

    confirmed = post(client, "/account/two-factor/confirm", code=clock.code(secret))
    assert confirmed.status_code == 200 and confirmed.headers["cache-control"] == "no-store"
    codes = RECOVERY.findall(confirmed.text)
    assert len(codes) == 10 and "they will not be shown again" in confirmed.text
    assert secret not in confirmed.text and not KEY.search(confirmed.text)
    # Shown once: reloading the page shows neither the codes nor the key.
    again = client.get("/account/two-factor")
    assert "Two-factor authentication is on." in again.text and "10 recovery codes left." in again.text
    assert not any(code in again.text for code in codes) and secret not in again.text
    assert "Two-factor authentication is on." in client.get("/account").text

    logout(client)
    clock.tick()
    r = password_step(client, "alice", next="/scoreboard")
    assert r.headers["location"] == "/login/code"
    assert not logged_in(client)  # the password alone does not log in
    assert "Enter the six-digit code" in client.get("/login/code").text
    bad = code_step(client, clock.wrong(secret))
    assert bad.status_code == 400 and "That code is not correct." in bad.text
    assert not logged_in(client)
    good = code_step(client, clock.code(secret))
    assert good.status_code == 303 and good.headers["location"] == "/scoreboard"  # Post/Redirect/Get
    assert logged_in(client)

    # The same code cannot log in again, even from a fresh login.
    used = clock.code(secret)
    logout(client)
    password_step(client, "alice")
    replay = code_step(client, used)
    assert replay.status_code == 400 and "already been used" in replay.text
    assert not logged_in(client)
    clock.tick()
    assert code_step(client, clock.code(secret)).status_code == 303
    assert logged_in(client)

    # The key never reached a URL, a cookie or a log; the recovery codes neither.
    assert secret not in caplog.text and not any(code in caplog.text for code in codes)
    assert secret not in cookie_text(client)


def test_a_recovery_code_logs_in_once(client: TestClient, ctx: Context, make: Factory, clock: Clock) -> None:
    user = make.user("bob")
    _secret, codes = enable_directly(ctx, clock, user)
    password_step(client, "bob")
    r = code_step(client, codes[0].upper())
    assert r.status_code == 303 and r.headers["location"] == "/account/two-factor"
    page = client.get("/account/two-factor")
    assert "You logged in with a recovery code. 9 recovery codes are left" in page.text
    assert "9 recovery codes left." in page.text
    logout(client)
    password_step(client, "bob")
    again = code_step(client, codes[0])
    assert again.status_code == 400 and not logged_in(client)


def test_five_wrong_codes_return_to_the_password_step(
    client: TestClient, ctx: Context, make: Factory, clock: Clock
) -> None:
    user = make.user("carol")
    secret, _ = enable_directly(ctx, clock, user)
    wrong = clock.wrong(secret)
    password_step(client, "carol")
    for _ in range(4):
        assert code_step(client, wrong).status_code == 400
    fifth = code_step(client, wrong)
    assert fifth.status_code == 303 and fifth.headers["location"] == "/login"
    assert "Too many wrong codes. Log in again." in client.get("/login").text
    assert client.get("/login/code", follow_redirects=False).headers["location"] == "/login"
    # Even the right code needs the password step again now.
    assert code_step(client, clock.code(secret)).headers["location"] == "/login"
    assert not logged_in(client)


def test_a_replayed_session_cookie_gains_no_guesses(
    client: TestClient, ctx: Context, make: Factory, clock: Clock
) -> None:
    user = make.user("dave")
    secret, _ = enable_directly(ctx, clock, user)
    wrong = clock.wrong(secret)
    password_step(client, "dave")
    token = csrf(client)
    saved = client.cookies.get(COOKIE) or ""  # the cookie right after the password step
    assert saved

    def replay(code: str) -> Any:
        client.cookies.clear()
        client.cookies.set(COOKIE, saved, domain="testserver.local")
        return client.post("/login/code", data={"code": code, "csrf_token": token}, follow_redirects=False)

    # Four wrong codes at a time from the saved cookie never reach the session's limit of five...
    for _ in range(2 * 4):
        assert replay(wrong).status_code == 400
    # ...but the account counted all of them: two more lock it, whatever the cookie says.
    for _ in range(2):
        replay(wrong)
    locked = replay(clock.code(secret))
    assert locked.status_code == 429
    assert "Too many wrong codes. Try again in 15 minutes." in locked.text
    assert not logged_in(client)


def test_the_code_step_expires(client: TestClient, ctx: Context, make: Factory, clock: Clock) -> None:
    user = make.user("erin")
    secret, _ = enable_directly(ctx, clock, user)
    password_step(client, "erin")
    clock.tick(6 * 60)
    r = code_step(client, clock.code(secret))
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "The time to enter the code ran out. Log in again." in client.get("/login").text
    assert not logged_in(client)


def test_the_code_step_in_japanese(client: TestClient, ctx: Context, make: Factory, clock: Clock) -> None:
    user = make.user("hanako")
    secret, _ = enable_directly(ctx, clock, user)
    client.get("/lang/ja")
    password_step(client, "hanako")
    page = client.get("/login/code")
    assert "二要素認証" in page.text and "認証コード" in page.text and "リカバリーコード" in page.text
    wrong = code_step(client, clock.wrong(secret))
    assert wrong.status_code == 400 and "コードが正しくありません。" in wrong.text
    # Full-width digits typed with a Japanese IME are accepted.
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in clock.code(secret))
    assert code_step(client, full_width).status_code == 303
    assert logged_in(client)


# --- once it is on --------------------------------------------------------------------------------


def test_turn_off_needs_a_code_or_the_password(
    client: TestClient, ctx: Context, make: Factory, clock: Clock
) -> None:
    make.user("frank")
    login(client, "frank")
    secret, _ = enable_through_pages(client, clock)
    wrong = post(client, "/account/two-factor/disable", disable_proof="guess")
    assert wrong.status_code == 400
    assert "neither a current code from your authenticator app nor your password" in wrong.text
    r = post(client, "/account/two-factor/disable", disable_proof=clock.code(secret))
    assert r.status_code == 303 and r.headers["location"] == "/account/two-factor"
    assert "Two-factor authentication is off." in client.get("/account/two-factor").text
    logout(client)
    assert password_step(client, "frank").headers["location"] != "/login/code"
    assert logged_in(client)


def test_new_recovery_codes_through_the_page(
    client: TestClient, ctx: Context, make: Factory, clock: Clock
) -> None:
    make.user("gina")
    login(client, "gina")
    _secret, old = enable_through_pages(client, clock)
    r = post(client, "/account/two-factor/recovery", regenerate_proof=PASSWORD)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    new = RECOVERY.findall(r.text)
    assert len(new) == 10 and not set(new) & set(old)
    assert "The earlier ones no longer work." in r.text
    with ctx.db.read() as s:
        row = s.get(t.User, 1)
        assert row is not None and len(row.totp_recovery or []) == 10


def test_nothing_secret_outside_the_setup_page(
    client: TestClient, ctx: Context, make: Factory, clock: Clock
) -> None:
    admin = make.admin("root")
    user = make.user("ivan")
    login(client, "ivan")
    secret, codes = enable_through_pages(client, clock)
    token = make.token(admin)
    answers = [
        client.get("/account"),
        client.get("/account/two-factor"),
        client.get(f"/users/{user.id}"),
        client.get("/api/v1/users/me"),
        client.get(f"/api/v1/users/{user.id}", headers=auth(token)),
        client.get("/api/v1/users", headers=auth(token)),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.url
        body = answer.text
        assert secret not in body and "totp" not in body.lower(), answer.url
        assert not any(code in body for code in codes), answer.url


# --- the event's requirement ---------------------------------------------------------------------


def test_admins_must_turn_it_on_by_default(
    client: TestClient, ctx: Context, make: Factory, clock: Clock
) -> None:
    event.update_event(ctx, {"two_factor_roles": None})  # the default (the fixtures turn it off)
    admin = make.admin("organiser")
    login(client, "organiser")
    r = client.get("/admin/submissions?page=2", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/account/two-factor?next=/admin/submissions%3Fpage%3D2"
    page = client.get(r.headers["location"])
    assert "Your role requires two-factor authentication. Turn it on to use the staff pages." in page.text
    # A form post is refused the same way, and changes nothing.
    before = event.get_event(ctx).name
    posted = post(client, "/admin/event", name="Changed")
    assert posted.status_code == 303 and posted.headers["location"].startswith("/account/two-factor")
    assert event.get_event(ctx).name == before
    # Staff API calls with the session: 403 with the reason, in the reader's language.
    token = csrf(client)
    api = client.patch("/api/v1/event", json={"name": "Changed"}, headers={"CSRF-Token": token})
    assert api.status_code == 403
    assert api.json()["message"] == (
        "Your role requires two-factor authentication. Turn it on from your account page first."
    )
    ja = client.get("/api/v1/submissions", headers={"Accept-Language": "ja"})
    assert ja.status_code == 403 and "二要素認証" in ja.json()["message"]
    # API tokens are not affected.
    with_token = client.patch("/api/v1/event", json={"name": "By token"}, headers=auth(make.token(admin)))
    assert with_token.status_code == 200, with_token.text
    assert with_token.json()["data"]["two_factor_roles"] == ["admin"]
    # Player pages and the account's own pages still work.
    assert client.get("/account").status_code == 200
    assert client.get("/scoreboard").status_code == 200

    # Turned on, the staff pages open, and `next` leads back.
    setup = post(client, "/account/two-factor/setup", next="/admin/submissions")
    assert setup.headers["location"] == "/account/two-factor?next=/admin/submissions"
    secret = KEY.search(client.get(setup.headers["location"]).text).group(1).replace(" ", "")  # type: ignore[union-attr]
    done = post(client, "/account/two-factor/confirm", code=clock.code(secret), next="/admin/submissions")
    assert '<a href="/admin/submissions">' in done.text
    assert client.get("/admin/submissions").status_code == 200
    assert client.get("/api/v1/submissions").status_code == 200


def test_a_judge_when_the_event_requires_it(
    client: TestClient, ctx: Context, make: Factory, clock: Clock
) -> None:
    event.update_event(ctx, {"two_factor_roles": ["judge"]})
    judge = make.user("judy", role="judge")
    make.admin("boss")
    login(client, "judy")
    assert client.get("/admin/submissions", follow_redirects=False).status_code == 303
    session_api = client.get("/api/v1/submissions")
    assert session_api.status_code == 403 and "two-factor" in session_api.json()["message"]
    assert client.get("/api/v1/submissions", headers=auth(make.token(judge))).status_code == 200
    # Admins are not required to this time.
    logout(client)
    login(client, "boss")
    assert client.get("/admin/submissions").status_code == 200
    # The judge with two-factor authentication on gets in.
    logout(client)
    secret, _ = enable_directly(ctx, clock, judge)
    password_step(client, "judy")
    code_step(client, clock.code(secret))
    assert client.get("/admin/submissions").status_code == 200
    assert client.get("/api/v1/submissions").status_code == 200


def test_players_are_never_asked(client: TestClient, ctx: Context, make: Factory) -> None:
    event.update_event(ctx, {"two_factor_roles": ["admin", "judge", "marshal", "author"]})
    make.player_in_team("pat")
    login(client, "pat")
    assert client.get("/challenges", follow_redirects=False).status_code == 200
    assert client.get("/api/v1/challenges").status_code == 200
    assert client.get("/admin", follow_redirects=False).status_code == 403  # not staff: no setup prompt


def test_the_setting_on_the_event_page_and_api(client: TestClient, ctx: Context, make: Factory) -> None:
    admin = make.admin("chief")
    login(client, "chief")
    page = client.get("/admin/event")
    assert 'id="f-two_factor_judge"' in page.text and 'name="two_factor_shown"' in page.text
    values = {
        "name_en": "Kizuna CTF",
        "mode": "teams",
        "team_size_limit": "4",
        "default_locale": "en",
        "time_zones": "Europe/London",
        "two_factor_shown": "1",
        "two_factor_judge": "1",
        "two_factor_marshal": "1",
    }
    r = post(client, "/admin/event", **values)
    assert r.status_code == 303, r.text
    assert event.get_event(ctx).two_factor_roles == ["judge", "marshal"]
    assert 'id="f-two_factor_judge" name="two_factor_judge" type="checkbox" value="1" checked' in (
        client.get("/admin/event").text
    )
    token = make.token(admin)
    bad = client.patch("/api/v1/event", json={"two_factor_roles": ["player"]}, headers=auth(token))
    assert bad.status_code == 400 and "two_factor_roles" in bad.json()["errors"]
    assert event.get_event(ctx).two_factor_roles == ["judge", "marshal"]
    reset = client.patch("/api/v1/event", json={"two_factor_roles": None}, headers=auth(token))
    assert reset.status_code == 200 and reset.json()["data"]["two_factor_roles"] == ["admin"]
    # The chief (an admin, now required) is sent to set it up.
    assert client.get("/admin/event", follow_redirects=False).status_code == 303
