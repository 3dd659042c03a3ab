"""Re-scrubbing a tenant's contacts whose DNC data is older than the tenant's interval.

The due contacts are read from the time index (``CONTACT_DNC``, ordered by the version of
the data the stamp relied on, ``ScrubStamp.dated_from``, not by when it was asked: the 31
days count from the data), so a run reads only contacts that are due, never the tenant's
whole list. A re-scrub whose source has nothing newer leaves the contact due; it is counted
(``still_old``), since only a newer file or provider data can make it fresh.

Due contacts are scrubbed through the tenant's source in chunks (one provider call per
chunk) and stored with their new stamp and eligibility, each written only if the
contact did not change since it was read (a contact changed meanwhile stays due and is
taken by the next run). A stored contact leaves the due range, so a run that stops
for time is resumed by the next one where it stopped, and a second run at the same
instant finds nothing.

Fail closed: when the source fails (down, refusing, stale registry) nothing of that
chunk is stored, the tenant's running voice campaigns pause (``dnc_source_failed``)
and a severe event is raised: a metric and a warning every time, and, when the tenant
was not already failing, one audit entry (``RescrubState`` remembers it, so retries
add nothing). A tenant without a DNC source at all (no provider) is left as it is:
its contacts already stamp ``no_provider`` and are not dialable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from gatehouse import audit
from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignStatus
from gatehouse.clock import Clock, utc_now
from gatehouse.compliance.state_rules import Channel
from gatehouse.contacts.intake import refresh
from gatehouse.contacts.records import RESCRUB_INDEX, Contact
from gatehouse.dnc.scrubbing import scrub as scrub_numbers
from gatehouse.dnc.stamps import ScrubReason, ScrubStamp, ScrubStatus
from gatehouse.errors import Conflict
from gatehouse.identity.caller import system
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics
from gatehouse.retention.policy import windows_of
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.tenancy.records import time_bound

CHUNK: Final = 500  # numbers per provider call (the commercial API takes up to 1,000)
PAUSE_REASON: Final = "dnc_source_failed"

Scrub = Callable[[TenantScope, list[str]], dict[str, ScrubStamp]]


class RescrubState(TenantRecord):
    """Whether the tenant's DNC source is failing the re-scrub, since when and why."""

    collection = "DNC_RESCRUB"

    failing_since: datetime | None = None
    reason: str | None = None

    def sort_key(self) -> str:
        return "STATE"


class RescrubFailure(GatehouseModel):
    reason: str
    paused_campaigns: list[str]


@dataclass
class Rescrubbed:
    rescrubbed: int = 0
    listed: int = 0
    number_errors: int = 0
    changed_meanwhile: int = 0
    paused: int = 0
    still_old: int = 0  # re-scrubbed, but the source's data is itself older than the interval
    complete: bool = True
    source_failed: str | None = None
    no_source: bool = False

    def counts(self) -> dict[str, int]:
        return {
            "rescrubbed": self.rescrubbed,
            "listed": self.listed,
            "number_errors": self.number_errors,
            "changed_meanwhile": self.changed_meanwhile,
            "campaigns_paused": self.paused,
            "still_old": self.still_old,
        }


def rescrub_due(
    scope: TenantScope,
    *,
    clock: Clock = utc_now,
    time_left: Callable[[], bool] = lambda: True,
    scrub: Scrub | None = None,
    chunk: int = CHUNK,
) -> Rescrubbed:
    """Re-scrub the tenant's due contacts, chunk by chunk, while ``time_left()``."""
    now = clock()
    ask = scrub or (lambda s, numbers: scrub_numbers(s, numbers, clock=clock))
    bound = time_bound(now - timedelta(days=windows_of(scope).dnc_rescrub_days))
    done = Rescrubbed()
    cursor: str | None = None
    while True:
        if not time_left():
            done.complete = False
            return done
        page = scope.due(Contact, RESCRUB_INDEX, before=bound, limit=chunk, cursor=cursor)
        if not page.items:
            break
        stamps = ask(scope, [c.e164 for c in page.items])
        failure = _source_failure(stamps)
        if failure is ScrubReason.NO_PROVIDER:
            done.no_source = True
            return done
        if failure is not None:
            return _failed(scope, done, failure.value, now)
        _store(scope, page.items, stamps, done, bound)
        cursor = page.cursor
        if cursor is None:
            break
    if done.still_old:
        metrics.add_metric(name="DncRescrubDataStillOld", unit="Count", value=done.still_old)
        logger.warning(
            "DNC source data is older than the re-scrub interval; load newer files",
            extra={"tenant_id": scope.tenant_id, "still_old": done.still_old},
        )
    _recovered(scope, now)
    return done


def _source_failure(stamps: dict[str, ScrubStamp]) -> ScrubReason | None:
    for stamp in stamps.values():
        if stamp.source_failed:
            return stamp.reason or ScrubReason.PROVIDER_UNAVAILABLE
    return None


def _store(
    scope: TenantScope, contacts: list[Contact], stamps: dict[str, ScrubStamp], done: Rescrubbed, bound: str
) -> None:
    """Each contact written only if unchanged since it was read (one conditional put each).

    Contacts are independent, so one changed meanwhile must not hold back the others (as a
    transaction would); it stays due and the next run takes it.
    """
    for contact in contacts:
        stamp = stamps.get(contact.e164)
        if stamp is None:
            continue
        try:
            saved = scope.save(refresh(contact.model_copy(update={"dnc": stamp})))
        except Conflict:
            done.changed_meanwhile += 1
            continue
        done.rescrubbed += 1
        key = saved.time_key()
        done.still_old += key is not None and key[1] < bound
        done.listed += stamp.status is ScrubStatus.LISTED
        done.number_errors += stamp.status is ScrubStatus.ERROR


def _failed(scope: TenantScope, done: Rescrubbed, reason: str, now: datetime) -> Rescrubbed:
    """The severe event: nothing stored from the chunk, voice campaigns paused, metric, warning, audit."""
    paused = _pause_voice_campaigns(scope)
    done.paused = len(paused)
    done.source_failed = reason
    metrics.add_metric(name="DncRescrubSourceFailed", unit="Count", value=1)
    logger.warning(
        "DNC source failed during re-scrub; voice campaigns paused",
        extra={"tenant_id": scope.tenant_id, "reason": reason, "campaigns_paused": len(paused)},
    )
    state = scope.get(RescrubState, "STATE") or RescrubState()
    if state.failing_since is None or paused:
        scope.save(state.model_copy(update={"failing_since": state.failing_since or now, "reason": reason}))
        caller = system(scope.tenant_id, "dnc-rescrub")
        audit.record(
            caller,
            "dnc.rescrub_failed",
            "dnc",
            "rescrub",
            after=RescrubFailure(reason=reason, paused_campaigns=paused),
        )
    return done


def _recovered(scope: TenantScope, now: datetime) -> None:
    state = scope.get(RescrubState, "STATE")
    if state is None or state.failing_since is None:
        return
    scope.save(state.model_copy(update={"failing_since": None, "reason": None}))
    audit.record(system(scope.tenant_id, "dnc-rescrub"), "dnc.rescrub_recovered", "dnc", "rescrub")
    logger.info(
        "DNC re-scrub recovered",
        extra={"tenant_id": scope.tenant_id, "failed_for": str(now - state.failing_since)},
    )


def _pause_voice_campaigns(scope: TenantScope) -> list[str]:
    caller = system(scope.tenant_id, "dnc-rescrub")
    paused: list[str] = []
    for campaign in _running_voice(scope):
        try:
            lifecycle.transition(scope, caller, campaign.campaign_id, "pause", reason=PAUSE_REASON)
        except Conflict:
            continue  # it moved on meanwhile (paused, completed): nothing left to stop
        paused.append(campaign.campaign_id)
    return paused


def _running_voice(scope: TenantScope) -> list[Campaign]:
    running: list[Campaign] = []
    cursor: str | None = None
    while True:
        page = lifecycle.list_campaigns(scope, limit=100, cursor=cursor)
        running.extend(
            c for c in page.items if c.status is CampaignStatus.RUNNING and c.spec.channel is Channel.VOICE
        )
        cursor = page.cursor
        if cursor is None:
            return running
