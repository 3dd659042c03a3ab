"""Platform operators: a flag on the identity, their own route group, audited inside tenants."""

from __future__ import annotations

import pyotp

from gatehouse import audit
from gatehouse.identity.operators import grant_operator
from gatehouse.identity.permissions import Role
from gatehouse.tenancy import get_directory
from tests.conftest import TenantFixture
from tests.support.browser import Browser

OPERATOR = "ops@gatehouse.test"


def console(api) -> tuple[Browser, str]:  # type: ignore[no-untyped-def]
    """An operator signed in to the console with two-factor done; returns the browser and user id."""
    user = grant_operator(OPERATOR)
    browser = Browser(api)
    assert browser.sign_in(OPERATOR, operator_console=True).status == 201
    blocked = browser.call("GET", "/operator/tenants")
    assert (blocked.status, blocked.json()["error"]["code"]) == (403, "two_factor_required")
    secret = browser.call("POST", "/account/two-factor").json()["secret"]
    confirmed = browser.call("POST", "/account/two-factor/confirm", body={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status == 200, confirmed.body
    return browser, user.user_id


def test_the_console_lists_tenants_but_reaches_no_tenant_data(
    api, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    browser, _ = console(api)
    listed = browser.call("GET", "/operator/tenants")
    assert listed.status == 200, listed.body
    assert {tenant_a.tenant_id, tenant_b.tenant_id} <= {t["tenant_id"] for t in listed.json()["items"]}
    for path in ("/members", "/api-keys", "/audit"):
        reply = browser.call("GET", path)
        assert (reply.status, reply.json()["error"]["code"]) == (403, "forbidden"), path


def test_no_tenant_role_and_no_non_operator_reaches_the_console(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    owner = Browser(api)
    assert owner.sign_in("owner@alpha.test").status == 201
    assert owner.call("GET", "/operator/tenants").status == 403
    assert api("GET", "/operator/tenants", token=tenant_a.keys[Role.OWNER]).status == 403
    # asking for the console without the flag is refused, and the link is not spent
    refused = Browser(api).sign_in("owner@alpha.test", operator_console=True)
    assert (refused.status, refused.json()["error"]["code"]) == (403, "forbidden")
    # "operator" is no role anyone can be given
    invite = api(
        "POST",
        "/invitations",
        token=tenant_a.keys[Role.OWNER],
        body={"email": "x@y.test", "role": "operator"},
    )
    assert invite.status == 422


def test_suspending_stops_the_tenant_and_is_in_its_trail(
    api, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    member = Browser(api)
    assert member.sign_in("member@alpha.test").status == 201
    browser, operator_id = console(api)
    reply = browser.call(
        "POST", f"/operator/tenants/{tenant_a.tenant_id}/suspend", body={"reason": "unpaid invoice"}
    )
    assert reply.status == 200
    assert reply.json()["status"] == "suspended"
    entry = audit.list_entries(tenant_a.tenant_id, limit=1).items[0]
    assert (entry.action, entry.actor.label) == ("tenant.suspended", f"operator:{operator_id}")
    assert entry.changes.after is not None
    assert (entry.changes.after["status"], entry.changes.after["reason"]) == ("suspended", "unpaid invoice")

    for reply in (api("GET", "/members", token=tenant_a.keys[Role.OWNER]), member.call("GET", "/members")):
        assert (reply.status, reply.json()["error"]["code"]) == (403, "tenant_not_active")
    assert api("GET", "/members", token=tenant_b.keys[Role.OWNER]).status == 200
    again = browser.call("POST", f"/operator/tenants/{tenant_a.tenant_id}/suspend", body={"reason": "twice"})
    assert again.status == 409

    assert browser.call("POST", f"/operator/tenants/{tenant_a.tenant_id}/reactivate").status == 200
    assert api("GET", "/members", token=tenant_a.keys[Role.OWNER]).status == 200
    assert audit.list_entries(tenant_a.tenant_id, limit=1).items[0].action == "tenant.reactivated"


def test_support_access_is_read_only_and_every_request_is_audited_in_the_tenant(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    browser, operator_id = console(api)
    console_token = browser.session_token
    entered = browser.call("POST", f"/operator/tenants/{tenant_a.tenant_id}/support-session")
    assert entered.status == 201, entered.body
    assert (
        Browser(api, cookies={"__Host-gatehouse_session": console_token}).call("GET", "/session").status
        == 401
    )

    assert browser.call("GET", "/members").status == 200
    assert browser.call("GET", "/api-keys").status == 200
    for method, path, body in [
        ("POST", "/api-keys", {"name": "support", "role": "viewer"}),
        ("PATCH", f"/members/{tenant_a.users[Role.VIEWER]}", {"role": "admin"}),
        ("POST", "/invitations", {"email": "a@b.test", "role": "owner"}),
        ("PUT", "/security-policy", {"require_two_factor": False}),
    ]:
        reply = browser.call(method, path, body=body)
        assert (reply.status, reply.json()["error"]["message"]) == (403, "support access is read-only"), path
    assert browser.call("GET", "/operator/tenants").status == 403  # inside a tenant, not the console

    trail = audit.list_entries(tenant_a.tenant_id, limit=10).items
    ours = [e for e in trail if e.actor.label == f"operator:{operator_id}"]
    assert [(e.action, e.target.id) for e in ours] == [
        ("operator.support_request", "GET /api-keys"),
        ("operator.support_request", "GET /members"),
        ("operator.support_started", entered.json()["session_id"]),
    ]


def test_withdrawing_the_flag_ends_operator_sessions(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    browser, operator_id = console(api)
    browser.call("POST", f"/operator/tenants/{tenant_a.tenant_id}/support-session")
    directory = get_directory()
    from gatehouse.identity.users import UserIdentity

    user = directory.get(UserIdentity, operator_id, "PROFILE")
    assert user is not None
    directory.save(user.model_copy(update={"is_operator": False}))
    assert browser.call("GET", "/members").status == 401
