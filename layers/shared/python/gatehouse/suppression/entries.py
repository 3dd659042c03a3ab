"""The suppression list: numbers a tenant must never text or call again, held only as keyed hashes.

This module owns the ``SuppressionEntry`` record (collection ``SUPPRESSION``, sort key =
the number's key from ``suppression.keys``) and the three things done with it: add
(immediate and permanent), check (in batches, before intake and before every attempt),
and remove (an owner's explicit, audited act with a reason). Entries, views, errors and
audit entries carry the number's key or its first 16 characters, never the number: the
list outlives the contact it came from, including an erased one.

Adding is idempotent: the first entry for a number stands (when, by whom, why). A later
add from a source already standing changes nothing and writes no audit entry, so repeated
STOP texts do not fill the audit chain with entries that record no change; an add from a
new source is recorded on the entry (``sources``) and audited, because it decides what an
opt-in may undo: a contact's START lifts a suppression only when its SMS STOP is the only
source standing (``lift_sms_stop``), never a manual add, a "stop calling" request, an
import or an erasure.

Every add, added source and removal commits in one transaction with its audit entry: a
number is never on or off the list without the entry that says who put it there or took
it off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from pydantic import ConfigDict, Field

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict, Forbidden, Invalid, NotFound
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.observability import metrics
from gatehouse.suppression import markers
from gatehouse.suppression.keys import contact_id_for, number_key
from gatehouse.suppression.numbers import is_e164, to_e164
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.tenancy.scope import ScopedTransaction, TransactionConflict

REF_LENGTH: Final = 16
REASON_MAX: Final = 500
CHECK_MAX: Final = 100
# Seven or more digits in a row (separators allowed) read as a phone number: reasons must not hold one.
_NUMBER_IN_TEXT: Final = re.compile(r"(?:\d[\s().+/-]*){7,}")


class SuppressionSource(StrEnum):
    MANUAL = "manual"
    SMS_STOP = "sms_stop"
    VOICE_STOP_REQUEST = "voice_stop_request"
    ERASURE = "erasure"
    IMPORT = "import"
    # A reply that may revoke consent, until an owner or admin reads it (``suppression.review``):
    # on the list like any source, so every check keeps the number out meanwhile (fail closed).
    HELD_FOR_REVIEW = "held_for_review"


class SuppressionEntry(TenantRecord):
    collection = "SUPPRESSION"

    number_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    source: SuppressionSource  # the first
    sources: list[SuppressionSource] = []  # every source standing, in the order they came
    reason: str | None = None
    added_at: datetime
    added_by: str
    # The contact id of the number: its marker's key (``markers``); None on entries made before markers.
    contact_ref: str | None = None

    def sort_key(self) -> str:
        return self.number_key


class SuppressionView(GatehouseModel):
    """What anyone is shown of an entry: a short reference to the hash, never the number."""

    model_config = ConfigDict(frozen=True)

    ref: str = Field(description="first 16 hex characters of the number's keyed hash")
    source: SuppressionSource
    sources: list[SuppressionSource]
    reason: str | None
    added_at: datetime
    added_by: str

    @classmethod
    def of(cls, entry: SuppressionEntry) -> SuppressionView:
        return cls(
            ref=entry.number_key[:REF_LENGTH],
            source=entry.source,
            sources=entry.sources or [entry.source],
            reason=entry.reason,
            added_at=entry.added_at,
            added_by=entry.added_by,
        )


class AuditedSuppression(SuppressionView):
    """What the audit keeps of an entry added or held: the view, and whose number it is (an id)."""

    contact_id: str | None = None

    @classmethod
    def of(cls, entry: SuppressionEntry) -> AuditedSuppression:
        return cls(**SuppressionView.of(entry).model_dump(), contact_id=entry.contact_ref)


class Removal(GatehouseModel):
    model_config = ConfigDict(frozen=True)

    reason: str
    removed_at: datetime


@dataclass(frozen=True)
class SuppressionPage:
    items: list[SuppressionView]
    cursor: str | None


@dataclass(frozen=True)
class Suppressed:
    entry: SuppressionView
    created: bool  # False: the number was already suppressed; its first entry stands


def suppress(
    scope: TenantScope,
    caller: Caller,
    e164: str,
    source: SuppressionSource,
    reason: str | None = None,
    *,
    clock: Clock = utc_now,
) -> Suppressed:
    """Suppress a number now and for good; a number already suppressed keeps its first entry."""
    caller.require(Permission.SUPPRESSION_ADD)
    entry = SuppressionEntry(
        number_key=key_of(scope, e164),
        source=source,
        sources=[source],
        reason=clean_reason(reason),
        added_at=clock(),
        added_by=caller.actor,
        contact_ref=contact_id_for(scope.tenant_id, e164),
    )
    view = SuppressionView.of(entry)
    try:
        # One conditional put with its audit entry: a number already on the list fails the
        # condition (no read first) and writes no entry.
        with audit.recorded(
            scope, caller, "suppression.added", "suppression", view.ref, after=AuditedSuppression.of(entry)
        ) as add:
            add.save(entry)
            mark(add, entry)
    except TransactionConflict:
        return Suppressed(_add_source(scope, caller, entry.number_key, source), False)
    metrics.add_metric(name="SuppressionAdded", unit="Count", value=1)
    return Suppressed(view, True)


def _add_source(scope: TenantScope, caller: Caller, key: str, source: SuppressionSource) -> SuppressionView:
    for _ in range(3):
        existing = scope.require(SuppressionEntry, key)
        standing_now = standing(existing)
        if source in standing_now:
            return SuppressionView.of(existing)
        before = AuditedSuppression.of(existing)
        added = existing.model_copy(update={"sources": [*standing_now, source]})
        after = AuditedSuppression.of(added)
        try:
            with audit.recorded(
                scope, caller, "suppression.added", "suppression", after.ref, before=before, after=after
            ) as change:
                change.save(added)
        except TransactionConflict:
            continue
        return SuppressionView.of(added)
    raise Conflict("the suppression entry changed concurrently; retry")


def lift_sms_stop(scope: TenantScope, caller: Caller, e164: str, *, clock: Clock = utc_now) -> bool:
    """A contact's explicit opt-in (START, UNSTOP, SUBSCRIBE) lifts the suppression if SMS STOP alone stands.

    Returns whether the number is now off the list. A manual add, a "stop calling" request,
    an import, an erasure or a hold for review keeps it suppressed whatever the contact texts.
    """
    if caller.principal_type is not PrincipalType.CONTACT:
        raise Forbidden("only the number's own opt-in lifts an SMS STOP")
    entry = scope.get(SuppressionEntry, key_of(scope, e164))
    if entry is None:
        return True
    if standing(entry) != [SuppressionSource.SMS_STOP]:
        return False
    view = SuppressionView.of(entry)
    removal = Removal(reason="opt-in keyword from the number", removed_at=clock())
    with audit.recorded(
        scope, caller, "suppression.removed", "suppression", view.ref, before=view, after=removal
    ) as change:
        change.delete(entry)
        unmark(change, entry)
    metrics.add_metric(name="SuppressionRemoved", unit="Count", value=1)
    return True


class SuppressedNumbers(set[str]):
    """The numbers on the list, every one of them kept out; ``held`` those on it only by a hold for review.

    A set, so every check that asks "is it on the list?" keeps a held number out as well;
    the dispatch gates read ``held`` to give such a contact its own reason.
    """

    def __init__(self, numbers: Iterable[str] = (), *, held: Iterable[str] = ()) -> None:
        super().__init__(numbers)
        self.held = frozenset(held)


def suppressed(scope: TenantScope, numbers: list[str]) -> SuppressedNumbers:
    """Which of these E.164 numbers are suppressed: one batch read per 100 distinct numbers."""
    keys = {key_of(scope, number): number for number in dict.fromkeys(numbers)}
    found = scope.batch_get(SuppressionEntry, keys)
    held = (keys[k] for k, e in found.items() if standing(e) == [SuppressionSource.HELD_FOR_REVIEW])
    return SuppressedNumbers((keys[key] for key in found), held=held)


def add(scope: TenantScope, caller: Caller, number: str, reason: str | None = None) -> Suppressed:
    """A person's request to suppress a number as typed (``POST /suppressions``), a manual entry.

    Someone kept to their campaigns' contacts suppresses only the numbers of contacts they can
    open: any other number, malformed ones included, is the same 403, since "already
    suppressed" would say whether a number outside their view is on the tenant's list.
    """
    if scope.restricted and not _a_contact_in_view(scope, number):
        raise Forbidden(
            "the tenant restricts you to your campaigns' contacts: suppress one of theirs, or ask an admin"
        )
    return suppress(scope, caller, to_e164(number), SuppressionSource.MANUAL, reason)


def _a_contact_in_view(scope: TenantScope, number: str) -> bool:
    from gatehouse.contacts.records import Contact  # noqa: PLC0415 - contacts import this package

    try:
        e164 = to_e164(number)
    except Invalid:
        return False
    return scope.get(Contact, contact_id_for(scope.tenant_id, e164)) is not None


def check(scope: TenantScope, numbers: list[str]) -> list[str]:
    """A person's question: which of these numbers (as typed, returned as given) are on the list.

    Someone kept to their campaigns' contacts is refused whatever they ask: an answer would say
    whether a number outside their view is the tenant's, as an added contact's 409 would.
    """
    if scope.restricted:
        raise Forbidden(
            "the tenant restricts you to your campaigns' contacts; an owner or admin checks numbers"
        )
    normalized = {raw: to_e164(raw) for raw in numbers}
    hits = suppressed(scope, list(normalized.values()))
    return [raw for raw, e164 in normalized.items() if e164 in hits]


def suppressed_span(
    scope: TenantScope,
    numbers: Mapping[str, str],
    first: str,
    last: str,
    now: datetime,
    *,
    otherwise: Callable[[TenantScope, list[str]], set[str]],
) -> set[str]:
    """Which numbers of a key range of contacts (contact id -> E.164, ``first`` to ``last``) are on the list.

    One Query of the range's markers, which finds only numbers on the list, and one read
    of their entries; a tenant with entries older than markers is asked ``otherwise``
    (number by number), so a missing marker never lets a number through. A marker whose
    entry is not found keeps its number out all the same.
    """
    if not markers.markers_complete(scope, now):
        return otherwise(scope, list(numbers.values()))
    # A marker is found under the contact id of its number: a contact keyed otherwise is asked for by number.
    stray = [e164 for cid, e164 in numbers.items() if cid != contact_id_for(scope.tenant_id, e164)]
    marked = [m for m in markers.marked_in_span(scope, first, last) if m.contact_id in numbers]
    entries = scope.batch_get(SuppressionEntry, [m.number_key for m in marked]) if marked else {}
    held = [
        numbers[m.contact_id]
        for m in marked
        if m.number_key in entries and standing(entries[m.number_key]) == [SuppressionSource.HELD_FOR_REVIEW]
    ]
    on_list = SuppressedNumbers((numbers[m.contact_id] for m in marked), held=held)
    if not stray:
        return on_list
    asked = otherwise(scope, stray)
    return SuppressedNumbers([*on_list, *asked], held=[*on_list.held, *held_only(asked)])


def mark(change: ScopedTransaction, entry: SuppressionEntry) -> None:
    """A new entry's marker, in the entry's own transaction."""
    marker = markers.new_marker(entry.contact_ref, entry.number_key)
    if marker is not None:
        change.save(marker)


def unmark(change: ScopedTransaction, entry: SuppressionEntry) -> None:
    """A deleted entry's marker goes in the same transaction."""
    marker = markers.standing_marker(entry.contact_ref, entry.number_key)
    if marker is not None:
        change.delete(marker)


def held_only(on_list: set[str]) -> frozenset[str]:
    """The numbers of a ``suppressed`` answer that only a hold for review keeps out (none for a plain set)."""
    return on_list.held if isinstance(on_list, SuppressedNumbers) else frozenset()


def standing(entry: SuppressionEntry) -> list[SuppressionSource]:
    """Every source that keeps the number on the list (entries written before ``sources`` have one)."""
    return entry.sources or [entry.source]


def is_suppressed(scope: TenantScope, e164: str) -> bool:
    return scope.get(SuppressionEntry, key_of(scope, e164)) is not None


def remove(
    scope: TenantScope, caller: Caller, e164: str, reason: str, *, clock: Clock = utc_now
) -> SuppressionView:
    """Take a number off the list: owners only, with a reason (e.g. documented new consent), audited."""
    caller.require(Permission.SUPPRESSION_REMOVE)
    why = clean_reason(reason)
    if why is None:
        raise Invalid("a reason is required", details=[{"field": "reason", "reason": "required"}])
    entry = scope.get(SuppressionEntry, key_of(scope, e164))
    if entry is None:
        raise NotFound("the number is not on the suppression list")
    view = SuppressionView.of(entry)
    removal = Removal(reason=why, removed_at=clock())
    with audit.recorded(
        scope, caller, "suppression.removed", "suppression", view.ref, before=view, after=removal
    ) as change:
        change.delete(entry)
        unmark(change, entry)
    metrics.add_metric(name="SuppressionRemoved", unit="Count", value=1)
    return view


def list_entries(scope: TenantScope, *, limit: int = 50, cursor: str | None = None) -> SuppressionPage:
    page = scope.query(SuppressionEntry, limit=limit, cursor=cursor)
    return SuppressionPage(items=[SuppressionView.of(e) for e in page.items], cursor=page.cursor)


def key_of(scope: TenantScope, e164: str) -> str:
    """The number's key on this tenant's list; refuses anything but an E.164 number."""
    if not isinstance(e164, str) or not is_e164(e164):
        raise Invalid("number must be in E.164 form")
    return number_key(scope.tenant_id, e164)


def clean_reason(reason: str | None) -> str | None:
    """A reason as stored and audited: trimmed, bounded, and holding no phone number."""
    text = (reason or "").strip()
    if not text:
        return None
    if len(text) > REASON_MAX:
        raise Invalid(f"reason is longer than {REASON_MAX} characters")
    if _NUMBER_IN_TEXT.search(text):
        # The list must hold no numbers, and a reason is stored and audited in clear.
        raise Invalid("reason must not contain a phone number")
    return text
