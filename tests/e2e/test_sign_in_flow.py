"""A person's first sign-in on the local runtime, over HTTP: invited, link from the outbox,
signed in, two-factor enrolled, signed out, and signed back in with the second factor."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from typing import Any

import pyotp

from local.runtime import LocalRuntime

PERSON = "new.person@demo.gatehouse.test"
SESSION_COOKIE = "__Host-gatehouse_session"
CSRF_COOKIE = "__Host-gatehouse_csrf"


class Browser:
    """Keeps cookies and sends the Origin and CSRF header a same-origin page would."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self.cookies: dict[str, str] = {}

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.runtime.api_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        request.add_header("Origin", self.runtime.api_url)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if CSRF_COOKIE in self.cookies:
            request.add_header("X-CSRF-Token", self.cookies[CSRF_COOKIE])
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                self._keep(response.headers.get_all("Set-Cookie") or [])
                raw = response.read().decode()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read().decode()
            return error.code, json.loads(raw) if raw else None

    def _keep(self, lines: list[str]) -> None:
        for line in lines:
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            assert "HttpOnly" in line or name == CSRF_COOKIE
            assert "Secure" in line
            assert "SameSite=Lax" in line
            if value and "Max-Age=0" not in line:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)


def token_from_outbox(runtime: LocalRuntime, prefix: str) -> str:
    messages = [m for m in runtime.mail() if m["to"] == PERSON]
    assert messages, "nothing in the local outbox for the person"
    found = re.search(rf"{prefix}_[A-Za-z0-9_-]{{43}}", messages[-1]["text"])
    assert found, f"no {prefix} token in the last message"
    return found.group(0)


def sign_in(runtime: LocalRuntime, browser: Browser) -> None:
    status, answer = browser.call("POST", "/sign-in/link", {"email": PERSON})
    assert status == 202, answer
    status, signed_in = browser.call("POST", "/sign-in/session", {"token": token_from_outbox(runtime, "ghm")})
    assert status == 201, signed_in
    assert SESSION_COOKIE in browser.cookies


def test_invited_person_signs_in_enrols_two_factor_and_signs_out(runtime: LocalRuntime) -> None:
    demo = runtime.demo
    assert demo is not None
    owner = Browser(runtime)
    status, invitation = owner.call(
        "POST", "/invitations", {"email": PERSON, "role": "member"}, token=demo.api_key
    )
    assert status == 201, invitation
    assert runtime.outbox.exists()

    person = Browser(runtime)
    status, accepted = person.call(
        "POST", "/invitations/accept", {"token": token_from_outbox(runtime, "ghi")}
    )
    assert status == 201, accepted

    sign_in(runtime, person)
    status, me = person.call("GET", "/session")
    assert status == 200, me
    assert (me["tenant_id"], me["role"], me["two_factor_pending"]) == (demo.tenant_id, "member", False)

    status, enrolment = person.call("POST", "/account/two-factor")
    assert status == 201, enrolment
    totp = pyotp.TOTP(enrolment["secret"])
    status, confirmed = person.call("POST", "/account/two-factor/confirm", {"code": totp.now()})
    assert status == 200, confirmed
    assert len(confirmed["recovery_codes"]) == 10

    status, _ = person.call("DELETE", "/session")
    assert status == 204
    assert SESSION_COOKIE not in person.cookies
    status, error = person.call("GET", "/session")
    assert status == 401
    assert error["error"]["code"] == "unauthorized"

    # Next time the second factor is asked for before anything else.
    sign_in(runtime, person)
    status, error = person.call("GET", "/members")
    assert (status, error["error"]["code"]) == (403, "two_factor_required")
    status, _ = person.call("POST", "/session/two-factor", {"code": totp.at(time.time() + 30)})
    assert status == 200
    status, members = person.call("GET", "/members")
    assert status == 200
    assert PERSON in [m["email"] for m in members["items"]]
    status, _ = person.call("DELETE", "/session")
    assert status == 204

    status, trail = owner.call("GET", "/audit", token=demo.api_key)
    actions = [e["action"] for e in trail["items"]]
    for action in (
        "invitation.created",
        "invitation.accepted",
        "session.started",
        "two_factor.enabled",
        "session.ended",
    ):
        assert action in actions
    assert enrolment["secret"] not in json.dumps(trail)
