"""Notifications from real actions: who is mailed, once per event and person, preferences applied.

Each test takes an action through the API or the domain, reads the audit entry it
committed, builds the occurrence from it (``tests.support.occurrences``) and hands it to
``gatehouse.notifications.on_occurrence``, as the events function does for every record.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any

import pytest

from gatehouse.campaigns import lifecycle
from gatehouse.clock import utc_now
from gatehouse.dnc import LoadKind, state_lists
from gatehouse.identity.caller import operator, system
from gatehouse.identity.permissions import Role
from gatehouse.jobs.dnc_staleness import run_dnc_staleness
from gatehouse.mail import MailUnavailable
from gatehouse.notifications import on_occurrence
from gatehouse.notifications.preferences import NotificationPreferences
from gatehouse.notifications.sending import NotificationSent
from tests.conftest import TenantFixture, outbox
from tests.integration.test_campaigns_api import SMS
from tests.isolation.cases import session_headers
from tests.support.occurrences import last_occurrence

PHONE = re.compile(r"\+?1?[2-9][0-9]{2}[-. ]?[0-9]{3}[-. ]?[0-9]{4}")


def as_person(tenant: TenantFixture, role: Role) -> dict[str, Any]:
    return {"headers": session_headers(tenant.users[role], tenant.tenant_id)}


def mailed() -> list[tuple[str, str]]:
    return sorted((m["to"], m["template"]) for m in outbox())


def submitted_by_member(api, tenant: TenantFixture) -> str:  # type: ignore[no-untyped-def]
    created = api("POST", "/campaigns", body=SMS, **as_person(tenant, Role.MEMBER))
    assert created.status == 201, created.body
    campaign_id: str = created.json()["campaign_id"]
    submitted = api("POST", f"/campaigns/{campaign_id}/submit", **as_person(tenant, Role.MEMBER))
    assert submitted.status == 200, submitted.body
    return campaign_id


def test_a_submitted_campaign_tells_owners_and_admins_once(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    submitted_by_member(api, tenant_a)
    occurrence = last_occurrence(tenant_a.tenant_id, "campaign.submitted")

    on_occurrence(occurrence)
    on_occurrence(occurrence)  # the same record again: a retried batch

    assert mailed() == [
        ("admin@alpha.test", "campaign_awaits_approval"),
        ("owner@alpha.test", "campaign_awaits_approval"),
    ]
    mail = outbox()[0]
    assert "Spring promo" in mail["subject"]
    assert "/campaigns/cmp_" in mail["text"]
    assert "/me/notifications" in mail["text"]


def test_an_approval_tells_the_submitter_but_not_the_approver(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    campaign_id = submitted_by_member(api, tenant_a)
    approved = api("POST", f"/campaigns/{campaign_id}/approve", **as_person(tenant_a, Role.ADMIN))
    assert approved.status == 200, approved.body

    on_occurrence(last_occurrence(tenant_a.tenant_id, "campaign.approved"))

    assert mailed() == [("member@alpha.test", "campaign_approved"), ("owner@alpha.test", "campaign_approved")]


def test_a_person_who_turned_a_kind_off_is_not_mailed_it(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    turned_off = api(
        "PUT",
        "/me/notifications",
        body={"off": ["campaign_awaits_approval"]},
        **as_person(tenant_a, Role.ADMIN),
    )
    assert turned_off.status == 200, turned_off.body
    submitted_by_member(api, tenant_a)

    on_occurrence(last_occurrence(tenant_a.tenant_id, "campaign.submitted"))

    assert mailed() == [("owner@alpha.test", "campaign_awaits_approval")]


def paused_by_gatehouse(api, tenant: TenantFixture, reason: str) -> str:  # type: ignore[no-untyped-def]
    campaign_id = submitted_by_member(api, tenant)
    assert api("POST", f"/campaigns/{campaign_id}/approve", **as_person(tenant, Role.ADMIN)).status == 200
    owner = operator(tenant.tenant_id, "fixtures", request_id="fixtures")
    lifecycle.transition(tenant.scope, owner, campaign_id, "start")
    # As dispatch.batch and dnc.rescrub pause a running campaign on a severe event.
    lifecycle.transition(
        tenant.scope, system(tenant.tenant_id, "dispatch"), campaign_id, "pause", reason=reason
    )
    return campaign_id


def test_a_pause_reaches_everyone_even_a_person_who_turned_kinds_off(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    # 47 CFR 64.1200 / 16 CFR 310.4(b)(3)(iv): a campaign stopped to stay lawful is a compliance notice;
    # preferences never hold it back, not even one stored before the rule (written here directly).
    refused = api(
        "PUT", "/me/notifications", body={"off": ["campaign_paused"]}, **as_person(tenant_a, Role.OWNER)
    )
    assert refused.status == 422
    assert refused.json()["error"]["code"] == "always_on"
    tenant_a.scope.save(NotificationPreferences(user_id=tenant_a.users[Role.OWNER], off=["campaign_paused"]))  # type: ignore[list-item]
    api("PUT", "/me/notifications", body={"off": ["campaign_started"]}, **as_person(tenant_a, Role.ADMIN))
    paused_by_gatehouse(api, tenant_a, "dnc_source_failed")

    occurrence = last_occurrence(tenant_a.tenant_id, "campaign.paused")
    assert occurrence.data["reason"] == "dnc_source_failed"
    on_occurrence(occurrence)

    assert mailed() == [
        ("admin@alpha.test", "campaign_paused"),
        ("member@alpha.test", "campaign_paused"),
        ("owner@alpha.test", "campaign_paused"),
    ]
    text = outbox()[0]["text"]
    assert "dnc_source_failed" in text
    assert "check the DNC integration" in text
    assert "cannot be turned off" in text


def test_a_pause_by_a_person_tells_nobody(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    campaign_id = submitted_by_member(api, tenant_a)
    assert api("POST", f"/campaigns/{campaign_id}/approve", **as_person(tenant_a, Role.ADMIN)).status == 200
    owner = operator(tenant_a.tenant_id, "fixtures", request_id="fixtures")
    lifecycle.transition(tenant_a.scope, owner, campaign_id, "start")
    lifecycle.transition(tenant_a.scope, owner, campaign_id, "pause")

    on_occurrence(last_occurrence(tenant_a.tenant_id, "campaign.paused"))

    assert outbox() == []


def test_a_failed_send_leaves_no_marker_and_the_retry_mails(
    api, tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    submitted_by_member(api, tenant_a)
    occurrence = last_occurrence(tenant_a.tenant_id, "campaign.submitted")
    outbox_path = os.environ["GATEHOUSE_MAIL_OUTBOX"]
    from gatehouse.config import get_settings

    monkeypatch.delenv("GATEHOUSE_MAIL_OUTBOX")
    monkeypatch.setenv("GATEHOUSE_MAIL_SENDER", "")  # SES without a sender: the send fails
    get_settings.cache_clear()
    with pytest.raises(MailUnavailable):
        on_occurrence(occurrence)
    assert tenant_a.scope.query(NotificationSent).items == []

    monkeypatch.setenv("GATEHOUSE_MAIL_OUTBOX", outbox_path)
    get_settings.cache_clear()
    on_occurrence(occurrence)
    assert len(mailed()) == 2


def test_dnc_data_grown_stale_is_recorded_once_per_episode_and_mailed(tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    # 16 CFR 310.4(b)(3)(iv): DNC data relied on must be at most 31 days old; past it people must act.
    owner = operator(tenant_a.tenant_id, "fixtures", request_id="fixtures")
    long_ago = utc_now() - timedelta(days=40)
    state_lists.load(tenant_a.scope, owner, "FL", ["3055550100"], LoadKind.FULL, clock=lambda: long_ago)

    run_dnc_staleness()
    run_dnc_staleness()  # still stale: the episode is already recorded

    from gatehouse import audit

    entries = audit.list_entries(tenant_a.tenant_id, action="dnc.data_stale").items
    assert [e.changes.after["states"] for e in entries if e.changes.after] == [["FL"]]
    on_occurrence(last_occurrence(tenant_a.tenant_id, "dnc.data_stale"))
    assert mailed() == [("admin@alpha.test", "dnc_data_stale"), ("owner@alpha.test", "dnc_data_stale")]
    assert not any(PHONE.search(m["text"]) for m in outbox())

    state_lists.load(tenant_a.scope, owner, "FL", ["3055550100"], LoadKind.FULL)
    run_dnc_staleness()
    assert len(audit.list_entries(tenant_a.tenant_id, action="dnc.data_refreshed").items) == 1


def test_preferences_are_each_persons_own(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    changed = api(
        "PUT", "/me/notifications", body={"off": ["campaign_started"]}, **as_person(tenant_a, Role.MEMBER)
    )
    assert changed.status == 200
    mine = {i["kind"]: i for i in changed.json()["items"]}
    assert mine["campaign_started"]["enabled"] is False
    assert mine["campaign_paused"] == {"kind": "campaign_paused", "enabled": True, "always_on": True}
    theirs = api("GET", "/me/notifications", **as_person(tenant_a, Role.VIEWER)).json()["items"]
    assert all(i["enabled"] for i in theirs)
    by_key = api("GET", "/me/notifications", token=tenant_a.keys[Role.OWNER])
    assert by_key.status == 403  # an API key is no person


def test_an_unknown_kind_is_refused_and_changes_nothing(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    reply = api("PUT", "/me/notifications", body={"off": ["everything"]}, **as_person(tenant_a, Role.MEMBER))
    assert reply.status == 422
    assert tenant_a.scope.get(NotificationPreferences, tenant_a.users[Role.MEMBER]) is None
