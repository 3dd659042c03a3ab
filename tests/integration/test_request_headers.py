"""Request and response edges: one Authorization header, CORS for the console, safe CSV cells, no echo.

Duplicate Authorization headers were accepted (the last won); a browser preflight could
not send the CSRF header; a response that varies by Origin did not say so; the contacts
export left full-width formula starters as they were; and ``unknown_state`` echoed the
submitted value back.
"""

from __future__ import annotations

import csv
import io

from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture
from tests.support.events import invoke, proxy_event

ORIGIN = "https://app.gatehouse.test"


def test_two_authorization_headers_are_refused(api_module, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    owner, viewer = f"Bearer {tenant_a.keys[Role.OWNER]}", f"Bearer {tenant_a.keys[Role.VIEWER]}"
    repeated = proxy_event("GET", "/api-keys", token=tenant_a.keys[Role.VIEWER])
    repeated["multiValueHeaders"]["Authorization"] = [viewer, owner]
    repeated["headers"]["Authorization"] = owner
    two_spellings = proxy_event("GET", "/api-keys", token=tenant_a.keys[Role.VIEWER])
    two_spellings["headers"]["authorization"] = owner

    for event in (repeated, two_spellings):
        reply = invoke(api_module.lambda_handler, event)
        assert (reply.status, reply.json()["error"]["code"]) == (401, "unauthorized")


def test_a_preflight_may_send_the_csrf_header_and_responses_vary_by_origin(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    preflight = api(
        "OPTIONS",
        "/contacts",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-csrf-token",
        },
    )
    read = api("GET", "/contacts", token=tenant_a.keys[Role.VIEWER], headers={"Origin": ORIGIN})

    allowed = {h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert "x-csrf-token" in allowed
    for reply in (preflight, read):
        assert "Origin" in reply.headers.get("Vary", ""), reply.headers


def test_the_contacts_export_neutralises_full_width_formula_starters(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    owner = tenant_a.keys[Role.OWNER]
    names = ["\uff1dcmd", "\uff0bcmd", "\uff0dcmd", "\uff20cmd"]
    for n, name in enumerate(names):
        reply = api("POST", "/contacts", token=owner, body={"phone": f"+1415555013{n}", "first_name": name})
        assert reply.status == 201, reply.body

    exported = api("GET", "/contacts/export", token=owner).body
    first_names = {row["first_name"] for row in csv.DictReader(io.StringIO(exported))}

    assert first_names == {"'" + name for name in names}


def test_an_unknown_state_is_refused_without_echoing_it(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    owner = tenant_a.keys[Role.OWNER]
    reply = api("POST", "/contacts", token=owner, body={"phone": "+14155550132", "state": "QX"})

    assert (reply.status, reply.json()["error"]["code"]) == (400, "unknown_state")
    assert "QX" not in reply.body

    text = {"Content-Type": "text/plain"}
    listless = api("POST", "/dnc/state-lists/ZZ", token=owner, raw_body="3035550100\n", headers=text)
    assert listless.status == 400, listless.body
    assert listless.json()["error"]["message"] == "no state Do-Not-Call list is known for this state"
    assert "ZZ" not in listless.body
    changes_first = api(
        "POST",
        "/dnc/state-lists/TX",
        token=owner,
        raw_body="A,5125550143\n",
        query={"kind": "change"},
        headers=text,
    )
    assert changes_first.status == 400, changes_first.body
    assert changes_first.json()["error"]["message"] == "load a full file for this state before change files"
