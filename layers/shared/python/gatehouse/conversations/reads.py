"""Reads of conversations in the audit trail, as one count per person per day, never one entry per read.

Each list or thread a person reads adds one to their ``ReadTally`` of the UTC day (an atomic
ADD through the data door: no read, no lost count under concurrency). After the day ends
the ``conversation_reads`` job writes one audited ``conversation.reads_counted`` entry per
tally (the reader's actor and the count; never what was read) and deletes the tally in the
same transaction, conditional on its version: a late addition makes the job count the
tally again on its next run, so nothing is counted twice or lost.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.conversations.records import READS_INDEX, ReadTally
from gatehouse.identity import caller as callers
from gatehouse.identity.caller import Caller
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantScope
from gatehouse.tenancy.records import time_bound
from gatehouse.tenancy.scope import TransactionConflict

AUDIT_ACTION = "conversation.reads_counted"
_PAGE = 100


class ReadsCounted(GatehouseModel):
    reader: str
    day: str
    count: int


def count_read(scope: TenantScope, caller: Caller, *, clock: Clock = utc_now) -> None:
    """One read of conversations by ``caller`` today (UTC)."""
    now = clock().astimezone(UTC)
    ends = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=UTC)
    scope.tally(ReadTally(day=now.date().isoformat(), reader=caller.actor, day_ends=ends))


def audit_finished_days(scope: TenantScope, *, clock: Clock = utc_now) -> int:
    """One audit entry per tally whose day has ended; returns how many were written."""
    system = callers.system(scope.tenant_id, "conversation_reads")
    written = 0
    cursor: str | None = None
    while True:
        page = scope.due(ReadTally, READS_INDEX, before=time_bound(clock()), limit=_PAGE, cursor=cursor)
        for tally in page.items:
            written += _audited(scope, system, tally)
        cursor = page.cursor
        if cursor is None:
            return written


def _audited(scope: TenantScope, system: Caller, tally: ReadTally) -> int:
    counted = ReadsCounted(reader=tally.reader, day=tally.day, count=tally.count)
    try:
        with audit.recorded(scope, system, AUDIT_ACTION, "reader", tally.reader, after=counted) as change:
            change.delete(tally)
    except TransactionConflict:
        return 0  # a read was added meanwhile: the next run counts the tally as it then stands
    return 1
