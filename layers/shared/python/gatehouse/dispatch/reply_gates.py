"""The decisions of a member's one-off reply: a campaign attempt's gates, asked for one text.

A reply goes in an SMS conversation under the campaign that last reached the person: that
campaign's purpose, technology and windows decide consent, hours and caps as they would for
its own next attempt (``gates.evaluate_contact``, gates 2 to 6, unchanged). Gate 1 differs
in one point: the campaign need not be running (people answer after a run ends), only
approved. A reply is a text, and a person no approved campaign reached gets none
(``no_campaign``): consent is given for a campaign's purpose, and without one there is no
purpose to hold it against. When a reply may go is the rule book's ``replies`` row: the
hours a campaign attempt keeps.

Caps: a reply counts against the person's attempts like any attempt, and the states' caps
(FL, OK, MD, ME...) apply to it in full. The campaign's own ``max_attempts_per_contact`` is
the campaign's pacing of its outreach, not an answer's: a reply is held instead to
``REPLY_ATTEMPTS_PER_DAY`` attempts of the person's last 24 hours, the most any campaign may
set, so a person who writes in the day a campaign texted them can be answered.

Nothing here reads a table or a clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from gatehouse.compliance.state_rules import Channel, RuleBook
from gatehouse.contacts.records import Contact
from gatehouse.dispatch import gates
from gatehouse.dispatch.gates import (
    PASSED,
    CampaignFacts,
    ContactFacts,
    Reason,
    TenantFacts,
    Verdict,
    blocked,
)

REPLY_ATTEMPTS_PER_DAY: Final = 10  # CampaignSpec.max_attempts_per_contact's upper bound


def gate_reply(channel: Channel, tenant: TenantFacts, campaign: CampaignFacts | None) -> Verdict:
    """1 (replies). A text in an SMS conversation, from an active tenant, under an approved SMS campaign."""
    if channel is not Channel.SMS:
        return blocked("channel", Reason.CHANNEL_NOT_AVAILABLE)
    tenant_state = gates.gate_tenant(tenant)
    if not tenant_state.passed:
        return tenant_state
    if campaign is None:
        return blocked("state", Reason.NO_CAMPAIGN)
    if campaign.approved_by is None:
        return blocked("state", Reason.CAMPAIGN_NOT_APPROVED)
    if campaign.spec.channel is not Channel.SMS:
        return blocked("channel", Reason.CHANNEL_NOT_AVAILABLE)
    return PASSED


def evaluate_reply(
    contact: Contact | None, campaign: CampaignFacts, facts: ContactFacts, now: datetime, rules: RuleBook
) -> Verdict:
    """Gates 2 to 6 for the person, as the campaign's next attempt would meet them (after ``gate_reply``).

    A person who wrote in and is no contact of the tenant has no consent evidence: blocked.
    """
    if contact is None:
        return blocked("consent", Reason.CONSENT_MISSING)
    spec = campaign.spec.model_copy(update={"max_attempts_per_contact": REPLY_ATTEMPTS_PER_DAY})
    return gates.evaluate_contact(contact, spec, facts, now, rules)


def still_contested(now: datetime) -> Verdict:
    """The ledger changed under every claim round: the reply may go in a minute, decided again."""
    step = gates.still_contested(now)
    return Verdict(gates.Outcome.DEFERRED, step.reason, step.until, gate="claim")


def unresolved(verdict: Verdict) -> Verdict:
    """A verdict still asking for a re-scrub after one: the DNC gate blocks with its reason."""
    if verdict.outcome is gates.Outcome.RESCRUB:
        return blocked("dnc", verdict.reason or Reason.DNC_UNSCRUBBED)
    return verdict
