"""Replies held for review: a text that may revoke consent keeps its number out until a person decides.

47 CFR 64.1200(a)(10) (FCC 24-24) counts any wording a reasonable person reads as "stop
contacting me". When ``compliance.optout`` cannot settle a reading, Gatehouse fails closed:
``hold`` puts the number on the suppression list with the source ``held_for_review`` (so
every check that reads the list keeps it out of every channel at once) and files a
``HeldText`` (collection ``OPTOUT_REVIEW``, sort key = the sender's contact id, one per
number, naming the latest doubtful text by its MessageSid; the text itself stays an
``InboundMessage``; doubtful words said on a call name the call instead, ``on_call``). An
owner or admin then ``confirm_hold`` (the hold becomes an SMS STOP,
which only the person's own explicit opt-in may lift) or ``release_hold`` with a reason
(the hold source goes; the entry goes only if nothing else stands on it).

Every hold, confirmation and release commits in one transaction with its audit entry,
which names the number by its suppression reference, never the number; a decision moves
the contact's SMS conversation flags (``held``, ``opted_out``) in that same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from pydantic import ConfigDict, Field

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.conversations import inbox
from gatehouse.errors import Conflict, Invalid, NotFound
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.observability import metrics
from gatehouse.suppression.entries import (
    REF_LENGTH,
    AuditedSuppression,
    SuppressionEntry,
    SuppressionSource,
    SuppressionView,
    clean_reason,
    key_of,
    mark,
    standing,
    unmark,
)
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.tenancy.scope import TransactionConflict

HELD: Final = SuppressionSource.HELD_FOR_REVIEW
_ROUNDS: Final = 3  # a concurrent change to the entry or the review item: read both again


class HeldText(TenantRecord):
    collection = "OPTOUT_REVIEW"

    contact_id: str
    number_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    message_sid: str  # the latest doubtful text, kept as the contact's InboundMessage (or the call's id)
    on_call: bool = False  # the latest doubtful words were said on a call: ``message_sid`` is its call id
    texts: int = 1
    held_at: datetime
    last_at: datetime

    def sort_key(self) -> str:
        return self.contact_id


class Resolution(StrEnum):
    SUPPRESSED = "suppressed"
    RELEASED = "released"


class HoldResolved(GatehouseModel):
    """What an owner or admin decided of a hold; audited, and the API's answer."""

    model_config = ConfigDict(frozen=True)

    contact_id: str
    ref: str = Field(description="first 16 hex characters of the number's keyed hash")
    resolution: Resolution
    reason: str | None
    sources: list[SuppressionSource] = Field(description="what still keeps the number on the list")
    resolved_at: datetime


@dataclass(frozen=True)
class HeldPage:
    items: list[HeldText]
    cursor: str | None


def hold(
    scope: TenantScope,
    caller: Caller,
    e164: str,
    contact_id: str,
    message_sid: str,
    *,
    on_call: bool = False,
    clock: Clock = utc_now,
) -> bool:
    """Hold the number for review and file the text (or the call); True when this one put the hold on."""
    caller.require(Permission.SUPPRESSION_ADD)
    key = key_of(scope, e164)
    for _ in range(_ROUNDS):
        entry = scope.get(SuppressionEntry, key)
        filed = scope.get(HeldText, contact_id)
        if filed is not None and filed.message_sid == message_sid:
            return False  # this text again: a delivery run a second time after its claim was dropped
        try:
            held = _filed(filed, contact_id, key, message_sid, clock()).model_copy(
                update={"on_call": on_call}
            )
            return _hold_once(scope, caller, key, entry, held)
        except TransactionConflict:
            continue
    raise Conflict("the hold changed concurrently; retry")


def _filed(filed: HeldText | None, contact_id: str, key: str, message_sid: str, now: datetime) -> HeldText:
    if filed is None:
        return HeldText(
            contact_id=contact_id, number_key=key, message_sid=message_sid, held_at=now, last_at=now
        )
    return filed.model_copy(update={"message_sid": message_sid, "texts": filed.texts + 1, "last_at": now})


def _hold_once(
    scope: TenantScope, caller: Caller, key: str, entry: SuppressionEntry | None, filed: HeldText
) -> bool:
    if entry is not None and HELD in standing(entry):
        scope.save(filed)  # the hold stands: a further doubtful text only joins its review item
        return False
    held = (
        SuppressionEntry(
            number_key=key,
            source=HELD,
            sources=[HELD],
            reason="a reply that may revoke consent, held for review",
            added_at=filed.last_at,
            added_by=caller.actor,
            contact_ref=filed.contact_id,
        )
        if entry is None
        else entry.model_copy(update={"sources": [*standing(entry), HELD]})
    )
    after = AuditedSuppression.of(held)
    with audit.recorded(
        scope, caller, "suppression.held", "suppression", after.ref, before=_view(entry), after=after
    ) as change:
        change.save(held)
        if entry is None:
            mark(change, held)
        change.save(filed)
    metrics.add_metric(name="SuppressionHeld", unit="Count", value=1)
    return True


def list_held(scope: TenantScope, *, limit: int = 50, cursor: str | None = None) -> HeldPage:
    page = scope.query(HeldText, limit=limit, cursor=cursor)
    return HeldPage(items=page.items, cursor=page.cursor)


def confirm_hold(
    scope: TenantScope, caller: Caller, contact_id: str, *, clock: Clock = utc_now
) -> HoldResolved:
    """The reply was a revocation: the hold becomes an SMS STOP (the person's own START may lift it).

    No confirmation text follows: 47 CFR 64.1200(a)(12) allows one confirmation and presumes
    it reasonable only within five minutes of the request; a review decided later would
    send an unexpected text after the person asked to be left alone, so none is sent.
    """
    caller.require(Permission.OPTOUT_REVIEW)
    filed = scope.require(HeldText, contact_id)
    entry = scope.get(SuppressionEntry, filed.number_key)
    now = clock()
    kept = [SuppressionSource.SMS_STOP if s is HELD else s for s in standing(entry)] if entry else []
    sources: list[SuppressionSource] = list(dict.fromkeys([*kept, SuppressionSource.SMS_STOP]))
    stopped = (
        SuppressionEntry(
            number_key=filed.number_key,
            source=SuppressionSource.SMS_STOP,
            sources=sources,
            reason="a reply read as a revocation on review",
            added_at=now,
            added_by=caller.actor,
            contact_ref=filed.contact_id,
        )
        if entry is None
        else entry.model_copy(update={"source": sources[0], "sources": sources})
    )
    resolved = _resolved(filed, Resolution.SUPPRESSED, None, sources, now)
    with audit.recorded(
        scope,
        caller,
        "suppression.hold_confirmed",
        "suppression",
        resolved.ref,
        before=_view(entry),
        after=resolved,
    ) as change:
        change.save(stopped)
        if entry is None:
            mark(change, stopped)
        change.delete(filed)
        inbox.stage_state(change, filed.contact_id, held=False, opted_out=True)
    return resolved


def release_hold(
    scope: TenantScope, caller: Caller, contact_id: str, reason: str, *, clock: Clock = utc_now
) -> HoldResolved:
    """The reply was no revocation: the hold goes, and the entry with it unless another source stands."""
    caller.require(Permission.OPTOUT_REVIEW)
    why = clean_reason(reason)
    if why is None:
        raise Invalid("a reason is required", details=[{"field": "reason", "reason": "required"}])
    filed = scope.get(HeldText, contact_id)
    if filed is None:
        raise NotFound("no reply of this contact is held for review")
    entry = scope.get(SuppressionEntry, filed.number_key)
    remaining: list[SuppressionSource] = [s for s in standing(entry) if s is not HELD] if entry else []
    resolved = _resolved(filed, Resolution.RELEASED, why, remaining, clock())
    with audit.recorded(
        scope,
        caller,
        "suppression.hold_released",
        "suppression",
        resolved.ref,
        before=_view(entry),
        after=resolved,
    ) as change:
        if entry is not None and remaining:
            change.save(entry.model_copy(update={"source": remaining[0], "sources": remaining}))
        elif entry is not None:
            change.delete(entry)
            unmark(change, entry)
        change.delete(filed)
        inbox.stage_state(change, filed.contact_id, held=False)
    return resolved


def _resolved(
    filed: HeldText,
    resolution: Resolution,
    reason: str | None,
    sources: list[SuppressionSource],
    now: datetime,
) -> HoldResolved:
    return HoldResolved(
        contact_id=filed.contact_id,
        ref=filed.number_key[:REF_LENGTH],
        resolution=resolution,
        reason=reason,
        sources=sources,
        resolved_at=now,
    )


def _view(entry: SuppressionEntry | None) -> SuppressionView | None:
    return SuppressionView.of(entry) if entry is not None else None
