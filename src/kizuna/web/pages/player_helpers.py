"""Small helpers the player pages share: who is asking, safe redirects, and form errors."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse

from kizuna.domain.errors import DomainError
from kizuna.web.messages import message_for

# Field errors keyed by the form field they belong to; "" holds errors about the form as a whole.
FormErrors = dict[str, str]


def safe_next(value: object, default: str = "/") -> str:
    """A redirect target that stays on this site: a local absolute path, never ``//host`` or a URL.

    Anything else (another host, a scheme, back-slashes that browsers read as ``/``, control
    characters) falls back to ``default`` so a crafted link cannot send people elsewhere."""
    text = str(value or "")
    if not text.startswith("/") or text.startswith("//") or "\\" in text:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        return default
    parts = urlsplit(text)
    if parts.scheme or parts.netloc:
        return default
    return text


def here(request: Request) -> str:
    """The current page as a local path with its query string."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def login_redirect(request: Request) -> RedirectResponse:
    """Pages send anonymous visitors to the login form, remembering where they were going."""
    target = here(request) if request.method == "GET" else "/"
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def errors_of(exc: DomainError, default_field: str = "") -> FormErrors:
    """The sentence for a domain error, placed next to the field it names."""
    return {exc.field or default_field: message_for(exc)}


def text(form: dict[str, object], key: str) -> str:
    """One text field of a submitted form ("" when absent or sent several times)."""
    value = form.get(key, "")
    return value if isinstance(value, str) else ""
