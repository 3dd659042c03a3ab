"""Sending a notification once per occurrence and person: claim a marker, then mail.

The marker (``NotificationSent``, sort key ``<event id>#<user id>``) is written with a
create-only condition before the mail goes: a record the events function sees again (a
retried batch, a replayed stream) finds the marker and mails nobody twice. When the send
itself fails the marker is removed and the error raised, so the record is retried and
the mail goes then. Nothing here logs an address, a subject or a body.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from aws_lambda_powertools.metrics import MetricUnit

from gatehouse import mail
from gatehouse.campaigns.records import Campaign
from gatehouse.clock import Clock, utc_now
from gatehouse.config import get_settings
from gatehouse.errors import Conflict
from gatehouse.events.occurrence import Occurrence
from gatehouse.identity.tenants import find_tenant
from gatehouse.ids import is_entity_id
from gatehouse.notifications.content import Facts, template_data
from gatehouse.notifications.kinds import CAMPAIGN_KINDS, NotificationKind, kind_of
from gatehouse.notifications.recipients import Recipient, recipients
from gatehouse.notifications.templates import TEMPLATES
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import TenantRecord, TenantScope

# Longer than any retry of a stream record (24 h) or replay an operator would run.
KEPT_FOR: Final = timedelta(days=30)


class NotificationSent(TenantRecord):
    """One person was mailed about one occurrence (or is being: the marker comes first)."""

    collection = "NOTIFIED"

    event_id: str
    user_id: str
    kind: NotificationKind
    sent_at: datetime

    def sort_key(self) -> str:
        return f"{self.event_id}#{self.user_id}"

    def expires(self) -> datetime | None:
        return self.sent_at + KEPT_FOR


def on_occurrence(occurrence: Occurrence, *, clock: Clock = utc_now) -> None:
    """Mail the people who must hear of ``occurrence``, each once; raises to have the record retried."""
    kind = kind_of(occurrence)
    if kind is None:
        return
    scope = TenantScope(occurrence.tenant_id)
    facts = _facts(scope, kind, occurrence)
    submitted_by = facts.campaign.submitted_by if facts.campaign is not None else None
    people = recipients(scope, kind, actor=occurrence.actor, submitted_by=submitted_by)
    sent = sum(
        _send_once(scope, kind, occurrence=occurrence, facts=facts, person=person, clock=clock)
        for person in people
    )
    metrics.add_metric(name="NotificationsSent", unit=MetricUnit.Count, value=sent)
    logger.info(
        "notification handled",
        extra={"event_id": occurrence.event_id, "kind": kind.value, "recipients": len(people), "sent": sent},
    )


def _facts(scope: TenantScope, kind: NotificationKind, occurrence: Occurrence) -> Facts:
    tenant = find_tenant(scope.tenant_id)
    campaign = None
    if kind in CAMPAIGN_KINDS and is_entity_id(occurrence.target_id, "cmp"):
        campaign = scope.get(Campaign, occurrence.target_id)
    return Facts(
        base_url=get_settings().public_base_url,
        tenant_name=tenant.name if tenant is not None else scope.tenant_id,
        campaign=campaign,
    )


def _send_once(
    scope: TenantScope,
    kind: NotificationKind,
    *,
    occurrence: Occurrence,
    facts: Facts,
    person: Recipient,
    clock: Clock,
) -> bool:
    """True when this call mailed ``person``; False when an earlier one had (its marker stands)."""
    marker = NotificationSent(
        event_id=occurrence.event_id, user_id=person.user_id, kind=kind, sent_at=clock()
    )
    try:
        claimed = scope.save(marker)
    except Conflict:
        return False
    message = mail.Templated(
        to=person.email, template=TEMPLATES[kind], data=template_data(kind, occurrence, facts, person)
    )
    try:
        mail.send_templated(message)
    except Exception:
        scope.delete(claimed)  # the mail did not go: the retried record must be free to send it
        raise
    return True
