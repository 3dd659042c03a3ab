"""The access setting and campaign members over the API: who may change them, the audit entry each
change writes, and refusals that change nothing (the restriction itself: tests/isolation)."""

from __future__ import annotations

from typing import Any

from gatehouse import audit
from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.members import MAX_MEMBERS
from gatehouse.campaigns.records import CampaignSpec
from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture
from tests.isolation.cases import CAMPAIGN, fixture_operator


def entries(tenant: TenantFixture, action: str) -> list[audit.AuditEntry]:
    listed = audit.list_entries(tenant.tenant_id, action=action, limit=50).items
    return sorted(listed, key=lambda e: e.seq)


def approved_campaign(tenant: TenantFixture) -> str:
    ops = fixture_operator(tenant)
    campaign = lifecycle.create(tenant.scope, ops, CampaignSpec.model_validate(CAMPAIGN))
    for action in ("submit", "approve"):
        lifecycle.transition(tenant.scope, ops, campaign.campaign_id, action)
    return campaign.campaign_id


def put_members(api, tenant: TenantFixture, role: Role, campaign_id: str, user_ids: list[str]) -> Any:  # type: ignore[no-untyped-def]
    body = {"user_ids": user_ids}
    return api("PUT", f"/campaigns/{campaign_id}/members", body=body, token=tenant.keys[role])


def test_the_setting_defaults_to_all_and_only_owners_change_it_audited(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    viewer = api("GET", "/access-policy", token=tenant_a.keys[Role.VIEWER])
    assert viewer.status == 200, viewer.body
    assert viewer.json() == {"conversation_access": "all", "changed_by": None, "changed_at": None}
    for role in (Role.ADMIN, Role.MEMBER, Role.VIEWER):
        body = {"conversation_access": "assigned_campaigns"}
        refused = api("PUT", "/access-policy", body=body, token=tenant_a.keys[role])
        assert refused.status == 403, refused.body
    for bad in ({"conversation_access": "some"}, {"conversation_access": "all", "extra": 1}, {}):
        invalid = api("PUT", "/access-policy", body=bad, token=tenant_a.keys[Role.OWNER])
        assert invalid.status in {400, 422}, invalid.body
    assert entries(tenant_a, "access_policy.changed") == []

    changed = api(
        "PUT",
        "/access-policy",
        body={"conversation_access": "assigned_campaigns"},
        token=tenant_a.keys[Role.OWNER],
    )
    assert changed.status == 200, changed.body
    assert changed.json()["conversation_access"] == "assigned_campaigns"
    read = api("GET", "/access-policy", token=tenant_a.keys[Role.MEMBER]).json()
    assert read["conversation_access"] == "assigned_campaigns"
    [entry] = entries(tenant_a, "access_policy.changed")
    assert (entry.changes.before or {}).get("conversation_access") == "all"
    assert (entry.changes.after or {}).get("conversation_access") == "assigned_campaigns"
    assert entry.actor.label.startswith("api_key:")


def test_owners_and_admins_assign_members_audited_and_the_campaign_stays_approved(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture
) -> None:
    campaign_id = approved_campaign(tenant_a)
    member, viewer = tenant_a.users[Role.MEMBER], tenant_a.users[Role.VIEWER]
    assigned = put_members(api, tenant_a, Role.ADMIN, campaign_id, [viewer, member, member])
    assert assigned.status == 200, assigned.body
    assert assigned.json()["assigned_members"] == sorted([member, viewer])
    shown = api("GET", f"/campaigns/{campaign_id}", token=tenant_a.keys[Role.MEMBER]).json()
    assert shown["status"] == "approved"
    assert shown["approved_by"] is not None
    assert shown["assigned_members"] == sorted([member, viewer])

    narrowed = put_members(api, tenant_a, Role.OWNER, campaign_id, [member])
    assert narrowed.json()["assigned_members"] == [member]
    made = entries(tenant_a, "campaign.members_assigned")
    assert [(e.changes.before, e.changes.after) for e in made] == [
        ({"assigned_members": []}, {"assigned_members": sorted([member, viewer])}),
        ({"assigned_members": sorted([member, viewer])}, {"assigned_members": [member]}),
    ]
    assert {e.target.label for e in made} == {f"campaign:{campaign_id}"}


def test_refused_assignments_change_nothing(api, tenant_a: TenantFixture, tenant_b: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    campaign_id = approved_campaign(tenant_a)
    member = tenant_a.users[Role.MEMBER]
    assert put_members(api, tenant_a, Role.MEMBER, campaign_id, [member]).status == 403
    assert put_members(api, tenant_a, Role.VIEWER, campaign_id, [member]).status == 403
    stranger = put_members(api, tenant_a, Role.ADMIN, campaign_id, [tenant_b.users[Role.MEMBER]])
    assert stranger.status == 400, stranger.body
    assert stranger.json()["error"]["details"] == [{"field": "user_ids", "reason": "not a valid value"}]
    malformed = put_members(api, tenant_a, Role.ADMIN, campaign_id, ["someone"])
    assert malformed.status in {400, 422}, malformed.body
    too_many = put_members(api, tenant_a, Role.ADMIN, campaign_id, [member] * (MAX_MEMBERS + 1))
    assert too_many.status in {400, 422}, too_many.body
    missing = put_members(api, tenant_a, Role.ADMIN, "cmp_" + "a" * 26, [member])
    assert missing.status == 404, missing.body
    assert entries(tenant_a, "campaign.members_assigned") == []
    shown = api("GET", f"/campaigns/{campaign_id}", token=tenant_a.keys[Role.OWNER]).json()
    assert shown["assigned_members"] == []
