"""The compliance gates of every attempt, as pure functions of (contact, campaign, facts, rules, now).

DESIGN.md §6 gives the order; ``evaluate`` runs them in it and the first gate that does
not pass decides. Each gate returns a ``Verdict``: ``pass``, ``blocked`` with a stable
reason, ``deferred`` until an instant (calling hours, attempt caps: a contact outside
the window waits for the next opening, it is never dropped), or ``rescrub`` (the DNC
answer is missing, or the data it relied on is older than 31 days: scrub in batch, then
run the gates again).
Nothing here reads a table or a clock: the dispatch tasks look the facts up in batches
and pass ``now``, so every gate has table-driven tests and a settable clock. A gate
that lacks what it needs blocks (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gatehouse.campaigns.records import CampaignSpec, CampaignStatus
from gatehouse.compliance import caps, hours
from gatehouse.compliance.state_rules import RULES, Channel, RuleBook
from gatehouse.contacts.records import Contact
from gatehouse.dnc.stamps import DATA_VALID_FOR, ScrubStamp, ScrubStatus


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    BLOCKED = "blocked"
    DEFERRED = "deferred"
    RESCRUB = "rescrub"


class Reason(StrEnum):
    TENANT_NOT_ACTIVE = "tenant_not_active"
    BILLING_NOT_IN_GOOD_STANDING = "billing_not_in_good_standing"
    CAMPAIGN_NOT_RUNNING = "campaign_not_running"
    CAMPAIGN_NOT_APPROVED = "campaign_not_approved"
    CONTACT_DELETED = "contact_deleted"
    CONSENT_MISSING = "consent_missing"
    SUPPRESSED = "suppressed"
    DNC_LISTED = "dnc_listed"
    DNC_NUMBER_ERROR = "dnc_number_error"  # the scrub could not answer for this number
    DNC_SOURCE_FAILED = "dnc_source_failed"  # the DNC source failed: the campaign must pause
    DNC_UNSCRUBBED = "dnc_unscrubbed"
    DNC_DATA_STALE = "dnc_data_stale"  # the registry data the answer relied on is older than 31 days
    STATE_DNC_LISTED = "state_dnc_listed"  # on the list of a state the person may be in
    STATE_DNC_MISSING = "state_dnc_missing"  # that state keeps a list, and no answer came from it
    STATE_DNC_STALE = "state_dnc_stale"  # the state list's answer is older than 31 days


GOOD_BILLING = frozenset({"active", "trialing"})


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str | None = None
    until: datetime | None = None
    gate: str | None = None

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS


PASSED = Verdict(Outcome.PASS)


def blocked(gate: str, reason: str) -> Verdict:
    return Verdict(Outcome.BLOCKED, reason, gate=gate)


@dataclass(frozen=True)
class TenantFacts:
    active: bool
    billing_status: str | None  # None: unknown, which blocks


@dataclass(frozen=True)
class CampaignFacts:
    status: CampaignStatus
    approved_by: str | None
    spec: CampaignSpec


@dataclass(frozen=True)
class ContactFacts:
    """What the tasks looked up in batch for one contact."""

    suppressed: bool | None  # None: the suppression list could not be read, which blocks
    attempts_last_day: Sequence[datetime] = ()  # across all the tenant's campaigns and numbers


# ---------------------------------------------------------------- the gates, in order


def gate_state(tenant: TenantFacts, campaign: CampaignFacts) -> Verdict:
    """1. Tenant active and in good standing; campaign approved and running."""
    if not tenant.active:
        return blocked("state", Reason.TENANT_NOT_ACTIVE)
    if tenant.billing_status not in GOOD_BILLING:
        return blocked("state", Reason.BILLING_NOT_IN_GOOD_STANDING)
    if campaign.approved_by is None:
        return blocked("state", Reason.CAMPAIGN_NOT_APPROVED)
    if campaign.status is not CampaignStatus.RUNNING:
        return blocked("state", Reason.CAMPAIGN_NOT_RUNNING)
    return PASSED


def gate_consent(contact: Contact, channel: Channel) -> Verdict:
    """2. Evidence of consent that covers the channel."""
    if contact.deleted_at is not None:
        return blocked("consent", Reason.CONTACT_DELETED)
    if not contact.consent_covers(channel):
        return blocked("consent", Reason.CONSENT_MISSING)
    return PASSED


def gate_suppression(facts: ContactFacts) -> Verdict:
    """3. Not on the tenant's suppression list, checked again at every attempt."""
    if facts.suppressed is None or facts.suppressed:
        return blocked("suppression", Reason.SUPPRESSED)
    return PASSED


def gate_dnc(stamp: ScrubStamp | None, now: datetime) -> Verdict:
    """4. A Do-Not-Call answer from data no older than 31 days at ``now`` that allows the number."""
    if stamp is None:
        return Verdict(Outcome.RESCRUB, Reason.DNC_UNSCRUBBED, gate="dnc")
    if stamp.status is ScrubStatus.LISTED:
        return blocked("dnc", Reason.DNC_LISTED)
    if stamp.source_failed:
        # The source failed, not the number: ask it again (a resumed campaign must not wait a month).
        return Verdict(Outcome.RESCRUB, Reason.DNC_SOURCE_FAILED, gate="dnc")
    if stamp.status is ScrubStatus.ERROR:
        return blocked("dnc", Reason.DNC_NUMBER_ERROR)
    if not stamp.current(now):
        return Verdict(Outcome.RESCRUB, Reason.DNC_DATA_STALE, gate="dnc")
    return PASSED if stamp.dialable else blocked("dnc", Reason.DNC_NUMBER_ERROR)


def gate_state_dnc(contact: Contact, now: datetime, rules: RuleBook = RULES) -> Verdict:
    """4 (states). Every state the person may be in that keeps a DNC list: not on it, per data <= 31 days old.

    A state list binds telemarketing to that state's numbers, so a state that keeps one and
    gave no fresh answer blocks (after one re-scrub, which picks up a list loaded meanwhile):
    the absence of an answer is not an answer. The statutes reach telephone solicitations,
    yet it applies to every attempt, as the federal registry does here: the campaign's
    purpose is the tenant's word. The one exception is an ``unscrubbed`` stamp: the owner's
    acknowledgment names "any other Do-Not-Call list", and those contacts are reported unscrubbed.
    """
    stamp = contact.dnc
    if stamp is None or stamp.status is not ScrubStatus.CLEAR:
        return PASSED  # gate_dnc decided it already
    keeping = [s for s in sorted(contact.states) if rules.keeps_dnc_list(s)]
    answers = {s: stamp.state_lists.get(s) for s in keeping}
    if any(a is not None and a.listed for a in answers.values()):
        return blocked("dnc", Reason.STATE_DNC_LISTED)
    if any(a is None for a in answers.values()):
        return Verdict(Outcome.RESCRUB, Reason.STATE_DNC_MISSING, gate="dnc")
    if any(a is not None and now - a.as_of > DATA_VALID_FOR for a in answers.values()):
        return Verdict(Outcome.RESCRUB, Reason.STATE_DNC_STALE, gate="dnc")
    return PASSED


def gate_hours(contact: Contact, spec: CampaignSpec, now: datetime, rules: RuleBook = RULES) -> Verdict:
    """5. Inside the federal floor, the applicable states' rules and the campaign's windows, in every zone."""
    windows = [w.window() for w in spec.windows]
    decision = hours.evaluate(contact.zones, contact.states, spec.channel, windows, now, rules=rules)
    if isinstance(decision, hours.Allowed):
        return PASSED
    if isinstance(decision, hours.Deferred):
        return Verdict(Outcome.DEFERRED, decision.reason.value, decision.until_utc, gate="hours")
    return blocked("hours", decision.reason.value)


def gate_caps(
    contact: Contact, spec: CampaignSpec, facts: ContactFacts, now: datetime, rules: RuleBook = RULES
) -> Verdict:
    """6. Under every attempt cap: the states' (per 24 hours, across campaigns) and the campaign's."""
    decision = caps.evaluate(
        facts.attempts_last_day,
        now,
        state_caps=caps.caps_for(contact.states, spec.channel, rules),
        campaign_limit=spec.max_attempts_per_contact,
    )
    if isinstance(decision, caps.CapDeferred):
        return Verdict(Outcome.DEFERRED, decision.reason.value, decision.until_utc, gate="caps")
    return PASSED


def evaluate(  # noqa: PLR0917 - the facts every gate needs, named
    contact: Contact,
    campaign: CampaignFacts,
    tenant: TenantFacts,
    facts: ContactFacts,
    now: datetime,
    rules: RuleBook = RULES,
) -> Verdict:
    """Every gate in order; the first that does not pass decides. PASSED means gate 7 may claim the send."""
    spec = campaign.spec
    gates: tuple[Callable[[], Verdict], ...] = (
        lambda: gate_state(tenant, campaign),
        lambda: gate_consent(contact, spec.channel),
        lambda: gate_suppression(facts),
        lambda: gate_dnc(contact.dnc, now),
        lambda: gate_state_dnc(contact, now, rules),
        lambda: gate_hours(contact, spec, now, rules),
        lambda: gate_caps(contact, spec, facts, now, rules),
    )
    for gate in gates:
        result = gate()
        if not result.passed:
            return result
    return PASSED
