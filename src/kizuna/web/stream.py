"""``GET /events``: the live event stream (Server-Sent Events, CTFd's path).

Anyone may open it; each viewer receives only what the policy lets them see (``kizuna.domain.live``).
The first line is ``retry: 3000``; a reconnect with ``Last-Event-ID`` (or ``?last_event_id=``)
resumes from the stored log; an idle stream gets a ``: keep-alive`` comment every 15 seconds. The
frames are described in docs/api.md ("The live stream"). A signed-in stream stays open only while
what opened it holds: it is closed when its API token is revoked or expires, or its account is
banned, hidden or shown, logged out everywhere, moved to another team or given another role
(``LiveHub._revalidate``); the reader reconnects with what it may see now.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import Message, Receive, Scope, Send

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.live import Viewer, speaks_to, withholds_rank
from kizuna.i18n import display_locales, gettext, lazy
from kizuna.security import token_digest
from kizuna.services import sessions
from kizuna.services.accounts import account_id
from kizuna.storage import event_log
from kizuna.web.deps import optional_principal, two_factor_missing
from kizuna.web.errors import error_json
from kizuna.web.live import LiveHub, Stream, StreamLimit
from kizuna.web.live_render import KEEP_ALIVE, RETRY, WITHHELD, Prepared
from kizuna.web.messages import message_for

router = APIRouter(tags=["live"])

UNAVAILABLE = lazy("The live stream is not available right now; try again in a moment.")
TOO_MANY = lazy("Too many live streams are open for your account; close some and try again.")
EVENT_ID = re.compile(r"[0-9]{1,18}")

EXAMPLE = (
    "retry: 3000\n\n"
    "id: 41\nevent: notification\n"
    'data: {"id":7,"title":"Welcome","content":"Good luck!","html":"<p>Good luck!</p>",'
    '"date":"2026-11-28T09:00:00Z","type":"toast","sound":true,"user_id":null,"team_id":null}\n\n'
    "id: 41\nevent: announcement\n"
    'data: {"id":41,"type":"announcement","at":"2026-11-28T09:00:00Z","data":{"notification_id":7},'
    '"names":{},"messages":[{"locale":"en","text":"Welcome"}]}\n\n'
    "id: 42\nevent: solve\n"
    'data: {"id":42,"type":"solve","at":"2026-11-28T10:00:00Z","data":{"challenge_id":3,'
    '"account_id":5,"user_id":9,"first_blood":1,"value":100},'
    '"names":{"challenge":"Warm-up","account":"Team A","user":"alice"},'
    '"messages":[{"locale":"en","text":"First blood! Team A solved Warm-up."}]}\n\n'
    ": keep-alive\n\n"
)
DESCRIPTION = """Server-Sent Events (`text/event-stream`) for live pages, the venue screen and the
activity feed. Anyone may open it: an anonymous reader gets public events, a signed-in one (session
cookie or `Authorization: Token …`) also what the policy lets their role and account see.

The stream starts with `retry: 3000`. Each event is `id: <n>`, `event: <type>`, `data: <one line of
JSON>` — `{id, type, at, data, names, messages}`, with `messages` rendered in the reader's language
(both languages in both-languages mode). An announcement also comes as CTFd's `notification` event,
same id, just before it. Reconnect with the `Last-Event-ID` header (or `?last_event_id=`) to receive
the stored events after that id (at most the newest 1,000 you may see). An idle stream receives a
`: keep-alive` comment every 15 seconds. See docs/api.md for every event type."""

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The event stream (it stays open).",
        "content": {"text/event-stream": {"schema": {"type": "string"}, "example": EXAMPLE}},
    },
    400: {"description": "`Last-Event-ID` is not an event id."},
    401: {"description": "The `Authorization` token is not valid."},
    429: {"description": "This account has too many streams open."},
    503: {"description": "The server is full or stopping; reconnect later."},
}


MAX_SHARED_CHUNKS = 128  # kinds of chunk kept (a batch makes a few: one per language and speaker)


class EventStreamResponse(Response):
    """Writes one stream until it is closed (by the client, the tailer, or the server stopping)."""

    media_type = "text/event-stream"

    def __init__(
        self, hub: LiveHub, stream: Stream, resume_after: int | None, status_code: int = 200
    ) -> None:
        self.status_code = status_code
        self.background = None
        self.hub = hub
        self.stream = stream
        self.resume_after = resume_after
        self.mark = resume_after or 0  # the id line: never goes back, so a reconnect never repeats
        # No Content-Length (the body never ends by itself); no caching or buffering by proxies.
        self.init_headers({"Cache-Control": "no-cache, no-store", "X-Accel-Buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stream = self.stream
        watcher = asyncio.get_running_loop().create_task(self._watch(receive))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            if not await self._write(send, RETRY):
                return
            sent: set[int] = set()
            if self.resume_after is not None:
                resumed = await self.hub.resume(stream, self.resume_after)
                sent = {p.event.id for p in resumed}
                if resumed and not await self._write(send, self._chunk(resumed)):
                    return
            while not stream.closed:
                items = await stream.take()
                if stream.closed:
                    break
                if items is None:
                    chunk = KEEP_ALIVE
                else:
                    chunk = self._chunk(p for p in items if p.event.id not in sent)
                if chunk and not await self._write(send, chunk):
                    return
            await self._write(send, b"", more=False)
        except OSError:  # the client went away (uvicorn raises ClientDisconnected, an OSError)
            stream.close("gone")
        finally:
            self.hub.release(stream)
            watcher.cancel()

    def _chunk(self, items: Iterable[Prepared]) -> bytes:
        """The bytes of ``items`` for this stream. Most streams of a batch get the same events in the
        same languages: the bytes are made once and shared (``LiveHub.chunks``) — with 2,000 streams
        open, making them per stream was a tenth of the worker's time."""
        stream = self.stream
        listed = list(items)
        # Per item: True (with its sentence), False (without), or WITHHELD (a frozen-out solve of
        # the viewer's own, without its blood rank: domain.live.withholds_rank).
        speaks = tuple(
            WITHHELD
            if withholds_rank(item.event, stream.viewer, item.world)
            else speaks_to(item.event, stream.viewer)
            for item in listed
        )
        # The very objects (a resume prepares its own), kept alive with the bytes so no id is reused.
        key = (tuple(map(id, listed)), stream.locales, speaks, self.mark)
        chunks = self.hub.chunks
        found = chunks.get(key)
        if found is not None:
            self.mark, chunk, _kept = found
            return chunk
        parts: list[bytes] = []
        for item, speak in zip(listed, speaks, strict=True):
            self.mark = max(self.mark, item.event.id)
            head = b"id: %d\n" % self.mark
            for body in item.frames(stream.locales, speak):
                parts.append(head + body)
        chunk = b"".join(parts)
        if len(chunks) >= MAX_SHARED_CHUNKS:
            chunks.clear()
        chunks[key] = (self.mark, chunk, listed)
        return chunk

    async def _write(self, send: Send, body: bytes, more: bool = True) -> bool:
        """Send ``body``; False (and the stream closed) when the client takes too long to read it."""
        message: Message = {"type": "http.response.body", "body": body, "more_body": more}
        try:
            async with asyncio.timeout(self.hub.settings.send_timeout):
                await send(message)
        except TimeoutError:
            self.stream.close("slow")
            return False
        self.stream.written_at = asyncio.get_running_loop().time()
        return True

    async def _watch(self, receive: Receive) -> None:
        with contextlib.suppress(Exception):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    break
        self.stream.close("gone")


def _token_digest(request: Request) -> str:
    """The digest of the request's API token, read as ``deps`` reads it (the scheme word ignored)."""
    scheme, _sep, value = (request.headers.get("authorization") or "").strip().partition(" ")
    return token_digest((value or scheme).strip())


def _hidden(request: Request, user_id: int) -> bool:
    with request.app.state.ctx.db.read() as s:
        found = event_log.standings(s, [user_id]).get(user_id)
    return bool(found and found.hidden)


def _resume_point(raw: str | None) -> int | None:
    """The id to resume after: None without one, ValueError when it is not an event id."""
    if raw is None or not raw.strip():
        return None
    if not EVENT_ID.fullmatch(raw.strip()):
        raise ValueError(raw)
    return int(raw.strip())


@router.get(
    "/events",
    summary="The live event stream (Server-Sent Events)",
    description=DESCRIPTION,
    response_class=EventStreamResponse,
    responses=RESPONSES,
)
async def events(
    request: Request,
    last_event_id: Annotated[
        str | None, Query(description="Resume after this event id (the header wins when both are sent).")
    ] = None,
    last_event_id_header: Annotated[
        str | None,
        Header(alias="Last-Event-ID", description="Sent by browsers when they reconnect."),
    ] = None,
    public: Annotated[
        bool,
        Query(
            description="Only what anyone may see, whoever is signed in: for a venue screen or a kiosk "
            "left signed in as staff."
        ),
    ] = False,
) -> Response:
    try:
        after = _resume_point(last_event_id_header if last_event_id_header else last_event_id)
    except ValueError:
        return error_json(400, message_for(DomainError(ErrorCode.VALUE_INVALID)), "last_event_id")
    try:
        who = None if public else await run_in_threadpool(optional_principal, request)
    except DomainError as exc:
        return error_json(exc.status, message_for(exc), exc.field)
    hub: LiveHub | None = getattr(request.app.state, "live", None)
    if hub is None or not hub.running:
        return error_json(503, gettext(UNAVAILABLE))
    role = who.role if who is not None else None
    # A staff session that the event requires to use two-factor authentication, and that has not
    # turned it on, holds no staff rights here either: it hears what a visitor hears.
    if who is not None and await run_in_threadpool(two_factor_missing, request, who):
        role = None
    viewer = Viewer(role, account_id(hub.mode, who.user_id, who.team_id) if who is not None else None)
    via_token = bool(getattr(request.state, "via_token", False))
    # What the stream is re-checked against while it stays open (``LiveHub._revalidate``): the API
    # token it was opened with (revoked or expired: closed) and the account's hiding.
    digest = _token_digest(request) if via_token and who is not None else ""
    # A browser session's stream is closed when that session ends (log-out, even in another tab).
    sid = request.session.get("sid") if who is not None and not via_token else None
    browser = sessions.digest_of(sid) if isinstance(sid, str) and sid else ""
    hidden = bool(who is not None and await run_in_threadpool(_hidden, request, who.user_id))
    # The head of the log now: the stream hears what is stored after it (older events by resuming).
    floor = await run_in_threadpool(hub.head)
    try:
        stream = hub.open(
            viewer,
            display_locales(),
            who,
            via_token=via_token,
            token_digest=digest,
            hidden=hidden,
            session_digest=browser,
            floor=floor,
        )
    except StreamLimit as exc:
        return error_json(exc.status, gettext(TOO_MANY if exc.status == 429 else UNAVAILABLE))
    return EventStreamResponse(hub, stream, after)
