"""Occurrences built from committed audit entries, as the events function builds them.

Until ``gatehouse.events.stream.occurrence_from_entry`` lands, tests read the entry a real
action wrote and build its occurrence from the entry's own fields: the event id from the
tenant and the entry's place on the chain, ``data`` from the entry's ``after``.
"""

from __future__ import annotations

from gatehouse import audit
from gatehouse.audit.entry import AuditEntry
from gatehouse.events.occurrence import Occurrence, event_id_for


def occurrence_of(entry: AuditEntry) -> Occurrence:
    return Occurrence(
        event_id=event_id_for(entry.tenant_id, "audit", str(entry.seq)),
        tenant_id=entry.tenant_id,
        kind=entry.action,
        at=entry.at,
        target_type=entry.target.type,
        target_id=entry.target.id,
        actor=entry.actor.label,
        data=dict(entry.changes.after or {}),
    )


def last_occurrence(tenant_id: str, action: str) -> Occurrence:
    """The occurrence of the tenant's latest audit entry with ``action``."""
    entries = audit.list_entries(tenant_id, action=action, limit=100).items
    assert entries, f"no {action} entry"
    return occurrence_of(max(entries, key=lambda e: e.seq))
