"""The reply's gates: gate 1 asks the tenant and an approved SMS campaign, then the campaign gates decide."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.campaigns.records import CampaignStatus
from gatehouse.compliance.state_rules import Channel, rulebook
from gatehouse.dispatch.gates import CampaignFacts, ContactFacts, Outcome, Reason, TenantFacts, Verdict
from gatehouse.dispatch.reply_gates import evaluate_reply, gate_reply, still_contested, unresolved
from tests.unit.test_dispatch_gates import NOW, contact, spec

APPROVED = "user:usr_x"
GOOD = TenantFacts(active=True, billing_status="active")
HELD = ContactFacts(suppressed=False, held=True)
AT_21_30 = datetime(2026, 3, 11, 1, 30, tzinfo=UTC)  # 10 March, 21:30 EDT in New York


def facts(
    status: CampaignStatus = CampaignStatus.COMPLETED, approved_by: str | None = APPROVED, **changes: object
) -> CampaignFacts:
    return CampaignFacts(status=status, approved_by=approved_by, spec=spec(**changes))


@pytest.mark.parametrize(
    ("channel", "tenant", "campaign", "expected"),
    [
        (Channel.SMS, GOOD, facts(), None),
        (Channel.SMS, GOOD, facts(CampaignStatus.RUNNING), None),
        (Channel.SMS, GOOD, facts(CampaignStatus.CANCELLED), None),  # answers outlive a run
        (Channel.VOICE, GOOD, facts(), ("channel", Reason.CHANNEL_NOT_AVAILABLE)),
        (Channel.SMS, TenantFacts(False, "active"), facts(), ("state", Reason.TENANT_NOT_ACTIVE)),
        (Channel.SMS, TenantFacts(True, "past_due"), facts(), ("state", Reason.BILLING_NOT_IN_GOOD_STANDING)),
        (Channel.SMS, TenantFacts(True, None), facts(), ("state", Reason.BILLING_NOT_IN_GOOD_STANDING)),
        (Channel.SMS, GOOD, None, ("state", Reason.NO_CAMPAIGN)),
        (Channel.SMS, GOOD, facts(approved_by=None), ("state", Reason.CAMPAIGN_NOT_APPROVED)),
    ],
)
def test_gate_reply(
    channel: Channel, tenant: TenantFacts, campaign: CampaignFacts | None, expected: tuple[str, Reason] | None
) -> None:
    verdict = gate_reply(channel, tenant, campaign)
    if expected is None:
        assert verdict.passed
    else:
        assert (verdict.outcome, verdict.gate, verdict.reason) == (Outcome.BLOCKED, *expected)


def test_a_voice_campaign_sends_no_text_reply() -> None:
    voice = spec().model_copy(update={"channel": Channel.VOICE})
    verdict = gate_reply(Channel.SMS, GOOD, CampaignFacts(CampaignStatus.COMPLETED, APPROVED, voice))
    assert (verdict.gate, verdict.reason) == ("channel", Reason.CHANNEL_NOT_AVAILABLE)


def test_a_person_who_is_no_contact_has_no_consent() -> None:
    """47 CFR 64.1200(a)(2): no consent evidence, no marketing text."""
    verdict = evaluate_reply(None, facts(), ContactFacts(suppressed=False), NOW, rulebook())
    assert (verdict.outcome, verdict.gate, verdict.reason) == (
        Outcome.BLOCKED,
        "consent",
        Reason.CONSENT_MISSING,
    )


@pytest.mark.parametrize(
    ("now", "known", "expected"),
    [
        (NOW, ContactFacts(suppressed=False), (Outcome.PASS, None, None)),
        (NOW, ContactFacts(suppressed=True), (Outcome.BLOCKED, "suppression", Reason.SUPPRESSED)),
        (
            NOW,
            ContactFacts(suppressed=False, held=True),
            (Outcome.BLOCKED, "suppression", Reason.HELD_FOR_REVIEW),
        ),
        # 47 CFR 64.1200(c)(1): 21:30 in New York, deferred to 9:00 (the campaign's window opens after 8:00)
        (
            datetime(2026, 3, 11, 1, 30, tzinfo=UTC),
            ContactFacts(suppressed=False),
            (Outcome.DEFERRED, "hours", Reason.FEDERAL_HOURS),
        ),
        # the campaign's two attempts per 24 hours are its pacing, not an answer's: the reply goes
        (
            NOW,
            ContactFacts(
                suppressed=False, attempts_last_day=[NOW - timedelta(hours=3), NOW - timedelta(hours=1)]
            ),
            (Outcome.PASS, None, None),
        ),
        # ten attempts in the last 24 hours (REPLY_ATTEMPTS_PER_DAY) are as many as a reply may follow
        (
            NOW,
            ContactFacts(
                suppressed=False, attempts_last_day=[NOW - timedelta(hours=h) for h in range(1, 11)]
            ),
            (Outcome.DEFERRED, "caps", Reason.CAMPAIGN_ATTEMPT_CAP),
        ),
    ],
)
def test_the_campaign_gates_decide_for_the_person(
    now: datetime, known: ContactFacts, expected: tuple[Outcome, str | None, Reason | None]
) -> None:
    verdict = evaluate_reply(contact(), facts(), known, now, rulebook())
    assert (verdict.outcome, verdict.gate, verdict.reason) == expected


def test_a_rescrub_still_asked_for_after_one_blocks_with_its_reason() -> None:
    asking = Verdict(Outcome.RESCRUB, Reason.DNC_SOURCE_FAILED, gate="dnc")
    verdict = unresolved(asking)
    assert (verdict.outcome, verdict.gate, verdict.reason) == (
        Outcome.BLOCKED,
        "dnc",
        Reason.DNC_SOURCE_FAILED,
    )


def test_a_ledger_contested_in_every_round_defers_a_minute() -> None:
    verdict = still_contested(NOW)
    assert (verdict.outcome, verdict.gate, verdict.reason) == (
        Outcome.DEFERRED,
        "claim",
        Reason.ATTEMPT_LEDGER_BUSY,
    )
    assert verdict.until == NOW + timedelta(minutes=1)
