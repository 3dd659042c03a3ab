"""The dispatch gates, table by table, with a settable clock; then their order.

Pure: contacts, campaigns and facts are built here, nothing is read from a table.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gatehouse.campaigns.records import CampaignSpec, CampaignStatus
from gatehouse.compliance.state_rules import Channel
from gatehouse.contacts.intake import refresh
from gatehouse.contacts.records import ConsentEvidence, Contact, ContactView
from gatehouse.dispatch.gates import (
    PASSED,
    CampaignFacts,
    ContactFacts,
    Outcome,
    Reason,
    TenantFacts,
    evaluate,
    gate_caps,
    gate_consent,
    gate_dnc,
    gate_hours,
    gate_recording,
    gate_state,
    gate_suppression,
)
from gatehouse.dnc.stamps import ScrubReason, ScrubSource, ScrubStamp, ScrubStatus, StateListAnswer
from tests.support.consent import WRITTEN_ELEMENTS

# Tuesday 2026-03-10, 18:00 UTC = 14:00 in New York (EDT), 11:00 in Los Angeles (PDT).
NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
SPEC: dict[str, Any] = {
    "name": "Promo",
    "channel": "sms",
    "audience": {"tag": "vip"},
    "content": {"kind": "sms", "template": "Hi {first_name}. Reply STOP to opt out."},
    "senders": {"numbers": ["+14155550100"]},
    "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "20:00"}],
    "max_attempts_per_contact": 2,
}


def spec(**changes: Any) -> CampaignSpec:
    return CampaignSpec.model_validate({**SPEC, **changes})


def stamp(
    status: ScrubStatus,
    *,
    age: timedelta = timedelta(days=1),
    reason: ScrubReason | None = None,
    data_age: timedelta | None = timedelta(0),  # how old the data was at the scrub; None: not recorded
    state_lists: dict[str, StateListAnswer] | None = None,
) -> ScrubStamp:
    answer = status in {ScrubStatus.CLEAR, ScrubStatus.LISTED}
    return ScrubStamp(
        status=status,
        checked_at=NOW - age,
        source=ScrubSource.SANDBOX,
        reason=reason,
        data_as_of=NOW - age - data_age if answer and data_age is not None else None,
        state_lists=state_lists or {},
    )


def evidence(phone: str, channels: tuple[Channel, ...], **changes: Any) -> ConsentEvidence:
    """Prior express written consent with every element of 47 CFR 64.1200(f)(9), then ``changes``."""
    fields: dict[str, Any] = {
        "type": "express_written",
        "channels": list(channels),
        "obtained_at": NOW - timedelta(days=30),
        "source": "import",
        "wording": "Yes, text me",
        **WRITTEN_ELEMENTS,
        "number": phone,
        **changes,
    }
    return ConsentEvidence.model_validate(fields)


def contact(
    phone: str = "+12125550100",
    state: str | None = "NY",
    channels: tuple[Channel, ...] = (Channel.SMS,),
    consent_changes: dict[str, Any] | None = None,
    **extra: Any,
) -> Contact:
    consent = [evidence(phone, channels, **(consent_changes or {}))] if channels else []
    fields = {
        "contact_id": "con_" + "a" * 26,
        "e164": phone,
        "state": state,
        "consent": consent,
        "dnc": stamp(ScrubStatus.CLEAR),
        "created_at": NOW - timedelta(days=30),
        "created_by": "api_key:key_x",
        **extra,
    }
    return refresh(Contact(**fields))


RUNNING = CampaignFacts(status=CampaignStatus.RUNNING, approved_by="user:usr_x", spec=spec())
GOOD = TenantFacts(active=True, billing_status="active")
CLEAN = ContactFacts(suppressed=False)
ON_OWNERS_WORD = ContactFacts(suppressed=False, owners_word=True)  # acknowledged, no provider since


@pytest.mark.parametrize(
    ("tenant", "campaign", "reason"),
    [
        (GOOD, RUNNING, None),
        (TenantFacts(active=False, billing_status="active"), RUNNING, Reason.TENANT_NOT_ACTIVE),
        (TenantFacts(active=True, billing_status="past_due"), RUNNING, Reason.BILLING_NOT_IN_GOOD_STANDING),
        (TenantFacts(active=True, billing_status=None), RUNNING, Reason.BILLING_NOT_IN_GOOD_STANDING),
        (GOOD, CampaignFacts(CampaignStatus.PAUSED, "user:usr_x", spec()), Reason.CAMPAIGN_NOT_RUNNING),
        (GOOD, CampaignFacts(CampaignStatus.RUNNING, None, spec()), Reason.CAMPAIGN_NOT_APPROVED),
        (GOOD, CampaignFacts(CampaignStatus.CANCELLED, "user:usr_x", spec()), Reason.CAMPAIGN_NOT_RUNNING),
    ],
)
def test_gate_1_tenant_and_campaign_state(
    tenant: TenantFacts, campaign: CampaignFacts, reason: Reason | None
) -> None:
    verdict = gate_state(tenant, campaign)
    assert (verdict.outcome, verdict.reason) == (
        (Outcome.PASS, None) if reason is None else (Outcome.BLOCKED, reason)
    )


@pytest.mark.parametrize(
    ("channels", "channel", "deleted", "reason"),
    [
        ((Channel.SMS,), Channel.SMS, False, None),
        ((Channel.SMS,), Channel.VOICE, False, Reason.CONSENT_MISSING),
        ((), Channel.SMS, False, Reason.CONSENT_MISSING),
        ((Channel.SMS, Channel.VOICE), Channel.VOICE, False, None),
        ((Channel.SMS,), Channel.SMS, True, Reason.CONTACT_DELETED),
    ],
)
def test_gate_2_consent(
    channels: tuple[Channel, ...], channel: Channel, deleted: bool, reason: Reason | None
) -> None:
    """Consent for a different channel never counts (47 CFR 64.1200(a)(2), DESIGN.md §6 gate 2)."""
    person = contact(channels=channels, deleted_at=NOW if deleted else None)
    assert gate_consent(person, spec_for(channel)).reason == reason


# 47 CFR 64.1200(b)(1)-(2): what an artificial-voice marketing call says first and the opt-out it offers.
DISCLOSED: dict[str, Any] = {"opening": "This is Ava for Acme", "opt_out": {"key": "9", "phrase": "say stop"}}


def spec_for(channel: Channel, **changes: Any) -> CampaignSpec:
    if channel is Channel.SMS:
        return spec(**changes)
    voice = {
        "channel": "voice",
        "content": {"kind": "voice", "agent_id": "agent_demo", **DISCLOSED},
        "senders": {"numbers": ["+14155550100"]},
    }
    return spec(**{**voice, **changes})


EXPRESS_ONLY = {"type": "express"}
NO_SELLER = {"seller": None}
OTHER_NUMBER = {"number": "+12125550199"}
UNSIGNED = {"signature_ref": None}
CONDITION_OF_PURCHASE = {"not_condition_of_purchase": False}
SIGNED_BY_FORM = {
    "signature_ref": None,
    "ip": "203.0.113.9",
    "source": "web_form",
    "source_url": "https://x.test/f",
}


@pytest.mark.parametrize(
    ("channel", "purpose", "technology", "consent", "reason"),
    [
        # 64.1200(a)(2): marketing by autodialed text needs prior express written consent.
        (Channel.SMS, "marketing", None, {}, None),
        (Channel.SMS, "marketing", None, EXPRESS_ONLY, Reason.CONSENT_NOT_WRITTEN),
        # (f)(9): written consent missing one element is prior express consent only.
        (Channel.SMS, "marketing", None, NO_SELLER, Reason.CONSENT_NOT_WRITTEN),
        (Channel.SMS, "marketing", None, OTHER_NUMBER, Reason.CONSENT_NOT_WRITTEN),
        (Channel.SMS, "marketing", None, UNSIGNED, Reason.CONSENT_NOT_WRITTEN),
        (Channel.SMS, "marketing", None, CONDITION_OF_PURCHASE, Reason.CONSENT_NOT_WRITTEN),
        (Channel.SMS, "marketing", None, SIGNED_BY_FORM, None),  # E-SIGN: IP with the form it was given on
        # 64.1200(a)(1): informational autodialed texts need prior express consent.
        (Channel.SMS, "informational", None, EXPRESS_ONLY, None),
        # An AI agent is an artificial voice (FCC 24-17): marketing needs written consent (a)(2), (a)(3).
        (Channel.VOICE, "marketing", "artificial_voice", EXPRESS_ONLY, Reason.CONSENT_NOT_WRITTEN),
        (Channel.VOICE, "marketing", "artificial_voice", {}, None),
        (Channel.VOICE, "informational", "artificial_voice", EXPRESS_ONLY, None),
        # A live call by a person needs no written consent; Gatehouse still needs evidence for the channel.
        (Channel.VOICE, "marketing", "live", EXPRESS_ONLY, None),
    ],
)
def test_gate_2_consent_fits_the_purpose_and_technology(
    channel: Channel, purpose: str, technology: str | None, consent: dict[str, Any], reason: Reason | None
) -> None:
    """47 CFR 64.1200(a)(1)-(3) and (f)(9) (FCC 24-17 for AI voices): the consent the campaign kind needs."""
    changes: dict[str, Any] = {"purpose": purpose}
    if technology is not None:
        changes["technology"] = technology
    if technology == "live":
        changes["content"] = {
            "kind": "voice",
            "agent_id": "agent_demo",
            "placed_by": "twilio",
            "agent_number": "+14155550111",
        }
    person = contact(channels=(channel,), consent_changes=consent)
    assert gate_consent(person, spec_for(channel, **changes)).reason == reason


def test_gate_2_written_consent_for_another_channel_does_not_count() -> None:
    """Consent for a different channel never counts (DESIGN.md §6 gate 2; 64.1200(f)(9) names the calls)."""
    person = contact(channels=(Channel.SMS,))
    assert gate_consent(person, spec_for(Channel.VOICE)).reason == Reason.CONSENT_MISSING


@pytest.mark.parametrize(("suppressed", "passes"), [(False, True), (True, False), (None, False)])
def test_gate_3_suppression_fails_closed(suppressed: bool | None, passes: bool) -> None:
    assert gate_suppression(ContactFacts(suppressed=suppressed)).passed is passes


@pytest.mark.parametrize(
    ("suppressed", "held", "reason"),
    [
        (False, True, Reason.HELD_FOR_REVIEW),
        (True, True, Reason.SUPPRESSED),  # a suppression wins over a hold
        (None, True, Reason.SUPPRESSED),
        (False, False, None),
    ],
)
def test_gate_3_a_reply_held_for_review_blocks_every_attempt(
    suppressed: bool | None, held: bool, reason: Reason | None
) -> None:
    """47 CFR 64.1200(a)(10), FCC 24-24: a reply that may revoke stops attempts until a person reads it."""
    assert gate_suppression(ContactFacts(suppressed=suppressed, held=held)).reason == reason


@pytest.mark.parametrize(
    ("dnc", "outcome", "reason"),
    [
        (stamp(ScrubStatus.CLEAR), Outcome.PASS, None),
        (stamp(ScrubStatus.CLEAR, age=timedelta(days=31)), Outcome.PASS, None),
        (stamp(ScrubStatus.CLEAR, age=timedelta(days=31, seconds=1)), Outcome.RESCRUB, Reason.DNC_DATA_STALE),
        (  # scrubbed yesterday against a file then 31 days old: 32 days old on the day of the call
            stamp(ScrubStatus.CLEAR, age=timedelta(days=1), data_age=timedelta(days=31)),
            Outcome.RESCRUB,
            Reason.DNC_DATA_STALE,
        ),
        (  # stored before stamps named their data: never taken as fresh
            stamp(ScrubStatus.CLEAR, age=timedelta(0), data_age=None),
            Outcome.RESCRUB,
            Reason.DNC_DATA_STALE,
        ),
        (None, Outcome.RESCRUB, Reason.DNC_UNSCRUBBED),
        (stamp(ScrubStatus.LISTED), Outcome.BLOCKED, Reason.DNC_LISTED),
        (  # the source failed, not the number: asked again, never sent on the old answer
            stamp(ScrubStatus.ERROR, reason=ScrubReason.PROVIDER_UNAVAILABLE),
            Outcome.RESCRUB,
            Reason.DNC_SOURCE_FAILED,
        ),
        (
            stamp(ScrubStatus.ERROR, reason=ScrubReason.INVALID_NUMBER),
            Outcome.BLOCKED,
            Reason.DNC_NUMBER_ERROR,
        ),
        (
            stamp(ScrubStatus.UNSCRUBBED, reason=ScrubReason.ACKNOWLEDGED_NO_PROVIDER),
            Outcome.BLOCKED,
            Reason.DNC_UNSCRUBBED,
        ),
    ],
    ids=[
        "clear",
        "31-days",
        "stale",
        "registry-32-days-old-on-the-day",
        "no-version",
        "unscrubbed",
        "listed",
        "source-down",
        "number-error",
        "acknowledged",
    ],
)
def test_gate_4_dnc(dnc: ScrubStamp | None, outcome: Outcome, reason: Reason | None) -> None:
    """16 CFR 310.4(b)(3)(iv), 47 CFR 64.1200(c)(2)(i)(D): registry data at most 31 days old at the call."""
    verdict = gate_dnc(dnc, NOW, owners_word=True)
    assert (verdict.outcome, verdict.reason) == (outcome, reason)


@pytest.mark.parametrize("purpose", ["marketing", "informational"])
def test_gate_4_an_unscrubbed_stamp_is_asked_again_once_the_owners_word_no_longer_stands(
    purpose: str,
) -> None:
    """16 CFR 310.4(b)(3)(iv): a number is called on registry data, or, here, on the owner's word that
    the tenant runs without a provider. Once a provider is connected or the acknowledgment is gone,
    that word no longer stands: a day-old ``unscrubbed`` stamp is scrubbed again before any attempt,
    informational or marketing, even with a signed written agreement."""
    person = contact(dnc=UNSCRUBBED)
    campaign = CampaignFacts(CampaignStatus.RUNNING, "user:usr_x", spec(purpose=purpose))
    asked_again = evaluate(person, campaign, GOOD, CLEAN, NOW)
    assert (asked_again.outcome, asked_again.gate, asked_again.reason) == (
        Outcome.RESCRUB,
        "dnc",
        Reason.DNC_UNSCRUBBED,
    )
    on_word = evaluate(person, campaign, GOOD, ON_OWNERS_WORD, NOW)
    assert on_word.passed


LIVE_CALLS = {
    "kind": "voice",
    "agent_id": "agent_demo",
    "placed_by": "twilio",
    "agent_number": "+14155550111",
}
UNSCRUBBED = stamp(ScrubStatus.UNSCRUBBED, reason=ScrubReason.ACKNOWLEDGED_NO_PROVIDER)


@pytest.mark.parametrize(
    ("channel", "purpose", "technology", "consent", "outcome"),
    [
        # a telephone solicitation to a number nobody checked: no signed agreement, no attempt
        (Channel.VOICE, "marketing", "live", EXPRESS_ONLY, Outcome.BLOCKED),
        (Channel.VOICE, "marketing", "live", NO_SELLER, Outcome.BLOCKED),  # written, short of (f)(9)
        # (c)(2)(ii): a signed, written agreement with every (f)(9) element for the channel
        (Channel.VOICE, "marketing", "live", {}, Outcome.PASS),
        (Channel.SMS, "marketing", None, {}, Outcome.PASS),
        (Channel.VOICE, "marketing", "artificial_voice", {}, Outcome.PASS),
        # not a telephone solicitation: the registry does not bind it, the owner's word stands
        (Channel.SMS, "informational", None, EXPRESS_ONLY, Outcome.PASS),
        (Channel.VOICE, "informational", "live", EXPRESS_ONLY, Outcome.PASS),
    ],
    ids=["live-express", "live-written-no-seller", "live-written", "sms-written", "ai-written",
         "sms-informational", "live-informational"],
)  # fmt: skip
def test_gate_4_marketing_to_an_unscrubbed_number_needs_a_signed_written_agreement(
    channel: Channel, purpose: str, technology: str | None, consent: dict[str, Any], outcome: Outcome
) -> None:
    """47 CFR 64.1200(c)(2) and 16 CFR 310.4(b)(1)(iii)(B) bind telephone solicitations: a marketing
    attempt to a number the owner chose not to scrub is blocked (``dnc_unscrubbed``) unless the person
    signed a written agreement, (c)(2)(ii): prior express written consent with the (f)(9) elements."""
    changes: dict[str, Any] = {"purpose": purpose, "channel": channel}
    if technology is not None:
        changes["technology"] = technology
    if technology == "live":
        changes["content"] = LIVE_CALLS
    elif channel is Channel.VOICE:
        changes["content"] = {"kind": "voice", "agent_id": "agent_demo", **DISCLOSED}
    person = contact(channels=(channel,), consent_changes=consent, dnc=UNSCRUBBED)
    campaign = CampaignFacts(CampaignStatus.RUNNING, "user:usr_x", spec(**changes))
    verdict = evaluate(person, campaign, GOOD, ON_OWNERS_WORD, NOW)
    assert verdict.outcome is outcome
    if outcome is Outcome.BLOCKED:
        assert (verdict.gate, verdict.reason) == ("dnc", Reason.DNC_UNSCRUBBED)


def test_a_contacts_marketing_kinds_show_the_unscrubbed_block_gate_4_gives() -> None:
    """47 CFR 64.1200(c)(2)(ii): the contact's per-kind eligibility says what gate 4 will decide for an
    unscrubbed number: marketing kinds need a signed written agreement, informational ones do not."""
    both = (Channel.SMS, Channel.VOICE)
    express = ContactView.of(contact(channels=both, consent_changes=EXPRESS_ONLY, dnc=UNSCRUBBED))
    assert express.eligibility_by_kind["voice:marketing:live"].reasons == ["dnc_unscrubbed"]
    assert express.eligibility_by_kind["sms:marketing:autodialed"].reasons == [
        "consent_not_written",
        "dnc_unscrubbed",
    ]
    assert express.eligibility_by_kind["sms:informational:autodialed"].eligible
    written = ContactView.of(contact(channels=both, dnc=UNSCRUBBED))
    assert all(kind.eligible for kind in written.eligibility_by_kind.values())


def texas(listed: bool = False, age: timedelta = timedelta(days=1)) -> dict[str, StateListAnswer]:
    return {"TX": StateListAnswer(listed=listed, as_of=NOW - age)}


@pytest.mark.parametrize(
    ("phone", "state", "dnc", "outcome", "reason"),
    [
        ("+15125550100", "TX", stamp(ScrubStatus.CLEAR, state_lists=texas()), Outcome.PASS, None),
        ("+15125550100", "TX", stamp(ScrubStatus.CLEAR), Outcome.RESCRUB, Reason.STATE_DNC_MISSING),
        (
            "+15125550100",
            "TX",
            stamp(ScrubStatus.CLEAR, state_lists=texas(age=timedelta(days=31, seconds=1))),
            Outcome.RESCRUB,
            Reason.STATE_DNC_STALE,
        ),
        (
            "+15125550100",
            "TX",
            stamp(ScrubStatus.CLEAR, state_lists=texas(listed=True)),
            Outcome.BLOCKED,
            Reason.STATE_DNC_LISTED,
        ),
        # A Texas mobile number, a person on record in New York: Texas's list applies (number's state).
        ("+15125550100", "NY", stamp(ScrubStatus.CLEAR), Outcome.RESCRUB, Reason.STATE_DNC_MISSING),
        # A California number of a person on record in Texas: Texas's list applies (state on record).
        ("+14155550100", "TX", stamp(ScrubStatus.CLEAR), Outcome.RESCRUB, Reason.STATE_DNC_MISSING),
        # Texas's list says listed, but the person is in neither Texas nor a Texas number: not theirs.
        ("+14155550100", "CA", stamp(ScrubStatus.CLEAR, state_lists=texas(listed=True)), Outcome.PASS, None),
        # No provider, acknowledged by the owner for "any other Do-Not-Call list" as well.
        (
            "+15125550100",
            "TX",
            stamp(ScrubStatus.UNSCRUBBED, reason=ScrubReason.ACKNOWLEDGED_NO_PROVIDER),
            Outcome.PASS,
            None,
        ),
    ],
    ids=[
        "fresh-clear",
        "list-not-loaded",
        "list-too-old",
        "on-the-state-list",
        "number-of-the-state",
        "state-on-record",
        "another-states-list",
        "acknowledged-unscrubbed",
    ],
)
def test_gate_4_state_dnc_lists(
    phone: str, state: str, dnc: ScrubStamp, outcome: Outcome, reason: Reason | None
) -> None:
    """State lists bind numbers of their state only, e.g. Tex. Bus. & Com. Code 304.052; fail closed."""
    person = contact(phone=phone, state=state, dnc=dnc)
    verdict = evaluate(person, RUNNING, GOOD, ON_OWNERS_WORD, NOW)
    assert (verdict.outcome, verdict.reason, verdict.gate) == (outcome, reason, "dnc" if reason else None)


@pytest.mark.parametrize(
    ("phone", "state", "now", "outcome", "reason"),
    [
        ("+12125550100", "NY", NOW, Outcome.PASS, None),
        # 18:00 UTC is 11:00 in LA: inside; 03:00 UTC is 23:00 in NY: deferred to 09:00 (campaign window)
        ("+14155550100", "CA", NOW, Outcome.PASS, None),
        ("+12125550100", "NY", datetime(2026, 3, 11, 3, 0, tzinfo=UTC), Outcome.DEFERRED, "federal_hours"),
        # Florida ends at 8pm: 00:30 UTC is 20:30 in Miami
        ("+13055550100", "FL", datetime(2026, 3, 11, 0, 30, tzinfo=UTC), Outcome.DEFERRED, None),
        # a toll-free number with no state: no zone, so no attempt at all
        ("+18005550199", None, NOW, Outcome.BLOCKED, "zone_unknown"),
        # Saturday: outside the campaign's weekday window
        ("+12125550100", "NY", datetime(2026, 3, 14, 18, 0, tzinfo=UTC), Outcome.DEFERRED, "campaign_window"),
    ],
    ids=["ny", "ca", "ny-night", "fl-after-8", "no-zone", "saturday"],
)
def test_gate_5_calling_hours(
    phone: str, state: str | None, now: datetime, outcome: Outcome, reason: str | None
) -> None:
    verdict = gate_hours(contact(phone, state), spec(), now)
    assert verdict.outcome is outcome
    if reason is not None:
        assert verdict.reason == reason
    if outcome is Outcome.DEFERRED:
        assert verdict.until is not None
        assert verdict.until > now
        assert gate_hours(contact(phone, state), spec(), verdict.until).passed  # deferred to an opening


ALL_DAY = [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}]


def test_gate_5_alabama_mardi_gras_is_a_banned_holiday_statewide() -> None:
    """Ala. Code 1-3-8 (Mardi Gras, Baldwin and Mobile counties) under Ala. Admin. Code r. 770-X-5-.17:
    no county is known, so the strict reading bans it in all of Alabama. 2027-02-09 (Easter less 47
    days), 10:00 Central, a Mobile number: deferred; the Monday before at 10:00 passes."""
    mobile = contact("+12515550100", "AL")
    mardi_gras = datetime(2027, 2, 9, 16, 0, tzinfo=UTC)  # 10:00 CST, 11:00 EST (Alabama's zones)
    verdict = gate_hours(mobile, spec(windows=ALL_DAY), mardi_gras)
    assert (verdict.outcome, verdict.reason) == (Outcome.DEFERRED, Reason.STATE_HOLIDAY)
    assert verdict.until is not None
    assert verdict.until >= datetime(2027, 2, 10, 6, 0, tzinfo=UTC)  # not before Wednesday, Central
    assert gate_hours(mobile, spec(windows=ALL_DAY), mardi_gras - timedelta(days=1)).passed


def test_gate_5_california_2872c_holds_a_live_call_until_9am() -> None:
    """Cal. Pub. Util. Code 2872(c), low confidence and reportedly for automated calls only: applied
    strictly, a live call to California at 08:30 Pacific waits for 09:00."""
    live = spec(
        channel="voice",
        technology="live",
        content={
            "kind": "voice",
            "agent_id": "agent_demo",
            "placed_by": "twilio",
            "agent_number": "+14155550111",
        },
        windows=ALL_DAY,
    )
    person = contact("+14155550100", "CA", channels=(Channel.VOICE,))
    early = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # 08:30 PDT
    verdict = gate_hours(person, live, early)
    assert (verdict.outcome, verdict.reason, verdict.until) == (
        Outcome.DEFERRED,
        Reason.STATE_HOURS,
        datetime(2026, 3, 10, 16, 0, tzinfo=UTC),
    )
    assert gate_hours(person, live, verdict.until).passed


def test_gate_6_caps_defer_until_the_oldest_attempt_ages_out() -> None:
    person = contact("+13055550100", "FL")  # Florida: 3 per 24 hours
    two = ContactFacts(
        suppressed=False, attempts_last_day=[NOW - timedelta(hours=5), NOW - timedelta(hours=1)]
    )
    verdict = gate_caps(person, spec(max_attempts_per_contact=5), two, NOW)
    assert verdict.passed
    three = ContactFacts(
        suppressed=False, attempts_last_day=[*two.attempts_last_day, NOW - timedelta(hours=2)]
    )
    capped = gate_caps(person, spec(max_attempts_per_contact=5), three, NOW)
    assert (capped.outcome, capped.reason, capped.until) == (
        Outcome.DEFERRED,
        "state_attempt_cap",
        NOW - timedelta(hours=5) + timedelta(hours=24),
    )
    campaign_cap = gate_caps(contact(), spec(max_attempts_per_contact=2), two, NOW)
    assert (campaign_cap.outcome, campaign_cap.reason) == (Outcome.DEFERRED, "campaign_attempt_cap")


def test_the_first_gate_that_does_not_pass_decides() -> None:
    everything_wrong = contact(channels=(), dnc=stamp(ScrubStatus.LISTED))
    paused = CampaignFacts(CampaignStatus.PAUSED, "user:usr_x", spec())
    assert evaluate(everything_wrong, paused, GOOD, ContactFacts(suppressed=True), NOW).reason == (
        Reason.CAMPAIGN_NOT_RUNNING
    )
    assert evaluate(everything_wrong, RUNNING, GOOD, ContactFacts(suppressed=True), NOW).reason == (
        Reason.CONSENT_MISSING
    )
    assert evaluate(
        contact(dnc=stamp(ScrubStatus.LISTED)), RUNNING, GOOD, ContactFacts(suppressed=True), NOW
    ).reason == (Reason.SUPPRESSED)
    assert (
        evaluate(contact(dnc=stamp(ScrubStatus.LISTED)), RUNNING, GOOD, CLEAN, NOW).reason
        == Reason.DNC_LISTED
    )
    assert evaluate(contact(), RUNNING, GOOD, CLEAN, NOW) == PASSED
    night = datetime(2026, 3, 11, 3, 0, tzinfo=UTC)
    assert evaluate(contact(), RUNNING, GOOD, CLEAN, night).outcome is Outcome.DEFERRED


RECORDED = {"kind": "voice", "agent_id": "agent_demo", "records_calls": True, **DISCLOSED}


@pytest.mark.parametrize(
    ("phone", "state", "content", "reason"),
    [
        # Cal. Penal Code 632: every party must consent to a recording; the agent must announce it.
        ("+14155550100", "CA", RECORDED, Reason.RECORDING_NOT_ANNOUNCED),
        ("+14155550100", "CA", {**RECORDED, "announces_recording": True}, None),
        # Fla. Stat. 934.03 reaches a Florida resident with a New York number: both states apply.
        ("+12125550100", "FL", RECORDED, Reason.RECORDING_NOT_ANNOUNCED),
        # New York needs one party's consent (N.Y. Penal Law 250.00): the caller's own.
        ("+12125550100", "NY", RECORDED, None),
        # Calls not recorded need no announcement.
        ("+14155550100", "CA", {"kind": "voice", "agent_id": "agent_demo", **DISCLOSED}, None),
        # No state known: the person may be in an all-party state, so fail closed.
        ("+18005550199", None, RECORDED, Reason.RECORDING_NOT_ANNOUNCED),
    ],
)
def test_gate_2_a_recorded_call_is_announced_where_every_party_must_consent(
    phone: str, state: str | None, content: dict[str, Any], reason: Reason | None
) -> None:
    """All-party consent to record (Cal. Penal Code 632, Fla. Stat. 934.03 and the rule book's list)."""
    person = contact(phone=phone, state=state, channels=(Channel.VOICE,))
    campaign = spec_for(Channel.VOICE, content=content)
    assert gate_recording(person, campaign).reason == reason
    if reason is not None:  # and evaluate asks it, right after consent
        assert evaluate(person, RUNNING_AS(campaign), GOOD, CLEAN, NOW).reason == reason


def RUNNING_AS(campaign: CampaignSpec) -> CampaignFacts:  # noqa: N802
    return CampaignFacts(status=CampaignStatus.RUNNING, approved_by="user:usr_x", spec=campaign)


# ---------------------------------------------------------------- no call again after a hang-up

NEVADA = "+17025550100"
HUNG_UP = ContactFacts(suppressed=False, hung_up_at=NOW - timedelta(days=400))
RECORDED_VOICE = {**LIVE_CALLS, **DISCLOSED}  # Twilio dials and connects a recorded message


@pytest.mark.parametrize(
    ("phone", "state", "channel", "changes", "facts", "reason"),
    [
        # A machine voice to a person in Nevada who hung up on one (a year ago: the bar never expires).
        (NEVADA, "NV", Channel.VOICE, {}, HUNG_UP, Reason.HUNG_UP_ON_RECORDED_CALL),
        (
            NEVADA,
            "NV",
            Channel.VOICE,
            {"technology": "prerecorded", "content": RECORDED_VOICE},
            HUNG_UP,
            Reason.HUNG_UP_ON_RECORDED_CALL,
        ),
        # A New York number whose holder lives in Nevada: Nevada's rule reaches them too.
        ("+12125550100", "NV", Channel.VOICE, {}, HUNG_UP, Reason.HUNG_UP_ON_RECORDED_CALL),
        # A live call, a text, no hang-up, or a person in no barring state: not barred.
        (NEVADA, "NV", Channel.VOICE, {"technology": "live", "content": LIVE_CALLS}, HUNG_UP, None),
        (NEVADA, "NV", Channel.SMS, {}, HUNG_UP, None),
        (NEVADA, "NV", Channel.VOICE, {}, CLEAN, None),
        ("+12125550100", "NY", Channel.VOICE, {}, HUNG_UP, None),
    ],
)
def test_gate_6_no_recorded_call_again_after_a_hang_up_in_nevada_nrs_597_814(
    phone: str,
    state: str,
    channel: Channel,
    changes: dict[str, Any],
    facts: ContactFacts,
    reason: Reason | None,
) -> None:
    """NRS 597.814 (calling-rules reference, NV: "no re-call after hang-up on a recorded call", low
    confidence, applied strictly): after a hang-up on an artificial or prerecorded voice call, no such
    call again, from any campaign, at any time; texts and live calls go on."""
    person = contact(phone, state, channels=(Channel.SMS, Channel.VOICE))
    campaign = spec_for(channel, **changes, windows=ALL_DAY)
    verdict = gate_caps(person, campaign, facts, NOW)
    assert (verdict.outcome, verdict.reason) == (
        (Outcome.BLOCKED, reason) if reason else (Outcome.PASS, None)
    )
    if reason is not None:
        assert verdict.gate == "caps"
        assert evaluate(person, RUNNING_AS(campaign), GOOD, facts, NOW).reason == reason


def test_gate_6_a_person_in_no_known_state_who_hung_up_gets_no_recorded_call_nrs_597_814() -> None:
    """NRS 597.814, applied strictly: a person whose state is unknown may be in Nevada (fail closed)."""
    nowhere = contact("+18005550199", None, channels=(Channel.VOICE,))
    assert nowhere.states == []
    assert gate_caps(nowhere, spec_for(Channel.VOICE), HUNG_UP, NOW).reason == Reason.HUNG_UP_ON_RECORDED_CALL
    assert gate_caps(nowhere, spec_for(Channel.VOICE), CLEAN, NOW).passed
