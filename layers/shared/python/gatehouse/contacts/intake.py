"""Intake rules: what Gatehouse works out about a contact, and whether each channel may reach it.

Pure functions of the contact (and the suppression and Do-Not-Call facts already looked
up), so the same rules give the same answer at intake, on every update and in tests.
A channel is eligible only when every reason is absent; reasons are stable codes.
"""

from __future__ import annotations

from gatehouse.compliance.consent import ConsentLevel
from gatehouse.compliance.state_rules import Channel
from gatehouse.compliance.zones import locate
from gatehouse.contacts.records import ChannelEligibility, Contact
from gatehouse.contacts.records import EligibilityReason as Reason
from gatehouse.dnc.stamps import ScrubStatus


def locate_contact(contact: Contact) -> Contact:
    """The contact with its candidate zones and applicable states worked out anew."""
    where = locate(contact.e164, contact.state, contact.postal_code)
    return contact.model_copy(update={"zones": sorted(where.zones), "states": sorted(where.states)})


def assess(contact: Contact) -> dict[Channel, ChannelEligibility]:
    """Per channel: eligible, or the reasons it is not."""
    shared: list[Reason] = []
    if contact.deleted_at is not None:
        shared.append(Reason.DELETED)
    if contact.suppressed:
        shared.append(Reason.SUPPRESSED)
    if contact.dnc is None:
        shared.append(Reason.DNC_UNSCRUBBED)
    elif contact.dnc.status is ScrubStatus.LISTED or _on_a_state_list(contact):
        shared.append(Reason.DNC_LISTED)
    elif not contact.dnc.dialable:
        shared.append(Reason.DNC_ERROR)
    if not contact.zones:
        shared.append(Reason.ZONE_UNKNOWN)
    verdicts = {}
    for channel in Channel:
        reasons = list(shared)
        if not contact.consent_covers(channel):
            reasons.insert(0, Reason.CONSENT_MISSING)
        verdicts[channel] = ChannelEligibility(
            eligible=not reasons,
            reasons=[r.value for r in reasons],
            written=contact.consent_level(channel) is ConsentLevel.EXPRESS_WRITTEN,
            missing_written=contact.missing_written(channel),
        )
    return verdicts


def _on_a_state_list(contact: Contact) -> bool:
    """Listed by the Do-Not-Call list of a state the person may be in (only that state's list applies)."""
    answers = contact.dnc.state_lists if contact.dnc else {}
    return any(answers[s].listed for s in contact.states if s in answers)


def refresh(contact: Contact) -> Contact:
    """Zones, states and eligibility recomputed from the contact's current facts."""
    located = locate_contact(contact)
    return located.model_copy(update={"eligibility": assess(located)})
