"""Scrubbing contacts that intake could not scrub in the API: one batch, one provider call, one write."""

from __future__ import annotations

from gatehouse.contacts.imports import Scrub, Suppressed
from gatehouse.contacts.intake import refresh
from gatehouse.contacts.records import Contact
from gatehouse.errors import Conflict
from gatehouse.observability import logger
from gatehouse.tenancy import TenantScope


def scrub_contacts(
    scope: TenantScope, contact_ids: list[str], *, suppressed: Suppressed, scrub: Scrub, retries: int = 3
) -> int:
    """Stamp the contacts' Do-Not-Call status and suppression; returns how many changed."""
    for attempt in range(retries):
        contacts = [c for c in scope.batch_get(Contact, contact_ids).values() if c.deleted_at is None]
        if not contacts:
            return 0
        numbers = [c.e164 for c in contacts]
        on_list = suppressed(scope, numbers)
        stamps = scrub(scope, numbers)
        changed = []
        for contact in contacts:
            updated = refresh(
                contact.model_copy(
                    update={
                        "dnc": stamps.get(contact.e164, contact.dnc),
                        "suppressed": contact.suppressed or contact.e164 in on_list,
                    }
                )
            )
            if updated != contact:
                changed.append(updated)
        try:
            with scope.transaction() as txn:
                for contact in changed:
                    txn.save(contact)
        except Conflict:
            if attempt == retries - 1:
                raise
            continue
        logger.info("contacts scrubbed", extra={"count": len(changed)})
        return len(changed)
    return 0
