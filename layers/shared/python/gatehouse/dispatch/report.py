"""The campaign report: each contact's outcome written once per batch, read a page at a time, tallied.

``record`` writes one ``ContactOutcome`` per contact a batch decided (only where the
decision changed); ``report`` reads a page with the provider's delivery status beside each
send; ``tally`` counts a whole campaign for a run's end. Counts are keyed ``status`` and
``status:reason`` with the reason codes of ``dispatch.gates.Reason``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Final, Protocol

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from gatehouse.contacts.records import Contact, dnc_status_of
from gatehouse.dispatch.delivery import Delivery, deliveries
from gatehouse.dispatch.gates import Reason
from gatehouse.dispatch.outcomes import (
    ContactOutcome,
    OutcomeStatus,
    Read,
    SentMark,
    find,
    listed,
    write_sent,
)
from gatehouse.dnc.stamps import ScrubStatus
from gatehouse.errors import Conflict
from gatehouse.observability import TENANT_KEY, current_tenant, metrics
from gatehouse.tenancy import Page, TenantRecord, TenantScope


class Decided(Protocol):
    """What a batch decided, by contact id (``dispatch.batch.BatchResult``)."""

    sent: dict[str, str]
    failed: dict[str, str]
    blocked: dict[str, str]
    deferred: dict[str, datetime]
    deferred_why: dict[str, str]


def record(  # noqa: PLR0917
    scope: TenantScope,
    campaign_id: str,
    contacts: Mapping[str, Contact],
    earlier: Mapping[str, ContactOutcome],
    attempted: set[str],
    result: Decided,
    now: datetime,
    *,
    read: Read | None = None,
) -> None:
    """One outcome per contact (the attempts are already on the ledgers: the claims put them there).

    A first send is a mark on its sheet (``outcomes.write_sent``; ``read`` is what the batch
    read of the outcomes: the sheets' versions, and items a mark stands over, removed here).
    Every other outcome is an item, written 25 per BatchWriteItem, without a condition: an
    outcome of this campaign's contact is this batch's to write (the claims decided who
    sends; a contact another execution claimed is left out above), so a condition would only
    make a race lose a write that must be made anyway, and a transaction would charge twice.
    """
    records: list[TenantRecord] = []
    busy: list[ContactOutcome] = []
    marks: dict[str, ContactOutcome] = {}
    for cid in set(contacts) | set(result.blocked):
        before = earlier.get(f"{campaign_id}#{cid}")
        attempts = (before.attempts if before else 0) + (1 if cid in attempted else 0)
        if cid in result.sent or cid in result.failed:
            status = OutcomeStatus.SENT if cid in result.sent else OutcomeStatus.SEND_FAILED
            reason = result.failed.get(cid)
        elif cid in result.deferred:
            status, reason = OutcomeStatus.DEFERRED, result.deferred_why.get(cid)
        elif cid in result.blocked:
            status, reason = OutcomeStatus.BLOCKED, result.blocked[cid]
        else:
            continue  # claimed by another execution, or settled before: that outcome stands
        until = result.deferred.get(cid)
        dnc = dnc_status_of(contacts[cid]) if cid in contacts else None
        if before is not None and (
            before.status,
            before.reason,
            before.until,
            before.attempts,
            before.dnc_status,
        ) == (status, reason, until, attempts, dnc):
            continue  # decided as before: nothing to write
        outcome = ContactOutcome(
            campaign_id=campaign_id,
            contact_id=cid,
            status=status,
            reason=reason,
            until=until,
            attempts=attempts,
            provider_ref=result.sent.get(cid) or None,
            updated_at=now,
            dnc_status=dnc,
            version=before.version if before is not None else 0,
        )
        if before is None and status is OutcomeStatus.SENT:
            marks[cid] = outcome
        else:
            (busy if reason == Reason.ATTEMPT_LEDGER_BUSY.value else records).append(outcome)
    sent = {
        c: SentMark(ref=o.provider_ref, at=o.updated_at, dnc=o.dnc_status, w="") for c, o in marks.items()
    }
    left = write_sent(scope, campaign_id, sent, read.sheets if read else {}) if sent else []
    records.extend(marks[cid] for cid in left)
    scope.batch_save(records)
    for shadowed in read.shadowed if read is not None else []:
        with suppress(Conflict):  # written again since: it is the writer's now
            scope.delete(shadowed)
    # Contested in every claim round, so another execution may hold the claim and have recorded
    # its send since this batch read the outcome: written only over the version read, or not at all,
    # and not beside a first send's mark made meanwhile (read again: a rare path). A mark made after
    # this read stands over the deferral, which the next batch or the deferred job removes.
    fresh = find(scope, [o.sort_key() for o in busy if o.version == 0]) if busy else {}
    scope.save_each([o for o in busy if o.version or o.sort_key() not in fresh])


@dataclass(frozen=True)
class ReportPage:
    counts: dict[str, int]
    outcomes: list[ContactOutcome]
    cursor: str | None


def report(
    scope: TenantScope, campaign_id: str, *, limit: int = 100, cursor: str | None = None
) -> ReportPage:
    """One page of a campaign's per-contact outcomes with their delivery status, and the page's counts.

    Counts are by status (``status:reason`` where there is a reason) and, for sends the
    provider reported on, by delivery status too (``delivery:<status>``, with
    ``:<error code>`` when it failed with one), and for calls by what the call came to
    (``call:<outcome>``). One read for the page's delivery statuses, one for its calls.
    """
    page = listed_page(scope, campaign_id, limit=limit, cursor=cursor)
    reported = deliveries(scope, (o.provider_ref for o in page.items if o.provider_ref))
    outcomes: list[ContactOutcome] = []
    counts: dict[str, int] = {}
    for stored in page.items:
        outcome = _with_delivery(stored, reported.get(stored.provider_ref or ""))
        outcomes.append(outcome)
        reason = f":{outcome.reason}" if outcome.reason is not None else ""
        keys = [f"{outcome.status.value}{reason}"]
        if outcome.dnc_status == UNSCRUBBED:
            keys.append(f"dnc:{UNSCRUBBED}")
        if outcome.delivery_status is not None:
            error = f":{outcome.error_code}" if outcome.error_code else ""
            keys.append(f"delivery:{outcome.delivery_status.value}{error}")
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    counts.update(_call_counts(scope, page.items))
    return ReportPage(counts=counts, outcomes=outcomes, cursor=page.cursor)


def listed_page(
    scope: TenantScope, campaign_id: str, *, limit: int = 100, cursor: str | None = None
) -> Page[ContactOutcome]:
    """One page of the campaign's outcomes in contact order (``outcomes.listed``), and the next's cursor."""
    prefix = f"{campaign_id}#"
    after = scope.resumes_after(ContactOutcome, cursor, prefix=prefix)[len(prefix) :] if cursor else ""
    items = list(islice(listed(scope, campaign_id, after=after, page=limit), limit + 1))
    more = len(items) > limit
    items = items[:limit]
    last = items[-1].sort_key() if more and items else None
    return Page(items=items, cursor=scope.cursor_after(ContactOutcome, last, prefix=prefix) if last else None)


def _call_counts(scope: TenantScope, outcomes: list[ContactOutcome]) -> dict[str, int]:
    """The page's calls by outcome (``call:<outcome>``; ``call:revoked``: revocations caught on calls)."""
    from gatehouse.voice.calls import outcome_counts  # noqa: PLC0415 - voice reads the webhook's records

    return outcome_counts(scope, [(o.contact_id, o.provider_ref) for o in outcomes if o.provider_ref])


def _with_delivery(outcome: ContactOutcome, delivery: Delivery | None) -> ContactOutcome:
    if delivery is None or outcome.status is not OutcomeStatus.SENT:
        return outcome
    return outcome.model_copy(
        update={
            "delivery_status": delivery.status,
            "error_code": delivery.error_code,
            "duration_seconds": delivery.duration_seconds,
        }
    )


TALLY_PAGE: Final = 1000
UNSCRUBBED: Final = ScrubStatus.UNSCRUBBED.value  # counted apart: never scrubbed, on the owner's word


def tally(scope: TenantScope, campaign_id: str) -> dict[str, int]:
    """The campaign's outcomes counted by status and by ``status:reason`` (every page, for a run's end)."""
    counts: dict[str, int] = {}
    for outcome in listed(scope, campaign_id, page=TALLY_PAGE):
        counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
        if outcome.reason is not None:
            key = f"{outcome.status.value}:{outcome.reason}"
            counts[key] = counts.get(key, 0) + 1
        if outcome.dnc_status == UNSCRUBBED:
            counts[f"dnc:{UNSCRUBBED}"] = counts.get(f"dnc:{UNSCRUBBED}", 0) + 1
    return counts


def count_blocked_by_reason(blocked: Mapping[str, str]) -> None:
    """One ``DispatchBlockedByReason`` figure per reason code (dimension ``reason``).

    A metric of its own rather than a dimension on ``metrics``: a dimension there would
    split every other figure of the batch by reason too.
    """
    if is_metrics_disabled():  # single_metric prints even where metrics are switched off
        return
    for reason, count in sorted(Counter(blocked.values()).items()):
        with single_metric(
            name="DispatchBlockedByReason", unit=MetricUnit.Count, value=count, namespace=metrics.namespace
        ) as figure:
            figure.add_dimension(name="reason", value=reason)
            tenant_id = current_tenant()
            if tenant_id is not None:  # a record of its own: the shared provider's labelling is not here
                figure.add_metadata(key=TENANT_KEY, value=tenant_id)
