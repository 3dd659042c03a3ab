"""Campaigns through the API: strict settings, and a lifecycle in which a send never starts itself."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse import audit
from gatehouse.identity.permissions import Role
from gatehouse.identity.two_factor import SecurityPolicy
from tests.conftest import TenantFixture

SMS = {
    "name": "Spring promo",
    "channel": "sms",
    "audience": {"tag": "vip"},
    "content": {"kind": "sms", "template": "Hi {first_name}, 20% off this week. Reply STOP to opt out."},
    "senders": {"numbers": ["+14155550100"]},
    "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "10:00", "end": "18:00"}],
    "max_attempts_per_contact": 1,
}


def key(tenant: TenantFixture, role: Role) -> str:
    return tenant.keys[role]


def created(api, tenant: TenantFixture, role: Role = Role.MEMBER) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    reply = api("POST", "/campaigns", body=SMS, token=key(tenant, role))
    assert reply.status == 201, reply.body
    return reply.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"content": {"kind": "sms", "template": "Hi {first_name}, 20% off."}}, "template"),
        ({"content": {"kind": "sms", "template": "Hi {ssn}. Reply STOP to opt out."}}, "template"),
        ({"content": {"kind": "sms", "template": "Hi {first_name. Reply STOP to opt out."}}, "template"),
        ({"content": {"kind": "voice", "agent_id": "agent_1234"}}, "*"),
        ({"windows": [{"days": ["mon"], "start": "18:00", "end": "10:00"}]}, "windows"),
        ({"windows": []}, "windows"),
        ({"audience": {"tag": "vip", "contact_ids": ["con_" + "a" * 26]}}, "audience"),
        ({"senders": {}}, "senders"),
        ({"max_attempts_per_contact": 0}, "max_attempts_per_contact"),
        ({"surprise": 1}, "surprise"),
    ],
    ids=[
        "no-opt-out",
        "unknown-field",
        "braces",
        "voice-content",
        "window",
        "no-window",
        "audience",
        "senders",
        "attempts",
        "unknown",
    ],
)
def test_bad_settings_get_a_clear_422_and_nothing_is_stored(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, change: dict[str, Any], field: str
) -> None:
    reply = api("POST", "/campaigns", body={**SMS, **change}, token=key(tenant_a, Role.OWNER))
    assert reply.status == 422, reply.body
    if field != "*":
        assert any(field in d["field"] for d in reply.json()["error"]["details"]), reply.body
    assert api("GET", "/campaigns", token=key(tenant_a, Role.OWNER)).json()["items"] == []


def test_draft_to_approved_and_an_edit_sends_it_back_to_draft(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    campaign = created(api, tenant_a)
    path = f"/campaigns/{campaign['campaign_id']}"
    assert campaign["status"] == "draft"
    assert api("POST", f"{path}/approve", token=key(tenant_a, Role.ADMIN)).status == 409  # not submitted
    assert api("POST", f"{path}/submit", token=key(tenant_a, Role.MEMBER)).json()["status"] == "submitted"
    assert api("POST", f"{path}/approve", token=key(tenant_a, Role.MEMBER)).status == 403
    approved = api("POST", f"{path}/approve", token=key(tenant_a, Role.ADMIN)).json()
    assert (approved["status"], approved["approved_by"].startswith("api_key:")) == ("approved", True)

    edited = api(
        "PUT", path, body={**SMS, "name": "Spring promo v2"}, token=key(tenant_a, Role.MEMBER)
    ).json()
    assert (edited["status"], edited["approved_by"]) == ("draft", None)  # what runs is what was approved
    assert [h["status"] for h in edited["history"]] == ["draft", "submitted", "approved", "draft"]

    api("POST", f"{path}/submit", token=key(tenant_a, Role.MEMBER))
    rejected = api(
        "POST", f"{path}/reject", body={"reason": "wrong audience"}, token=key(tenant_a, Role.OWNER)
    )
    assert (rejected.json()["status"], rejected.json()["history"][-1]["reason"]) == (
        "draft",
        "wrong audience",
    )
    assert api("POST", f"{path}/cancel", token=key(tenant_a, Role.MEMBER)).json()["status"] == "cancelled"
    assert api("POST", f"{path}/submit", token=key(tenant_a, Role.MEMBER)).status == 409
    assert api("PUT", path, body=SMS, token=key(tenant_a, Role.MEMBER)).status == 409

    actions = [
        e.action
        for e in audit.list_entries(tenant_a.tenant_id, limit=100).items
        if e.target.type == "campaign"
    ]
    assert list(reversed(actions)) == [  # the log lists newest first
        "campaign.created",
        "campaign.submitted",
        "campaign.approved",
        "campaign.edited",
        "campaign.submitted",
        "campaign.rejected",
        "campaign.cancelled",
    ]


def test_four_eyes_keeps_the_submitter_from_approving(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    assert (
        api("PUT", "/campaign-policy", body={"four_eyes": True}, token=key(tenant_a, Role.ADMIN)).status
        == 403
    )
    assert (
        api("PUT", "/campaign-policy", body={"four_eyes": True}, token=key(tenant_a, Role.OWNER)).status
        == 200
    )
    campaign = created(api, tenant_a, Role.OWNER)
    path = f"/campaigns/{campaign['campaign_id']}"
    api("POST", f"{path}/submit", token=key(tenant_a, Role.OWNER))
    own = api("POST", f"{path}/approve", token=key(tenant_a, Role.OWNER))
    assert (own.status, own.json()["error"]["code"]) == (403, "forbidden")
    assert api("GET", path, token=key(tenant_a, Role.OWNER)).json()["status"] == "submitted"
    assert api("POST", f"{path}/approve", token=key(tenant_a, Role.ADMIN)).json()["status"] == "approved"


def test_with_required_two_factor_an_api_key_never_approves(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    tenant_a.scope.save(SecurityPolicy(require_two_factor=True, changed_by="operator:fixtures"))
    campaign = created(api, tenant_a)
    path = f"/campaigns/{campaign['campaign_id']}"
    api("POST", f"{path}/submit", token=key(tenant_a, Role.MEMBER))
    refused = api("POST", f"{path}/approve", token=key(tenant_a, Role.OWNER))
    assert refused.status == 403
    assert "two-factor" in refused.json()["error"]["message"]
    assert api("GET", path, token=key(tenant_a, Role.OWNER)).json()["status"] == "submitted"
