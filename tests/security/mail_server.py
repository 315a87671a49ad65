"""A real SMTP server for the mail tests: ``aiosmtpd`` on a free loopback port, in a thread of this
test process, keeping every message it receives. Started and stopped by the fixture that uses it."""

from __future__ import annotations

import dataclasses
import re
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from kizuna.settings import Settings
from kizuna.web.app import create_app

PUBLIC_URL = "https://ctf.example.org"
LINK = re.compile(r"https://\S+")


class Inbox:
    """The handler aiosmtpd calls: every message that reaches the server, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(msg)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages to ``address`` once there are ``count`` (the send is in a background task
        that the test client runs before it returns, so this rarely waits at all)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"{count} message(s) to {address} did not arrive; got {len(self.to(address))}")


def body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def link_in(msg: EmailMessage) -> str:
    found = LINK.findall(body(msg))
    assert found, body(msg)
    return str(found[0])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Browser(TestClient):
    """A browser on the app, over HTTPS as the public URL says (cookies are Secure then). Several
    browsers share one app, so ``with`` does not run the app's lifespan (the live stream's tailer
    and the clock watch belong to one event loop and these tests need neither)."""

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


def browse(app: Any) -> Browser:
    return Browser(app, base_url="https://testserver")


def mail_settings(settings: Settings, port: int, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "mail_from": "Kizuna CTF <ctf@example.org>",
        "public_url": PUBLIC_URL,
    }
    values.update(extra)
    return dataclasses.replace(settings, **values)


def mail_app(settings_and_ctx: tuple[Settings, Any], port: int, **extra: Any) -> Any:
    settings, ctx = settings_and_ctx
    return create_app(mail_settings(settings, port, **extra), ctx)
