"""Markers of suppressed numbers under the contact id their number has, for a batch's key range.

The list's entries are keyed by the number's hash (``keys.number_key``), which shares no
order with contact ids, so a batch of contacts had to ask for each of its numbers: one
read unit per contact, nearly all of them for numbers that are not on the list. Each
entry made now also writes a ``SuppressedContact`` marker keyed by the contact id of its
number (``contacts.keys.contact_id_for``: a keyed hash too, so the marker names no one),
in the same transaction as the entry and its audit entry, and the entry's deletion
deletes it in the same way. A batch whose contacts are one key range then reads the
markers of that range in one strongly consistent Query, which returns only the numbers
that are on the list, and reads their entries (to tell a hold for review apart).

Entries made before markers existed carry no ``contact_ref``, and no marker can be made
for them afterwards (the list holds no numbers, and a hash does not give the contact id).
While a tenant has such an entry, its batches ask for every number as before, so a
missing marker never lets a number through. ``markers_complete`` finds out by reading the
tenant's list up to the first such entry, and remembers the answer for a day in a
``SuppressionMarkers`` record. Every entry made by this code has its marker; the daily
look again bounds what an older version of the code, still running for a moment while a
deployment replaces it, could write without one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from gatehouse.tenancy import TenantRecord, TenantScope

STATE_KEY: Final = "markers"
RECHECK: Final = timedelta(days=1)  # how long an answer of markers_complete is taken as still true
_PAGE: Final = 1000


class SuppressedContact(TenantRecord):
    """A number on the list, under the contact id of the number (whether or not that contact exists)."""

    collection = "SUPPRESSED"

    contact_id: str
    number_key: str

    def sort_key(self) -> str:
        return self.contact_id


class SuppressionMarkers(TenantRecord):
    """Whether every entry of the tenant's list has its marker, as last found."""

    collection = "SUPPRESSION_STATE"

    complete: bool
    checked_at: datetime

    def sort_key(self) -> str:
        return STATE_KEY


def new_marker(contact_ref: str | None, number_key: str) -> SuppressedContact | None:
    """The marker a new entry writes with itself."""
    return SuppressedContact(contact_id=contact_ref, number_key=number_key) if contact_ref else None


def standing_marker(contact_ref: str | None, number_key: str) -> SuppressedContact | None:
    """The marker an entry wrote when it was made (never changed since), for its deletion."""
    if not contact_ref:
        return None
    return SuppressedContact(contact_id=contact_ref, number_key=number_key, version=1)


def markers_complete(scope: TenantScope, now: datetime) -> bool:
    """Whether every entry of the tenant's list has its marker, as found at most a day ago."""
    known = scope.get(SuppressionMarkers, STATE_KEY)
    if known is not None and now - known.checked_at < RECHECK:
        return known.complete
    complete = not _some_entry_without_marker(scope)
    # Unconditional: two batches that checked at once found the same.
    scope.batch_save([SuppressionMarkers(complete=complete, checked_at=now)])
    return complete


def _some_entry_without_marker(scope: TenantScope) -> bool:
    from gatehouse.suppression.entries import SuppressionEntry  # noqa: PLC0415 - entries imports this module

    cursor: str | None = None
    while True:
        page = scope.query(SuppressionEntry, limit=_PAGE, cursor=cursor)
        if any(not entry.contact_ref for entry in page.items):
            return True
        cursor = page.cursor
        if cursor is None:
            return False


def marked_in_span(scope: TenantScope, first: str, last: str) -> list[SuppressedContact]:
    """The markers of contact ids from ``first`` to ``last``: one Query, only numbers on the list."""
    return scope.span(SuppressedContact, first, last)
