"""The pre-flight of a campaign: what every gate would decide for its audience now, a page at a time.

Before a campaign is submitted or approved, an owner wants to know how many of its
audience it may reach and why the rest may not. ``preflight`` asks the same gates the
dispatch asks (``gates.evaluate_contact``, gates 2 to 6) with the same facts (the
suppression list and the attempt ledgers, read in batch), plus gate 1 for the tenant,
and counts the answers by outcome and ``Reason``; for deferred contacts it says when
the earliest of them opens. A number whose Do-Not-Call answer must be refreshed is
counted as ``rescrub`` (the run scrubs it first): nothing here calls a provider or writes.

A request costs one page of the audience (O(page)); the caller follows ``cursor``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from gatehouse.billing.account import billing_status
from gatehouse.campaigns.records import Campaign, CampaignStatus
from gatehouse.compliance import declared
from gatehouse.contacts.records import Contact
from gatehouse.contacts.service import ContactFilter
from gatehouse.dispatch import gates
from gatehouse.dispatch.claims import AttemptLedger
from gatehouse.dnc.acknowledgment import on_owners_word
from gatehouse.identity.tenants import TenantStatus, find_tenant
from gatehouse.suppression import held_only
from gatehouse.tenancy import TenantScope

PAGE_MAX: Final = 500

Suppressed = Callable[[TenantScope, list[str]], set[str]]


@dataclass
class Preflight:
    campaign: list[str]  # gate 1's reasons for the whole campaign (approval aside): tenant, billing
    counts: dict[str, int] = field(default_factory=dict)  # "pass", "<outcome>:<reason>"
    opens: dict[str, datetime] = field(default_factory=dict)  # "deferred:<reason>" -> earliest opening
    contacts: int = 0
    cursor: str | None = None


def preflight(  # noqa: PLR0917
    scope: TenantScope,
    campaign_id: str,
    now: datetime,
    suppressed: Suppressed,
    limit: int = PAGE_MAX,
    cursor: str | None = None,
) -> Preflight:
    """What the gates would decide now for one page of the campaign's audience.

    The campaign is read through the caller's scope (a person kept to their campaigns sees only
    theirs); its audience is the campaign's, read whole whatever contacts the caller may open,
    and only counts leave here.
    """
    campaign = scope.require(Campaign, campaign_id)
    scope = scope.unrestricted()
    contacts, next_cursor = _audience_page(scope, campaign, min(limit, PAGE_MAX), cursor)
    report = Preflight(campaign=_campaign_reasons(scope.tenant_id, campaign), contacts=len(contacts))
    report.cursor = next_cursor
    numbers = [c.e164 for c in contacts]
    on_list = suppressed(scope, numbers) if numbers else set()
    on_hold = held_only(on_list)
    ledgers = scope.batch_get(AttemptLedger, [c.contact_id for c in contacts]) if contacts else {}
    rules = declared.rules_at(now)
    owners_word = on_owners_word(scope)
    for contact in contacts:
        ledger = ledgers.get(contact.contact_id)
        facts = gates.ContactFacts(
            suppressed=contact.e164 in on_list and contact.e164 not in on_hold,
            held=contact.e164 in on_hold,
            attempts_last_day=ledger.recent(now) if ledger else [],
            owners_word=owners_word,
            hung_up_at=ledger.hung_up_at if ledger else None,
        )
        _count(report, gates.evaluate_contact(contact, campaign.spec, facts, now, rules))
    return report


def _count(report: Preflight, verdict: gates.Verdict) -> None:
    key = "pass" if verdict.passed else f"{verdict.outcome.value}:{verdict.reason}"
    report.counts[key] = report.counts.get(key, 0) + 1
    if verdict.outcome is gates.Outcome.DEFERRED and verdict.until is not None:
        earliest = report.opens.get(key)
        report.opens[key] = verdict.until if earliest is None else min(earliest, verdict.until)


def _campaign_reasons(tenant_id: str, campaign: Campaign) -> list[str]:
    """Gate 1 as it stands for a campaign that would be approved and running now."""
    entry = find_tenant(tenant_id)
    facts = gates.CampaignFacts(status=CampaignStatus.RUNNING, approved_by="pre-flight", spec=campaign.spec)
    tenant = gates.TenantFacts(
        active=entry is not None and entry.status is TenantStatus.ACTIVE,
        billing_status=billing_status(tenant_id).value,
    )
    verdict = gates.gate_state(tenant, facts)
    return [] if verdict.reason is None else [verdict.reason.value]


def _audience_page(
    scope: TenantScope, campaign: Campaign, limit: int, cursor: str | None
) -> tuple[list[Contact], str | None]:
    audience = campaign.spec.audience
    if audience.contact_ids:
        offset = int(cursor) if cursor and cursor.isdigit() else 0
        ids = audience.contact_ids[offset : offset + limit]
        after = offset + limit
        found = scope.batch_get(Contact, ids)
        return [found[i] for i in ids if i in found], (
            str(after) if after < len(audience.contact_ids) else None
        )
    where = ContactFilter(tag=audience.tag, state=audience.state)
    page = scope.query(Contact, limit=limit, cursor=cursor)
    return [c for c in page.items if where.matches(c)], page.cursor
