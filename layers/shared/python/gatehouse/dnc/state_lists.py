"""The tenant's copies of state Do-Not-Call lists: loading a state's file, and batch lookups.

The same shape as the federal registry (``gatehouse.dnc.registry``): one ``StateDncLists``
record per tenant (collection ``DNCSTATELISTS``, sort key ``lists``) with a manifest per
loaded state, and one ``StateListNumber`` per listed number (collection ``DNCSTATE``, sort
key ``<state>#<keyed hash of the number>``), hashed with the tenant's number key as on the
suppression list, so no table holds a number. Files are read as the registry's (full: one
number per line; change: ``A,``/``D,`` lines), in constant memory. A state's list holds
its residents' numbers whatever their area code, so any US number loads; only states the
rule book says keep a list (``RuleBook.keeps_dnc_list``) may be loaded.

``lookup`` answers for every number from every list loaded, each answer dated with its
list's last load. Which lists apply to a person, and whether an answer is fresh enough, is
gate 4's to decide at the attempt (``dispatch.gates.gate_state_dnc``). It never scans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from pydantic import ConfigDict, Field

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.compliance.state_rules import rulebook
from gatehouse.dnc.registry import AreaManifest, LoadKind, file_entries, older_than
from gatehouse.dnc.stamps import StateListAnswer
from gatehouse.errors import Conflict, Invalid
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.observability import metrics
from gatehouse.suppression.keys import number_key
from gatehouse.tenancy import TenantRecord, TenantScope

LISTS_KEY: Final = "lists"
STATE: Final = re.compile(r"^[A-Z]{2}$")
_NANP_E164: Final = re.compile(r"^\+1[2-9][0-9]{2}[2-9][0-9]{6}$")


class StateDncLists(TenantRecord):
    collection = "DNCSTATELISTS"

    lists: dict[str, AreaManifest] = {}  # by state: the last load, its version and counts

    def sort_key(self) -> str:
        return LISTS_KEY


class StateListNumber(TenantRecord):
    collection = "DNCSTATE"

    state: str = Field(pattern=r"^[A-Z]{2}$")
    number_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    generation: int = Field(ge=1)

    def sort_key(self) -> str:
        return f"{self.state}#{self.number_key}"


class StateListReport(GatehouseModel):
    """What a load did, in counts only (it is audited, and numbers are never audited)."""

    model_config = ConfigDict(frozen=True)

    state: str
    kind: LoadKind
    version: int
    loaded_at: datetime
    added: int
    deleted: int
    rejected: int


@dataclass
class _Counts:
    added: int = 0
    deleted: int = 0
    rejected: int = 0


def load(
    scope: TenantScope,
    caller: Caller,
    state: str,
    lines: Iterable[str],
    kind: LoadKind,
    *,
    clock: Clock = utc_now,
) -> StateListReport:
    """Load one state's list file (full or change) for the tenant; audited with counts."""
    caller.require(Permission.INTEGRATIONS_MANAGE)
    state = state.strip().upper()
    if not STATE.fullmatch(state) or not rulebook().keeps_dnc_list(state):
        raise Invalid("no state Do-Not-Call list is known for this state")  # never echoes what was sent
    record = scope.get(StateDncLists, LISTS_KEY) or StateDncLists()
    previous = record.lists.get(state)
    if kind is LoadKind.CHANGE and previous is None:
        raise Invalid("load a full file for this state before change files")
    version = previous.version + 1 if previous else 1
    counts = _Counts()
    with scope.batch_writer() as batch:
        for op, digits in file_entries(lines, kind, counts):
            hashed = number_key(scope.tenant_id, "+1" + digits)
            if op == "A":
                batch.save(StateListNumber(state=state, number_key=hashed, generation=version))
                counts.added += 1
            else:
                batch.delete(StateListNumber, f"{state}#{hashed}")
                counts.deleted += 1
    if kind is LoadKind.FULL:
        counts.deleted += scope.batch_delete(
            StateListNumber, older_than(scope, StateListNumber, f"{state}#", version)
        )
    if counts.added == 0 and counts.deleted == 0 and counts.rejected:
        raise Invalid("no line of the file is a US phone number")
    manifest = AreaManifest(
        loaded_at=clock(), version=version, kind=kind, added=counts.added, deleted=counts.deleted
    )
    _record(scope, record, state, manifest)
    report = StateListReport(
        state=state,
        kind=kind,
        version=version,
        loaded_at=manifest.loaded_at,
        added=counts.added,
        deleted=counts.deleted,
        rejected=counts.rejected,
    )
    audit.record(caller, "dnc.state_list_loaded", "dnc_state_list", state, after=report)
    metrics.add_metric(name="DncStateListNumbersLoaded", unit="Count", value=counts.added)
    return report


def current(scope: TenantScope) -> StateDncLists | None:
    return scope.get(StateDncLists, LISTS_KEY)


def lookup(scope: TenantScope, numbers: list[str]) -> dict[str, dict[str, StateListAnswer]]:
    """Every loaded list's answer for each US number: one read, then one batch read per 100 keys."""
    record = scope.get(StateDncLists, LISTS_KEY)
    if record is None or not record.lists:
        return {}
    us = [n for n in dict.fromkeys(numbers) if _NANP_E164.fullmatch(n)]
    hashes = {n: number_key(scope.tenant_id, n) for n in us}
    wanted = {f"{state}#{hashes[n]}": (state, n) for state in record.lists for n in us}
    found = scope.batch_get(StateListNumber, wanted) if wanted else {}
    answers: dict[str, dict[str, StateListAnswer]] = {n: {} for n in us}
    for key, (state, number) in wanted.items():
        answers[number][state] = StateListAnswer(listed=key in found, as_of=record.lists[state].loaded_at)
    return answers


def _record(scope: TenantScope, record: StateDncLists, state: str, manifest: AreaManifest) -> None:
    """Put the state's manifest on the tenant's record; retried when another load won the race."""
    for _ in range(5):
        try:
            scope.save(record.model_copy(update={"lists": {**record.lists, state: manifest}}))
        except Conflict:
            record = scope.require(StateDncLists, LISTS_KEY)
            continue
        return
    raise Conflict("the state lists changed too often during the load; retry")
