"""Contacts of one tenant: create, read, list with filters, update, soft delete, erase, export one person.

Every change is audited without personal data: entries name the contact id (a keyed
hash, see ``keys``), the fields that changed and the channels consent covers, never a
number, name or address, so erasing a person leaves the audit chain intact and empty
of them; a change and its entry commit in one transaction. Lists page through the
tenant's contacts in id order and filter in memory within a bounded read budget, so a
request costs O(page), never O(tenant).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.compliance.state_rules import Channel
from gatehouse.contacts.intake import refresh
from gatehouse.contacts.keys import contact_id_for
from gatehouse.contacts.records import (
    Contact,
    ContactChanges,
    ContactInput,
    ContactView,
)
from gatehouse.dnc.stamps import ScrubStamp
from gatehouse.errors import Conflict, Forbidden, Invalid, NotFound
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantScope

if TYPE_CHECKING:
    from gatehouse.contacts.person import PersonData

# A filtered list reads at most this many items per request, then hands back a cursor.
READ_BUDGET: Final = 500
_PAGE_READ: Final = 100


class ContactNotFound(NotFound):
    code = "not_found"


class AuditedContact(GatehouseModel):
    """What the audit log keeps of a contact change: field names and channels, no personal data."""

    contact_id: str
    fields: list[str]
    consent_channels: list[Channel]
    eligible: list[Channel]
    deleted: bool = False


def audited(contact: Contact, fields: Iterable[str]) -> AuditedContact:
    return AuditedContact(
        contact_id=contact.contact_id,
        fields=sorted(set(fields)),
        consent_channels=sorted({c for e in contact.consent for c in e.channels}),
        eligible=sorted(c for c, v in contact.eligibility.items() if v.eligible),
        deleted=contact.deleted_at is not None,
    )


def _set_fields(data: BaseModel) -> list[str]:
    return [name for name in data.model_fields_set if name != "phone"]


def new_contact(
    scope: TenantScope,
    request: ContactInput,
    *,
    actor: str,
    now: datetime,
    suppressed: bool,
    dnc: ScrubStamp | None = None,
    import_id: str | None = None,
) -> Contact:
    """The record for a new contact, with zones, states and eligibility worked out."""
    contact = Contact(
        contact_id=contact_id_for(scope.tenant_id, request.phone),
        e164=request.phone,
        **request.model_dump(exclude={"phone"}),
        suppressed=suppressed,
        dnc=dnc,
        created_at=now,
        created_by=actor,
        import_id=import_id,
    )
    return refresh(contact)


def merged(existing: Contact, request: ContactInput, *, actor: str, now: datetime) -> Contact:
    """An existing contact updated from a full input (an import row): given fields win, consent adds up."""
    given = request.model_dump(exclude={"phone", "consent"}, exclude_unset=True)
    consent = list(existing.consent) + [e for e in request.consent if e not in existing.consent]
    updated = existing.model_copy(update={**given, "consent": consent})
    if updated == existing:
        return existing
    return refresh(updated.model_copy(update={"updated_at": now, "updated_by": actor, "deleted_at": None}))


def create(
    scope: TenantScope,
    caller: Caller,
    request: ContactInput,
    *,
    suppressed: Callable[[TenantScope, list[str]], set[str]],
    scrub: Callable[[TenantScope, list[str]], dict[str, ScrubStamp]],
    clock: Clock = utc_now,
) -> ContactView:
    """Add one contact, checked against the suppression list and scrubbed; Conflict when it exists.

    A person kept to their campaigns' contacts adds none: a new contact is in no campaign of
    theirs (they could not open it), and an answer about a number outside their view would
    tell them whether the tenant has it.
    """
    caller.require(Permission.CONTACTS_WRITE)
    if scope.restricted:
        raise Forbidden(
            "the tenant restricts you to your campaigns' contacts; an owner or admin adds contacts"
        )
    contact_id = contact_id_for(scope.tenant_id, request.phone)
    existing = scope.get(Contact, contact_id)
    if existing is not None and existing.deleted_at is None:
        raise Conflict(f"the tenant has this number already as {existing.contact_id}")
    contact = new_contact(
        scope,
        request,
        actor=caller.actor,
        now=clock(),
        suppressed=request.phone in suppressed(scope, [request.phone]),
        dnc=scrub(scope, [request.phone]).get(request.phone),
    )
    if existing is not None:
        contact = contact.model_copy(update={"version": existing.version})
    after = audited(contact, _set_fields(request))
    with audit.recorded(scope, caller, "contact.created", "contact", contact.contact_id, after=after) as txn:
        saved = txn.save(contact)
    return ContactView.of(saved)


def get(scope: TenantScope, contact_id: str) -> Contact:
    contact = scope.get(Contact, contact_id)
    if contact is None or contact.deleted_at is not None:
        raise ContactNotFound("contact not found")
    return contact


@dataclass(frozen=True)
class ContactFilter:
    eligible_for: Channel | None = None
    ineligible_for: Channel | None = None
    state: str | None = None
    tag: str | None = None
    suppressed: bool | None = None

    def matches(self, contact: Contact) -> bool:
        if contact.deleted_at is not None:
            return False
        checks = (
            self.eligible_for is None or _eligible(contact, self.eligible_for),
            self.ineligible_for is None or not _eligible(contact, self.ineligible_for),
            self.state is None or contact.state == self.state,
            self.tag is None or self.tag in contact.tags,
            self.suppressed is None or contact.suppressed is self.suppressed,
        )
        return all(checks)


def _eligible(contact: Contact, channel: Channel) -> bool:
    verdict = contact.eligibility.get(channel)
    return verdict is not None and verdict.eligible


@dataclass(frozen=True)
class ContactPage:
    items: list[Contact]
    cursor: str | None


def list_contacts(
    scope: TenantScope, where: ContactFilter, *, limit: int = 50, cursor: str | None = None
) -> ContactPage:
    """Up to ``limit`` matching contacts; the cursor resumes where the read budget stopped."""
    found: list[Contact] = []
    read = 0
    while True:
        page = scope.query(Contact, limit=_PAGE_READ, cursor=cursor)
        for index, contact in enumerate(page.items):
            if where.matches(contact):
                found.append(contact)
                if len(found) == limit:
                    more = index < len(page.items) - 1 or page.cursor is not None
                    return ContactPage(found, _cursor_after(scope, contact) if more else None)
        # What the query read, not what it handed out: a scoped person's page may hold fewer.
        read += _PAGE_READ
        cursor = page.cursor
        if cursor is None:
            return ContactPage(found, None)
        if read >= READ_BUDGET:
            return ContactPage(found, cursor)


def _cursor_after(scope: TenantScope, contact: Contact) -> str | None:
    return scope.cursor_after(Contact, contact.contact_id)


def update(
    scope: TenantScope,
    caller: Caller,
    contact_id: str,
    changes: ContactChanges,
    *,
    clock: Clock = utc_now,
) -> ContactView:
    caller.require(Permission.CONTACTS_WRITE)
    current = get(scope, contact_id)
    fields = changes.model_dump(exclude={"add_consent"}, exclude_unset=True)
    if "tags" in fields and fields["tags"] is None:
        fields["tags"] = []  # a merge patch's null clears; a contact's list is empty, never absent
    consent = list(current.consent) + [e for e in changes.add_consent if e not in current.consent]
    candidate = current.model_copy(update={**fields, "consent": consent})
    if candidate == current:
        return ContactView.of(current)
    updated = refresh(candidate.model_copy(update={"updated_at": clock(), "updated_by": caller.actor}))
    changed = list(fields) + (["consent"] if changes.add_consent else [])
    with audit.recorded(
        scope,
        caller,
        "contact.updated",
        "contact",
        contact_id,
        before=audited(current, []),
        after=audited(updated, changed),
    ) as txn:
        saved = txn.save(updated)
    return ContactView.of(saved)


def delete(scope: TenantScope, caller: Caller, contact_id: str, *, clock: Clock = utc_now) -> ContactView:
    """Soft delete: hidden at once, purged by the retention job after the tenant's grace period."""
    caller.require(Permission.CONTACTS_WRITE)
    current = get(scope, contact_id)
    deleted = refresh(current.model_copy(update={"deleted_at": clock(), "deleted_by": caller.actor}))
    with audit.recorded(
        scope,
        caller,
        "contact.deleted",
        "contact",
        contact_id,
        before=audited(current, []),
        after=audited(deleted, []),
    ) as txn:
        saved = txn.save(deleted)
    return ContactView.of(saved)


def person_data(scope: TenantScope, contact_id: str, *, cursor: str | None = None) -> PersonData:
    """One page of everything held about the person, for a data-subject request (``person``).

    A deleted contact is exported until the purge removes it; a person who only wrote in is
    exported by the id derived from their number, as their texts are kept under it.
    """
    from gatehouse.contacts.person import exported  # noqa: PLC0415 - avoids an import cycle

    return exported(scope, contact_id, cursor=cursor)


class Erased(GatehouseModel):
    contact_id: str
    erased_at: datetime
    suppression_ref: str


def erase(
    scope: TenantScope,
    caller: Caller,
    contact_id: str,
    *,
    number: str | None = None,
    clock: Clock = utc_now,
) -> Erased:
    """Remove the person's data at once; keep only the keyed suppression entry, so no one contacts them again.

    The contact item goes (deleted ones included), and with it everything ``person.forget``
    removes; a person who only wrote in is erased the same way, by the id derived from their
    number, which the request then gives (nothing else holds it). The number lives on only as
    the suppression list's keyed hash. Audit entries never held the person's data, so the chain
    stays whole and names only the contact id. The suppression and the contact's removal each
    commit with their own entry; the rest is erased between, in bulk, so a request cut short
    leaves the person to erase again.
    """
    from gatehouse.contacts.person import forget, holds_anything  # noqa: PLC0415 - avoids an import cycle
    from gatehouse.suppression import SuppressionSource, suppress  # noqa: PLC0415

    caller.require(Permission.CONTACTS_ERASE)
    contact = scope.get(Contact, contact_id)
    if contact is None and not holds_anything(scope, contact_id):
        raise ContactNotFound("contact not found")
    kept = suppress(scope, caller, _number_of(scope, contact_id, contact, number), SuppressionSource.ERASURE)
    forget(scope, contact_id)
    erased = Erased(contact_id=contact_id, erased_at=clock(), suppression_ref=kept.entry.ref)
    with audit.recorded(scope, caller, "contact.erased", "contact", contact_id, after=erased) as txn:
        if contact is not None:
            txn.delete(contact)
    return erased


def _number_of(scope: TenantScope, contact_id: str, contact: Contact | None, given: str | None) -> str:
    """The person's number, to suppress: the contact's, or the one the request gives, if it is theirs."""
    from gatehouse.suppression import to_e164  # noqa: PLC0415 - avoids an import cycle

    number = to_e164(given) if given is not None else None
    if number is not None and contact_id_for(scope.tenant_id, number) != contact_id:
        raise Invalid(
            "the number is not this person's",
            details=[{"field": "number", "reason": "not the number of this person"}],
        )
    if contact is not None:
        return contact.e164
    if number is None:
        raise Invalid(
            "this person is not a contact: give their number, so they stay suppressed",
            details=[{"field": "number", "reason": "required when the person is not a contact"}],
        )
    return number
