"""Magic-link sign-in, sessions and CSRF, over the API handler as a browser would use them."""

from __future__ import annotations

import io
import json
import logging
import time
from datetime import timedelta

import pytest

from gatehouse import audit
from gatehouse.clock import utc_now
from gatehouse.errors import Unauthorized
from gatehouse.identity import sessions, sign_in
from gatehouse.identity.caller import operator
from gatehouse.identity.members import add_member
from gatehouse.identity.permissions import Role
from gatehouse.identity.users import find_user_by_email
from gatehouse.observability import logger
from tests.conftest import TenantFixture, outbox
from tests.support.browser import CSRF_COOKIE, SESSION_COOKIE, Browser, set_cookies
from tests.support.mailbox import last_token

OWNER = "owner@alpha.test"


@pytest.fixture
def no_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sign_in, "RESPONSE_FLOOR_SECONDS", 0.0)


def link_for(api, email: str, source_ip: str = "198.51.100.1"):  # type: ignore[no-untyped-def]
    return api("POST", "/sign-in/link", body={"email": email}, source_ip=source_ip)


def test_known_and_unknown_addresses_get_the_same_answer_in_the_same_time(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    def timed(email: str) -> tuple[float, int, dict[str, str]]:
        began = time.monotonic()
        reply = link_for(api, email)
        return time.monotonic() - began, reply.status, reply.json()

    known, unknown = timed(OWNER), timed("nobody@alpha.test")
    assert known[1:] == unknown[1:] == (202, {"status": known[2]["status"]})
    assert min(known[0], unknown[0]) >= sign_in.RESPONSE_FLOOR_SECONDS
    assert [m["to"] for m in outbox()] == [OWNER]  # only the member got mail


def test_a_link_signs_in_once_with_a_hardened_cookie(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(api)
    reply = browser.sign_in(OWNER)
    assert reply.status == 201, reply.body
    cookie = set_cookies(reply)[SESSION_COOKIE]
    for attribute in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age="):
        assert attribute in cookie
    assert "HttpOnly" not in set_cookies(reply)[CSRF_COOKIE]  # the page reads it to send the header
    me = browser.call("GET", "/session")
    assert me.status == 200, me.body
    assert (me.json()["tenant_id"], me.json()["role"]) == (tenant_a.tenant_id, "owner")
    assert browser.call("GET", "/members").status == 200
    assert audit.list_entries(tenant_a.tenant_id, limit=1).items[0].action == "session.started"

    token = last_token(outbox(), OWNER, "sign-in")
    reused = api("POST", "/sign-in/session", body={"token": token})
    assert (reused.status, reused.json()["error"]["message"]) == (401, sign_in.INVALID_LINK)


@pytest.mark.parametrize("how", ["unknown", "mangled", "expired"])
def test_bad_links_all_get_the_same_error_and_no_session(api, tenant_a: TenantFixture, how: str) -> None:  # type: ignore[no-untyped-def]
    sign_in.request_link(OWNER, source_ip=None, sleep=lambda _: None)
    token = last_token(outbox(), OWNER, "sign-in")
    if how == "expired":
        later = utc_now() + sign_in.LINK_LIFETIME + timedelta(seconds=1)
        with pytest.raises(Unauthorized) as refused:
            sign_in.exchange(
                token,
                tenant_id=None,
                operator_console=False,
                request_id="t",
                source_ip=None,
                clock=lambda: later,
            )
        assert refused.value.message == sign_in.INVALID_LINK
        return
    token = "ghm_" + "x" * 43 if how == "unknown" else token[:-2] + "zz"
    reply = api("POST", "/sign-in/session", body={"token": token})
    assert (reply.status, reply.json()["error"]["message"]) == (401, sign_in.INVALID_LINK)
    assert SESSION_COOKIE not in reply.headers.get("Set-Cookie", "")


def test_a_link_cannot_open_a_tenant_the_person_does_not_belong_to(
    api, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    sign_in.request_link(OWNER, source_ip=None, sleep=lambda _: None)
    token = last_token(outbox(), OWNER, "sign-in")
    reply = api("POST", "/sign-in/session", body={"token": token, "tenant_id": tenant_b.tenant_id})
    assert (reply.status, reply.json()["error"]["code"]) == (403, "forbidden")
    assert "Set-Cookie" not in reply.headers
    # The refusal did not spend the link: it still opens the person's own tenant.
    assert api("POST", "/sign-in/session", body={"token": token}).status == 201


def test_a_person_in_several_tenants_chooses_one_and_the_session_is_bound_to_it(
    api, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    user = find_user_by_email(OWNER)
    assert user is not None
    add_member(
        tenant_b.scope,
        operator(tenant_b.tenant_id, "t", request_id="t"),
        user_id=user.user_id,
        email=OWNER,
        role=Role.VIEWER,
    )
    browser = Browser(api)
    undecided = browser.sign_in(OWNER)
    assert undecided.status == 400
    assert {d["tenant_id"] for d in undecided.json()["error"]["details"]} == {
        tenant_a.tenant_id,
        tenant_b.tenant_id,
    }
    token = last_token(outbox(), OWNER, "sign-in")
    assert (
        browser.call(
            "POST", "/sign-in/session", body={"token": token, "tenant_id": tenant_b.tenant_id}
        ).status
        == 201
    )
    assert browser.call("GET", "/session").json()["role"] == "viewer"
    # Bound to tenant B as a viewer: tenant A's owner rights do not come along.
    assert browser.call("GET", "/api-keys").status == 403
    listed = browser.call("GET", "/members").json()["items"]
    assert tenant_a.users[Role.ADMIN] not in json.dumps(listed)


def test_every_sign_in_starts_a_new_session_never_the_presented_one(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(api)
    browser.sign_in(OWNER)
    first = browser.session_token
    browser.sign_in(OWNER)  # the browser still sends the first cookie
    assert browser.session_token != first
    listed = browser.call("GET", "/sessions").json()["items"]
    assert len(listed) == 2
    assert sum(s["current"] for s in listed) == 1


def test_sign_out_ends_the_session_and_clears_the_cookies(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(api)
    browser.sign_in(OWNER)
    token, csrf = browser.session_token, browser.cookies[CSRF_COOKIE]
    reply = browser.call("DELETE", "/session")
    assert reply.status == 204
    assert "Max-Age=0" in set_cookies(reply)[SESSION_COOKIE]
    stale = Browser(api, cookies={SESSION_COOKIE: token, CSRF_COOKIE: csrf})
    assert stale.call("GET", "/members").status == 401


def test_sign_out_everywhere_ends_every_session(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    laptop, phone = Browser(api), Browser(api)
    laptop.sign_in(OWNER)
    phone.sign_in(OWNER)
    assert phone.call("DELETE", "/sessions").json()["ended"] == 2
    assert laptop.call("GET", "/session").status == 401
    assert phone.call("GET", "/session").status == 401


def test_ending_one_session_by_id(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    laptop, phone = Browser(api), Browser(api)
    laptop.sign_in(OWNER)
    phone.sign_in(OWNER)
    laptop_id = laptop.call("GET", "/session").json()["session_id"]
    assert phone.call("DELETE", f"/sessions/{laptop_id}").status == 204
    assert laptop.call("GET", "/session").status == 401
    assert phone.call("GET", "/session").status == 200


def test_nobody_ends_another_persons_session(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    owner, admin = Browser(api), Browser(api)
    owner.sign_in(OWNER)
    admin.sign_in("admin@alpha.test")
    owner_session = owner.call("GET", "/session").json()["session_id"]
    reply = admin.call("DELETE", f"/sessions/{owner_session}")
    assert (reply.status, reply.json()["error"]["code"]) == (404, "not_found")
    assert owner.call("GET", "/session").status == 200
    assert owner_session not in admin.call("GET", "/sessions").body


@pytest.mark.parametrize("forged", ["ghs_" + "A" * 43, "not-a-token", ""])
def test_a_forged_session_cookie_is_refused(api, tenant_a: TenantFixture, forged: str) -> None:  # type: ignore[no-untyped-def]
    reply = Browser(api, cookies={SESSION_COOKIE: forged}).call("GET", "/members")
    assert (reply.status, reply.json()["error"]["code"]) == (401, "unauthorized")


def test_another_tenants_session_cookie_reaches_only_its_own_tenant(
    api, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    bravo = Browser(api)
    bravo.sign_in("owner@bravo.test")
    victim = tenant_a.users[Role.VIEWER]
    reply = bravo.call("PATCH", f"/members/{victim}", body={"role": "member"})
    assert (reply.status, reply.json()["error"]["code"]) == (404, "not_found")
    assert tenant_a.tenant_id not in bravo.call("GET", "/members").body


def test_sessions_expire_when_idle_and_at_their_absolute_end(tenant_a: TenantFixture) -> None:
    issued = sessions.start(
        tenant_a.users[Role.OWNER], tenant_a.tenant_id, two_factor_pending=False, source_ip=None
    )
    now = utc_now()
    sessions.authenticate(issued.token, clock=lambda: now + sessions.IDLE_TIMEOUT - timedelta(minutes=1))
    with pytest.raises(Unauthorized):
        sessions.authenticate(issued.token, clock=lambda: now + 2 * sessions.IDLE_TIMEOUT)
    kept = sessions.start(
        tenant_a.users[Role.OWNER],
        tenant_a.tenant_id,
        two_factor_pending=False,
        source_ip=None,
        clock=lambda: now,
    )
    moment = now
    while moment < now + sessions.LIFETIME - sessions.IDLE_TIMEOUT:  # active all day long
        moment += sessions.IDLE_TIMEOUT - timedelta(minutes=1)
        sessions.authenticate(kept.token, clock=lambda m=moment: m)  # type: ignore[misc]
    with pytest.raises(Unauthorized):
        sessions.authenticate(kept.token, clock=lambda: now + sessions.LIFETIME)


def test_a_removed_member_is_signed_out_at_once(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(api)
    browser.sign_in("viewer@alpha.test")
    assert (
        api("DELETE", f"/members/{tenant_a.users[Role.VIEWER]}", token=tenant_a.keys[Role.OWNER]).status
        == 204
    )
    assert browser.call("GET", "/members").status == 401


# ---------------------------------------------------------------- CSRF
def owner_browser(api) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser(api)
    assert browser.sign_in(OWNER).status == 201
    return browser


def keys_of(api, tenant: TenantFixture) -> list[str]:  # type: ignore[no-untyped-def]
    return [k["key_id"] for k in api("GET", "/api-keys", token=tenant.keys[Role.OWNER]).json()["items"]]


@pytest.mark.parametrize(
    "attack",
    ["foreign origin", "no origin", "no header", "header differs from cookie", "planted cookie and header"],
)
def test_cookie_authenticated_changes_need_origin_and_the_sessions_csrf_token(
    api, tenant_a: TenantFixture, attack: str
) -> None:  # type: ignore[no-untyped-def]
    browser = owner_browser(api)
    before = keys_of(api, tenant_a)
    csrf = True
    headers: dict[str, str] = {}
    if attack == "foreign origin":
        browser.origin = "https://evil.example"
    elif attack == "no origin":
        browser.origin = None
    elif attack == "no header":
        csrf = False
    elif attack == "header differs from cookie":
        csrf, headers = False, {"X-CSRF-Token": "x" * 43}
    else:  # a sibling site set both to a value of its own choosing
        browser.cookies[CSRF_COOKIE] = "y" * 43
    reply = browser.call(
        "POST", "/api-keys", body={"name": "csrf", "role": "viewer"}, csrf=csrf, headers=headers
    )
    assert (reply.status, reply.json()["error"]["code"]) == (403, "csrf_rejected")
    assert keys_of(api, tenant_a) == before


def test_a_same_origin_change_with_the_token_passes_and_reads_need_no_token(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    browser = owner_browser(api)
    assert browser.call("POST", "/api-keys", body={"name": "ok", "role": "viewer"}).status == 201
    browser.origin = None
    assert browser.call("GET", "/api-keys", csrf=False).status == 200


def test_a_foreign_origin_cannot_sign_a_browser_in(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    sign_in.request_link(OWNER, source_ip=None, sleep=lambda _: None)
    token = last_token(outbox(), OWNER, "sign-in")
    reply = api("POST", "/sign-in/session", body={"token": token}, headers={"Origin": "https://evil.example"})
    assert (reply.status, reply.json()["error"]["code"]) == (403, "csrf_rejected")
    assert api("POST", "/sign-in/session", body={"token": token}).status == 201  # not spent


# ---------------------------------------------------------------- rate limits, logs, metrics
def test_link_requests_are_limited_per_address(api, tenant_a: TenantFixture, no_floor: None) -> None:  # type: ignore[no-untyped-def]
    replies = [link_for(api, OWNER, source_ip=f"198.51.100.{n}").status for n in range(7)]
    assert replies == [202] * 5 + [429] * 2
    assert len(outbox()) == 5
    # an unknown address is limited the same way, so the limit says nothing about who exists
    assert [link_for(api, "ghost@alpha.test", source_ip=f"203.0.113.{n}").status for n in range(6)][-1] == 429


def test_link_requests_are_limited_per_source(api, tenant_a: TenantFixture, no_floor: None) -> None:  # type: ignore[no-untyped-def]
    statuses = [link_for(api, f"x{n}@alpha.test", source_ip="192.0.2.9").status for n in range(31)]
    assert statuses[:30] == [202] * 30
    reply = link_for(api, OWNER, source_ip="192.0.2.9")
    assert (reply.status, reply.json()["error"]["code"]) == (429, "rate_limited")
    assert outbox() == []


def test_exchanges_are_limited_per_source(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    # The limit slides over the real clock: attempts split across two 15-minute windows
    # are still judged together, so no start time lets the last one through.
    for _ in range(30):
        api("POST", "/sign-in/session", body={"token": "ghm_" + "q" * 43}, source_ip="192.0.2.77")
    sign_in.request_link(OWNER, source_ip=None, sleep=lambda _: None)
    token = last_token(outbox(), OWNER, "sign-in")
    blocked = api("POST", "/sign-in/session", body={"token": token}, source_ip="192.0.2.77")
    assert blocked.status == 429
    assert api("POST", "/sign-in/session", body={"token": token}, source_ip="192.0.2.78").status == 201


def test_failures_are_logged_without_tokens_and_counted(
    api, tenant_a: TenantFixture, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logger.registered_formatter)
    service = logging.getLogger(logger.name)
    service.addHandler(handler)
    try:
        sign_in.request_link(OWNER, source_ip=None, sleep=lambda _: None)
        token = last_token(outbox(), OWNER, "sign-in")
        api("POST", "/sign-in/session", body={"token": token})
        replayed = api("POST", "/sign-in/session", body={"token": token})
        cookie = Browser(api, cookies={SESSION_COOKIE: "ghs_" + "B" * 43}).call("GET", "/members")
    finally:
        service.removeHandler(handler)
    assert (replayed.status, cookie.status) == (401, 401)
    text = sink.getvalue() + capsys.readouterr().out
    assert "sign-in failed" in text
    assert "session refused" in text
    assert token not in text
    assert token.removeprefix("ghm_") not in text
    assert "B" * 43 not in text
    assert '"SignInFailed"' in text  # the EMF metric the handler flushed
