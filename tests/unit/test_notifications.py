"""Notification kinds from real audit shapes, the preferences rule, and templates without contact PII."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from gatehouse.audit.entry import plain_changes
from gatehouse.campaigns.lifecycle import AuditedCampaign, AuditedTransition
from gatehouse.contacts.imports import ImportCounts
from gatehouse.dnc.rescrub import RescrubFailure
from gatehouse.dnc.staleness import StaleLists
from gatehouse.events.occurrence import Occurrence, event_id_for
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.permissions import Role
from gatehouse.mail import render
from gatehouse.notifications import ALWAYS_ON, NotificationKind, kind_of
from gatehouse.notifications.content import Facts, template_data
from gatehouse.notifications.kinds import pause_advice
from gatehouse.notifications.preferences import AlwaysOn, set_my_preferences
from gatehouse.notifications.recipients import Recipient
from gatehouse.notifications.templates import TEMPLATES
from gatehouse.providers.base import CheckResult, CheckStatus
from gatehouse.suppression.entries import SuppressionSource, SuppressionView
from gatehouse.tenancy import TenantScope
from gatehouse.vault.schemas import Provider

K = NotificationKind
TENANT = "tnt_" + "a" * 26
CAMPAIGN = "cmp_" + "b" * 26
AT = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
# What a careless mail could leak: a contact's number, address, name and words.
CONTACT_PII = {
    "e164": "+12125550123",
    "phone": "(212) 555-0123",
    "email": "jane.doe@example.com",
    "first_name": "Jane",
    "body": "Call me at 212-555-0123",
}
PHONE = re.compile(r"\+?1?[ (]*[2-9][0-9]{2}[) .-]*[0-9]{3}[ .-]*[0-9]{4}")
EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[a-z]{2,}")


def campaign(status: str) -> AuditedCampaign:
    return AuditedCampaign(campaign_id=CAMPAIGN, status=status, name="Spring promo", channel="sms")  # type: ignore[arg-type]


def after(before: BaseModel | None, now: BaseModel) -> dict[str, Any]:
    """The entry's ``after`` as the audit log writes it (only what changed, when there is a before)."""
    return plain_changes(before, now).after or {}


def occurrence(action: str, target: tuple[str, str], data: dict[str, Any], actor: str) -> Occurrence:
    return Occurrence(
        event_id=event_id_for(TENANT, "audit", action),
        tenant_id=TENANT,
        kind=action,
        at=AT,
        target_type=target[0],
        target_id=target[1],
        actor=actor,
        data=data,
    )


PERSON = "user:usr_" + "c" * 26
SYSTEM = "system:dispatch"
ON_CAMPAIGN = ("campaign", CAMPAIGN)
REAL: dict[NotificationKind, Occurrence] = {
    K.CAMPAIGN_AWAITS_APPROVAL: occurrence(
        "campaign.submitted", ON_CAMPAIGN, after(campaign("draft"), campaign("submitted")), PERSON
    ),
    K.CAMPAIGN_APPROVED: occurrence(
        "campaign.approved", ON_CAMPAIGN, after(campaign("submitted"), campaign("approved")), PERSON
    ),
    K.CAMPAIGN_REJECTED: occurrence(
        "campaign.rejected", ON_CAMPAIGN, after(campaign("submitted"), campaign("draft")), PERSON
    ),
    K.CAMPAIGN_STARTED: occurrence(
        "campaign.started", ON_CAMPAIGN, after(campaign("scheduled"), campaign("running")), "system:scheduler"
    ),
    K.CAMPAIGN_COMPLETED: occurrence(
        "campaign.completed", ON_CAMPAIGN, after(campaign("running"), campaign("completed")), SYSTEM
    ),
    K.CAMPAIGN_PAUSED: occurrence(
        "campaign.paused",
        ON_CAMPAIGN,
        after(
            campaign("running"),
            AuditedTransition(
                **campaign("paused").model_dump(), reason="provider_credentials_vault_unavailable"
            ),
        ),
        SYSTEM,
    ),
    K.DNC_SOURCE_FAILED: occurrence(
        "dnc.rescrub_failed",
        ("dnc", "rescrub"),
        after(None, RescrubFailure(reason="dnc_source_failed", paused_campaigns=[CAMPAIGN])),
        "system:dnc-rescrub",
    ),
    K.DNC_DATA_STALE: occurrence(
        "dnc.data_stale",
        ("dnc", "data"),
        after(None, StaleLists(area_codes=["212"], states=["FL"], oldest_loaded_at=AT)),
        "system:dnc-staleness",
    ),
    K.CREDENTIAL_TEST_FAILED: occurrence(
        "integration.tested",
        ("integration", "twilio"),
        after(
            None,
            CheckResult(
                provider=Provider.TWILIO, status=CheckStatus.REJECTED, detail="refused", checked_at=AT
            ),
        ),
        PERSON,
    ),
    K.IMPORT_HAD_ERRORS: occurrence(
        "contacts.imported",
        ("import", "imp_" + "d" * 26),
        after(None, ImportCounts(rows=10, created=8, errors=2)),
        PERSON,
    ),
    K.MESSAGE_HELD_FOR_REVIEW: occurrence(
        "suppression.held",
        ("suppression", "0123456789abcdef"),
        after(
            None,
            SuppressionView(
                ref="0123456789abcdef",
                source=SuppressionSource.HELD_FOR_REVIEW,
                sources=[SuppressionSource.HELD_FOR_REVIEW],
                reason="a reply that may revoke consent, held for review",
                added_at=AT,
                added_by="system:inbound-sms",
            ),
        ),
        "system:inbound-sms",
    ),
    K.EVENT_ENDPOINT_DISABLED: occurrence(
        "event_endpoint.disabled", ("event_endpoint", "whe_" + "e" * 26), {"status": "disabled"}, SYSTEM
    ),
}


@pytest.mark.parametrize("kind", list(NotificationKind), ids=str)
def test_every_kind_is_read_from_its_real_audit_shape(kind: NotificationKind) -> None:
    assert kind_of(REAL[kind]) is kind


@pytest.mark.parametrize(
    "quiet",
    [
        occurrence("campaign.paused", ON_CAMPAIGN, after(campaign("running"), campaign("paused")), PERSON),
        occurrence(
            "integration.tested",
            ("integration", "dnc"),
            after(
                None,
                CheckResult(provider=Provider.DNC, status=CheckStatus.VERIFIED, detail="ok", checked_at=AT),
            ),
            PERSON,
        ),
        occurrence(
            "contacts.imported", ("import", "imp_" + "d" * 26), after(None, ImportCounts(rows=3)), PERSON
        ),
        occurrence("campaign.created", ON_CAMPAIGN, after(None, campaign("draft")), PERSON),
        occurrence("message.sent", ("message", "x"), {}, SYSTEM),
    ],
    ids=["paused-by-a-person", "test-passed", "import-clean", "created", "message"],
)
def test_what_needs_nobody_mails_nobody(quiet: Occurrence) -> None:
    assert kind_of(quiet) is None


def test_an_unclear_credential_check_counts_as_failed() -> None:
    unclear = occurrence("integration.tested", ("integration", "twilio"), {}, PERSON)
    assert kind_of(unclear) is K.CREDENTIAL_TEST_FAILED
    assert kind_of(occurrence("integration.tested", ("integration", "twilio"), {"ok": True}, PERSON)) is None


def test_a_pause_says_why_and_what_to_do_by_its_reason() -> None:
    assert "DNC integration" in pause_advice("dnc_source_failed").what_to_do
    assert "provider integration" in pause_advice("provider_credentials_credentials_unreadable").what_to_do
    assert pause_advice("something_new") == pause_advice(None)


def test_pauses_and_dnc_failures_are_the_kinds_nobody_turns_off() -> None:
    assert {K.CAMPAIGN_PAUSED, K.DNC_SOURCE_FAILED, K.DNC_DATA_STALE} == ALWAYS_ON


@pytest.mark.parametrize("kind", sorted(ALWAYS_ON), ids=str)
def test_a_compliance_kind_cannot_be_turned_off(kind: NotificationKind) -> None:
    person = Caller(
        tenant_id=TENANT, role=Role.OWNER, principal_type=PrincipalType.USER, principal_id="usr_x"
    )
    # Refused before anything is read or written: no table is reachable from a unit test.
    with pytest.raises(AlwaysOn) as refused:
        set_my_preferences(TenantScope(TENANT), person, [K.CAMPAIGN_STARTED, kind])
    assert refused.value.status == 422
    assert refused.value.details == [{"field": "off", "reason": f"{kind.value} is always on"}]


@pytest.mark.parametrize("kind", list(NotificationKind), ids=str)
def test_every_kind_renders_with_links_and_no_contact_pii(kind: NotificationKind) -> None:
    # Ids, counts, reason codes and links only: fields the occurrence adds beyond those never reach a mail.
    source = REAL[kind]
    leaky = source.model_copy(update={"data": {**source.data, **CONTACT_PII}})
    facts = Facts(base_url="https://console.gatehouse.test", tenant_name="Alpha")
    person = Recipient(user_id="usr_x", email="owner@alpha.test", role=Role.ADMIN)
    data = template_data(kind, leaky, facts, person)

    assert set(data) == TEMPLATES[kind].fields()
    rendered = render(TEMPLATES[kind], data)
    text = rendered.subject + "\n" + rendered.text
    assert "{{" not in text
    assert "https://console.gatehouse.test/" in text
    assert not PHONE.search(text), text
    assert not EMAIL.search(text), text
    assert "Jane" not in text
