"""The identity side of the audit trail: who did what to which member or key.

Every state change ends with one audit entry. A change whose writes fit one transaction
makes them inside ``recorded``: the writes, the entry and the chain head then commit in
one DynamoDB transaction, so a change never stands without its entry and an entry never
records a change that did not happen. ``record`` appends an entry alone, for what is not
such a transaction (bulk writes, events in another system, a person's sign-in). Secret
values are never passed (API keys are recorded by id, prefix and role only).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import BaseModel

from gatehouse import audit
from gatehouse.identity.caller import Caller
from gatehouse.observability import logger
from gatehouse.tenancy import TenantScope
from gatehouse.tenancy.scope import ScopedTransaction


class RecordedChange(ScopedTransaction):
    """The writes of one audited change, and what its entry keeps of it.

    ``before`` and ``after`` may be set inside the block, once the writes are staged.
    """

    def __init__(self, scope: TenantScope, *, before: BaseModel | None, after: BaseModel | None) -> None:
        super().__init__(scope)
        self.before = before
        self.after = after


@contextmanager
def recorded(
    scope: TenantScope,
    caller: Caller,
    action: str,
    target_type: str,
    target_id: str,
    *,
    before: BaseModel | None = None,
    after: BaseModel | None = None,
) -> Iterator[RecordedChange]:
    """Stage a change's writes in the block; on leaving it they commit with their entry, or nothing does.

    At most ``audit_store.MAX_CHANGE_ITEMS`` writes. A write whose condition refuses raises
    ``TransactionConflict`` (a Conflict) and no entry is written; a chain head moved by
    another append is retried on the new head. An exception inside the block writes nothing.
    """
    change = RecordedChange(scope, before=before, after=after)
    yield change
    _append(caller, action, target_type, target_id, before=change.before, after=change.after, change=change)


def record(
    caller: Caller,
    action: str,
    target_type: str,
    target_id: str,
    *,
    before: BaseModel | None = None,
    after: BaseModel | None = None,
) -> audit.AuditEntry:
    """Append an entry for a change already written (or nothing to write): not atomic with it."""
    return _append(caller, action, target_type, target_id, before=before, after=after)


def _append(
    caller: Caller,
    action: str,
    target_type: str,
    target_id: str,
    *,
    before: BaseModel | None,
    after: BaseModel | None,
    change: ScopedTransaction | None = None,
) -> audit.AuditEntry:
    return audit.append(
        caller.tenant_id,
        actor=audit.Actor.from_label(caller.actor),
        action=action,
        target=audit.Target(type=target_type, id=target_id),
        request_id=caller.request_id,
        source_ip=caller.source_ip,
        before=before.model_dump(mode="json", exclude={"version"}) if before else None,
        after=after.model_dump(mode="json", exclude={"version"}) if after else None,
        change=change,
    )


def record_personal(caller: Caller, action: str, target_type: str, target_id: str) -> None:
    """A person's own sign-in event: in their tenant's trail, or (operator console, no tenant) the log."""
    if caller.platform:
        logger.info("operator account event", extra={"action": action, "operator": caller.principal_id})
        return
    record(caller, action, target_type, target_id)
