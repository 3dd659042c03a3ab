"""Where each contact stands in each campaign: the record the batch writes and the report reads.

``ContactOutcome`` (collection ``OUTCOME``, sort key ``<campaign id>#<contact id>``) holds
the last decision and its ``Reason`` code (``dispatch.gates``), the attempts used, and,
while deferred, its place on the time index the deferred-attempts job reads.

A campaign's first send to a contact, its most common outcome by far, is not an item of its
own: it is a mark on one of the campaign's ``OutcomeSheet`` items, one per leading two
characters of the contact id (1,024 a campaign), written once per batch for all its
contacts there. So a message costs its claim and a share of a sheet's write instead of
two writes (``SHEET_MAX`` bounds a sheet; a send beyond it is an item). Every other
outcome (a block, a deferral, a failure, a change to a sent one) is an item; where a
contact has both, ``standing`` says which holds. The readers below see both as
``ContactOutcome`` records: ``find``/``find_one`` by key, ``spanned`` for a run of
contacts, ``listed`` in contact order, ``proven`` for the scoped-access proof.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from pydantic import ConfigDict

from gatehouse.dispatch.delivery import DeliveryStatus
from gatehouse.errors import Conflict
from gatehouse.ids import new_id
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantRecord
from gatehouse.tenancy.records import Subject, time_sort_key
from gatehouse.tenancy.restriction import BatchRead

if TYPE_CHECKING:
    from gatehouse.tenancy import TenantScope

DEFERRED_INDEX: Final = "OUTCOME_DEFERRED"
SHEET_CHARS: Final = len("con_") + 2  # a sheet per two base32 characters: 1,024 per campaign
SHEET_MAX: Final = 300  # marks a sheet holds (about 60 KB): a send beyond them is recorded as an item
WRITE_ROUNDS: Final = 5  # a sheet another batch wrote meanwhile is merged and written again


class OutcomeStatus(StrEnum):
    SENT = "sent"
    SEND_FAILED = "send_failed"
    BLOCKED = "blocked"
    DEFERRED = "deferred"


class ContactOutcome(TenantRecord):
    """Where one contact stands in one campaign: the campaign report reads these.

    The delivery fields say what the provider reported of the last send (``provider_ref``).
    The batch never writes them: ``report`` fills them from the status callbacks' own
    records (``dispatch.delivery``), which may arrive before the batch records the send.
    """

    collection = "OUTCOME"

    campaign_id: str
    contact_id: str
    status: OutcomeStatus
    reason: str | None = None
    until: datetime | None = None
    attempts: int = 0
    provider_ref: str | None = None
    updated_at: datetime
    delivery_status: DeliveryStatus | None = None
    error_code: str | None = None
    duration_seconds: int | None = None
    failed_batches: int = 0  # batches that failed with this contact in them, since its last outcome
    dnc_status: str | None = None  # the contact's DNC stamp when decided; "unscrubbed" is reported so

    def time_key(self) -> tuple[str, str] | None:
        """While deferred: on the time index at the instant it may be tried again (the deferred job)."""
        if self.status is OutcomeStatus.DEFERRED and self.until is not None:
            return DEFERRED_INDEX, time_sort_key(self.until, f"{self.campaign_id}#{self.contact_id}")
        return None

    def sort_key(self) -> str:
        return f"{self.campaign_id}#{self.contact_id}"

    def subject(self) -> Subject | None:
        """The campaign's record of the contact: only for the people of that campaign (scoped access)."""
        return Subject(self.contact_id, campaign_id=self.campaign_id, by_campaign=True)


class SentMark(GatehouseModel):
    """A first send on a sheet: what its ``ContactOutcome`` would say beyond status and attempts."""

    model_config = ConfigDict(frozen=True)

    ref: str | None  # the provider's reference
    at: datetime
    dnc: str | None = None
    w: str  # the write that put it on the sheet (the events stream announces only that write's marks)


class OutcomeSheet(TenantRecord):
    """The first sends of one campaign to the contacts whose ids begin with ``prefix``."""

    collection = "OUTCOME_SHEET"

    campaign_id: str
    prefix: str
    sent: dict[str, SentMark] = {}
    written: str = ""  # the last write's token

    def sort_key(self) -> str:
        return f"{self.campaign_id}#{self.prefix}"

    def subject(self) -> Subject | None:
        return Subject.campaign(self.campaign_id)

    def outcome(self, contact_id: str) -> ContactOutcome | None:
        mark = self.sent.get(contact_id)
        if mark is None:
            return None
        return ContactOutcome(
            campaign_id=self.campaign_id,
            contact_id=contact_id,
            status=OutcomeStatus.SENT,
            attempts=1,
            provider_ref=mark.ref,
            updated_at=mark.at,
            dnc_status=mark.dnc,
        )

    def outcomes(self, after: str = "") -> Iterator[ContactOutcome]:
        """Its marks as outcomes, in contact order, of contacts after ``after``."""
        for contact_id in sorted(self.sent):
            if contact_id > after and (outcome := self.outcome(contact_id)) is not None:
                yield outcome

    def announced(self) -> list[ContactOutcome]:
        """The outcomes its last write put on it (for the events stream)."""
        return [o for o in self.outcomes() if self.sent[o.contact_id].w == self.written]


def sheet_key(campaign_id: str, contact_id: str) -> str:
    return f"{campaign_id}#{contact_id[:SHEET_CHARS]}"


def _split(sort_key: str) -> tuple[str, str]:
    campaign_id, _, contact_id = sort_key.partition("#")
    return campaign_id, contact_id


@dataclass
class Read:
    """Outcomes as read, by ``<campaign id>#<contact id>``; the sheets read (their versions, for a
    writer of marks); and items a mark stands over (``standing``), for the batch to remove."""

    outcomes: dict[str, ContactOutcome] = field(default_factory=dict)
    sheets: dict[str, OutcomeSheet] = field(default_factory=dict)
    shadowed: list[ContactOutcome] = field(default_factory=list)

    def add(self, item: ContactOutcome | None, mark: ContactOutcome | None) -> None:
        kept = standing(item, mark)
        if kept is None:
            return
        self.outcomes[kept.sort_key()] = kept
        if item is not None and kept is not item:
            self.shadowed.append(item)


def standing(item: ContactOutcome | None, mark: ContactOutcome | None) -> ContactOutcome | None:
    """Of a contact's item and mark in one campaign, the one that stands: the more attempts, an item
    on a tie. Every item written after a send carries its attempt; one that does not (a batch that
    lost every claim round to the sender and deferred the contact as busy) is older news."""
    if item is None or mark is None:
        return item or mark
    if mark.attempts > item.attempts:
        # With the item's version: a writer acting on what it read replaces the item it stands over.
        return mark.model_copy(update={"version": item.version})
    return item


def still_due(scope: TenantScope, due: list[ContactOutcome]) -> list[ContactOutcome]:
    """Of items the time index says fell due, those that stand; one a first send's mark stands over
    (a deferral recorded beside a send it raced) is removed instead, so no job picks it again."""
    unattempted = [o for o in due if o.attempts == 0]  # a mark (one attempt) stands only over these
    if not unattempted:
        return due
    sheets = scope.batch_get(OutcomeSheet, {sheet_key(o.campaign_id, o.contact_id) for o in unattempted})
    shadowed = set()
    for item in unattempted:
        sheet = sheets.get(sheet_key(item.campaign_id, item.contact_id))
        if standing(item, sheet.outcome(item.contact_id) if sheet else None) is not item:
            shadowed.add(item.sort_key())
            with suppress(Conflict):  # written again since: it is the writer's now
                scope.delete(item)
    return [o for o in due if o.sort_key() not in shadowed]


def find(scope: TenantScope, sort_keys: Iterable[str]) -> dict[str, ContactOutcome]:
    """The outcomes of these ``<campaign id>#<contact id>`` keys that exist, items or marks, by key."""
    return find_read(scope, sort_keys).outcomes


def find_one(scope: TenantScope, sort_key: str) -> ContactOutcome | None:
    return find(scope, [sort_key]).get(sort_key)


def find_read(scope: TenantScope, sort_keys: Iterable[str], *, strict: bool = False) -> Read:
    """``find``, with the sheets read on the way and the items their marks stand over.

    ``strict``: an unreadable item or sheet raises (``TenantScope.span``) rather than reading as
    no outcome, for the batch, which would otherwise send again to whom it cannot see was reached.
    """
    wanted = list(dict.fromkeys(sort_keys))
    items = scope.batch_get(ContactOutcome, wanted, strict=strict)
    keys = {sheet_key(*_split(k)) for k in wanted}
    read = Read(sheets=scope.batch_get(OutcomeSheet, keys, strict=strict) if wanted else {})
    for key in wanted:
        sheet = read.sheets.get(sheet_key(*_split(key)))
        read.add(items.get(key), sheet.outcome(_split(key)[1]) if sheet else None)
    return read


def spanned(scope: TenantScope, campaign_id: str, first: str, last: str, *, strict: bool = False) -> Read:
    """The campaign's outcomes of contacts ``first`` to ``last`` (one Query each for items and sheets);
    ``strict`` as for ``find_read``."""
    span = scope.span(ContactOutcome, f"{campaign_id}#{first}", f"{campaign_id}#{last}", strict=strict)
    items = {o.contact_id: o for o in span}
    first_sheet, last_sheet = sheet_key(campaign_id, first), sheet_key(campaign_id, last)
    sheets = scope.span(OutcomeSheet, first_sheet, last_sheet, strict=strict)
    read = Read(sheets={s.sort_key(): s for s in sheets})
    marks = {o.contact_id: o for s in sheets for o in s.outcomes() if first <= o.contact_id <= last}
    for contact_id in sorted(items.keys() | marks.keys()):
        read.add(items.get(contact_id), marks.get(contact_id))
    return read


def proven(read: BatchRead, sort_keys: list[str]) -> set[str]:
    """Which of these keys hold an outcome (the scoped-access proof: ``tenancy.restriction``)."""
    found = set(read(ContactOutcome, sort_keys))
    rest = [key for key in sort_keys if key not in found]
    if not rest:
        return found
    sheets: Mapping[str, Any] = read(OutcomeSheet, sorted({sheet_key(*_split(k)) for k in rest}))
    for key in rest:
        sheet = sheets.get(sheet_key(*_split(key)))
        if isinstance(sheet, OutcomeSheet) and _split(key)[1] in sheet.sent:
            found.add(key)
    return found


def listed(
    scope: TenantScope, campaign_id: str, *, after: str = "", page: int = 100
) -> Iterator[ContactOutcome]:
    """The campaign's outcomes in contact order from just after contact ``after``: items and marks merged,
    the one ``standing`` where a contact has both. Reads lazily, ``page`` items a Query."""
    items = _items(scope, campaign_id, after, page)
    marks = _marks(scope, campaign_id, after, max(1, page // 10))
    item, mark = next(items, None), next(marks, None)
    while item is not None or mark is not None:
        if item is not None and (mark is None or item.contact_id < mark.contact_id):
            yield item
            item = next(items, None)
        elif mark is not None and (item is None or mark.contact_id < item.contact_id):
            yield mark
            mark = next(marks, None)
        else:
            kept = standing(item, mark)
            if kept is not None:
                yield kept
            item, mark = next(items, None), next(marks, None)


def _items(scope: TenantScope, campaign_id: str, after: str, page: int) -> Iterator[ContactOutcome]:
    prefix = f"{campaign_id}#"
    cursor = scope.cursor_after(ContactOutcome, f"{prefix}{after}", prefix=prefix) if after else None
    while True:
        found = scope.query(ContactOutcome, prefix=prefix, limit=page, cursor=cursor)
        yield from found.items
        if found.cursor is None:
            return
        cursor = found.cursor


def _marks(scope: TenantScope, campaign_id: str, after: str, page: int) -> Iterator[ContactOutcome]:
    prefix = f"{campaign_id}#"
    # From the sheet holding ``after``: resume just after the key before it (its last character less one).
    start = after[:SHEET_CHARS]
    before = f"{prefix}{start[:-1]}{chr(ord(start[-1]) - 1)}~" if start else ""
    cursor = scope.cursor_after(OutcomeSheet, before, prefix=prefix) if before else None
    while True:
        found = scope.query(OutcomeSheet, prefix=prefix, limit=page, cursor=cursor)
        for sheet in found.items:
            yield from sheet.outcomes(after)
        if found.cursor is None:
            return
        cursor = found.cursor


def write_sent(
    scope: TenantScope,
    campaign_id: str,
    sent: Mapping[str, SentMark],
    known: Mapping[str, OutcomeSheet],
) -> list[str]:
    """Put each contact's first send on its sheet, one conditional write per sheet; the contacts left over.

    ``known``: the sheets as the batch read them (by sort key; absent: none was). A sheet
    another batch wrote meanwhile comes back with the refusal (or is read again) and the
    marks are merged into it. Left over (to be written as items): those beyond a sheet's
    ``SHEET_MAX``, and any still refused after ``WRITE_ROUNDS``.
    """
    token = new_id("w")
    sheets = dict(known)
    pending: dict[str, dict[str, SentMark]] = {}
    for contact_id, mark in sent.items():
        marks = pending.setdefault(sheet_key(campaign_id, contact_id), {})
        marks[contact_id] = mark.model_copy(update={"w": token})
    left: list[str] = []
    for _ in range(WRITE_ROUNDS):
        writes: list[OutcomeSheet] = []
        for key, marks in sorted(pending.items()):
            sheet = sheets.get(key) or OutcomeSheet(campaign_id=campaign_id, prefix=key.partition("#")[2])
            room = max(0, SHEET_MAX - len(sheet.sent.keys() - marks.keys()))
            kept = dict(sorted(marks.items())[:room])
            left.extend(contact_id for contact_id in marks if contact_id not in kept)
            pending[key] = kept
            if kept:
                writes.append(sheet.model_copy(update={"sent": {**sheet.sent, **kept}, "written": token}))
        refused: dict[str, dict[str, SentMark]] = {}
        unknown: list[str] = []
        for sheet, result in zip(writes, scope.save_each(writes), strict=True):
            if not isinstance(result, OutcomeSheet):  # a Refusal: written meanwhile
                key = sheet.sort_key()
                refused[key] = pending[key]
                if result.current is not None:
                    sheets[key] = result.current
                else:
                    unknown.append(key)
        sheets.update(scope.batch_get(OutcomeSheet, unknown) if unknown else {})
        pending = refused
        if not pending:
            return left
    return left + [contact_id for marks in pending.values() for contact_id in marks]
