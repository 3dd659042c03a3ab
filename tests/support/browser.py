"""A browser's view of the API in tests: sign in through the outbox, keep the cookies, send CSRF."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gatehouse.identity import sign_in
from tests.conftest import outbox
from tests.support.events import Reply
from tests.support.mailbox import last_token

ORIGIN = "https://app.gatehouse.test"
SESSION_COOKIE = "__Host-gatehouse_session"
CSRF_COOKIE = "__Host-gatehouse_csrf"


def set_cookies(reply: Reply) -> dict[str, str]:
    """name -> full Set-Cookie line, from a reply."""
    raw = reply.headers.get("Set-Cookie", "")
    lines = [line.strip() for line in raw.split(",") if "=" in line.split(";")[0]]
    return {line.split("=", 1)[0]: line for line in lines}


@dataclass
class Browser:
    api: Callable[..., Reply]
    cookies: dict[str, str] = field(default_factory=dict)
    origin: str | None = ORIGIN

    def call(self, method: str, path: str, *, body: Any = None, csrf: bool = True, **kwargs: Any) -> Reply:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if csrf and CSRF_COOKIE in self.cookies:
            headers["X-CSRF-Token"] = self.cookies[CSRF_COOKIE]
        if self.origin:
            headers["Origin"] = self.origin
        reply = self.api(method, path, body=body, headers=headers, **kwargs)
        for name, line in set_cookies(reply).items():
            value = line.split(";", 1)[0].split("=", 1)[1]
            if "Max-Age=0" in line or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return reply

    def sign_in(self, email: str, **exchange: Any) -> Reply:
        sign_in.request_link(email, source_ip=None, sleep=lambda _: None)
        token = last_token(outbox(), email, "sign-in")
        return self.call("POST", "/sign-in/session", body={"token": token, **exchange})

    @property
    def session_token(self) -> str:
        return self.cookies[SESSION_COOKIE]
