"""The audited change: a state change's writes and its audit entry, as one unit of work.

Every state change ends with one audit entry. A change whose writes fit one transaction
stages them inside ``recorded``; on leaving the block the log builds the entry on the
chain head and the tenant's scope commits the writes, the entry and the head in one
DynamoDB transaction, so a change never stands without its entry and an entry never
records a change that did not happen. ``record`` appends an entry alone, for what is not
such a transaction (bulk writes, events in another system, a person's sign-in). Secret
values are never passed (API keys are recorded by id, prefix and role only).

It writes nothing itself: the scope performs every write, and nothing here knows who the
caller is beyond what the entry keeps of them (``Author``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from pydantic import BaseModel

from gatehouse.audit.entry import Actor, AuditEntry, Target
from gatehouse.audit.log import append
from gatehouse.audit.store import MAX_CHANGE_ITEMS
from gatehouse.observability import logger
from gatehouse.tenancy import TenantScope
from gatehouse.tenancy.scope import ScopedTransaction

__all__ = ["MAX_CHANGE_ITEMS", "AuditedChange", "Author", "Person", "record", "record_personal", "recorded"]


class Author(Protocol):
    """What an entry keeps of whoever made the change (``identity.caller.Caller`` is one)."""

    @property
    def tenant_id(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def request_id(self) -> str: ...
    @property
    def source_ip(self) -> str | None: ...


class Person(Author, Protocol):
    """An author who may be a platform operator's own session (no tenant)."""

    @property
    def platform(self) -> bool: ...
    @property
    def principal_id(self) -> str: ...


class AuditedChange(ScopedTransaction):
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
    author: Author,
    action: str,
    target_type: str,
    target_id: str,
    *,
    before: BaseModel | None = None,
    after: BaseModel | None = None,
) -> Iterator[AuditedChange]:
    """Stage a change's writes in the block; on leaving it they commit with their entry, or nothing does.

    At most ``MAX_CHANGE_ITEMS`` writes. A write whose condition refuses raises
    ``TransactionConflict`` (a Conflict) and no entry is written; a chain head moved by
    another append is retried on the new head. An exception inside the block writes nothing.
    """
    change = AuditedChange(scope, before=before, after=after)
    yield change
    _append(author, action, target_type, target_id, before=change.before, after=change.after, change=change)


def record(
    author: Author,
    action: str,
    target_type: str,
    target_id: str,
    *,
    before: BaseModel | None = None,
    after: BaseModel | None = None,
) -> AuditEntry:
    """Append an entry for a change already written (or nothing to write): not atomic with it."""
    return _append(author, action, target_type, target_id, before=before, after=after)


def record_personal(person: Person, action: str, target_type: str, target_id: str) -> None:
    """A person's own sign-in event: in their tenant's trail, or (operator console, no tenant) the log."""
    if person.platform:
        logger.info("operator account event", extra={"action": action, "operator": person.principal_id})
        return
    record(person, action, target_type, target_id)


def _append(
    author: Author,
    action: str,
    target_type: str,
    target_id: str,
    *,
    before: BaseModel | None,
    after: BaseModel | None,
    change: ScopedTransaction | None = None,
) -> AuditEntry:
    return append(
        author.tenant_id,
        actor=Actor.from_label(author.actor),
        action=action,
        target=Target(type=target_type, id=target_id),
        request_id=author.request_id,
        source_ip=author.source_ip,
        before=before.model_dump(mode="json", exclude={"version"}) if before else None,
        after=after.model_dump(mode="json", exclude={"version"}) if after else None,
        change=change,
    )
