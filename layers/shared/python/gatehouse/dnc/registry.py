"""The tenant's copy of the National Do-Not-Call Registry: loading area-code files and batch lookups.

This module owns two record types: one ``DncRegistry`` per tenant (collection
``DNCREGISTRY``, sort key ``registry``) naming the registry (``registry_ref``, what a DNC
integration's ``registry_ref`` points at) with a manifest per loaded area code (when,
which version, what kind of file, counts), and one ``RegistryNumber`` per listed number
(collection ``DNCREG``, sort key ``<area code>#<keyed hash of the number>``, so an area
code is a key prefix). The hash is the tenant's keyed number hash of the suppression list
(``gatehouse.suppression.number_key``): like the suppression list, the registry holds no
phone number, so a scan after a person's erasure finds their number nowhere.

File formats (one entry per line; blank lines and lines starting with ``#`` are skipped):

* full file (``kind=full``): the complete list of an area code, ``NNNNNNNNNN`` or the
  registry's ``AAA,NNNNNNN``. It replaces the area code's set: numbers are written with the
  new version, then numbers of older versions are deleted, so a lookup during a load errs
  towards "listed".
* change file (``kind=change``): ``A,<number>`` adds, ``D,<number>`` deletes, with either
  number form. A change file needs a full file loaded first.

Every number must belong to the area code named for the load; other lines are rejected
and counted, never loaded. Lines are consumed as a stream and written 25 per request,
so files of any length load in constant memory.

Freshness: a number's answer names its area code's last load as the version of the data
(``data_as_of``), and gate 4 lets it through only while that load is at most 31 days old at
the attempt (16 CFR 310.4(b)(3)(iv)): a file 30 days old at the scrub is good for one more
day. An area code whose last load is already older than ``FRESH_FOR`` or that was never
loaded answers ``error`` for its numbers. It never scans.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final, Protocol, cast

from pydantic import ConfigDict, Field

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.dnc.stamps import ScrubReason, ScrubSource, ScrubStamp, answered, error
from gatehouse.errors import Conflict, Invalid
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission
from gatehouse.ids import new_id
from gatehouse.models import GatehouseModel
from gatehouse.observability import metrics
from gatehouse.suppression.keys import number_key
from gatehouse.tenancy import TenantRecord, TenantScope

FRESH_FOR: Final = timedelta(days=31)
REGISTRY_KEY: Final = "registry"
AREA_CODE: Final = re.compile(r"^[2-9][0-9]{2}$")
_TEN_DIGITS: Final = re.compile(r"^[2-9][0-9]{2}[2-9][0-9]{6}$")
_NANP_E164: Final = re.compile(r"^\+1([2-9][0-9]{2}[2-9][0-9]{6})$")
_PAGE: Final = 1000


class LoadKind(StrEnum):
    FULL = "full"
    CHANGE = "change"


class AreaManifest(GatehouseModel):
    model_config = ConfigDict(frozen=True)

    loaded_at: datetime
    version: int = Field(ge=1)
    kind: LoadKind
    added: int = 0
    deleted: int = 0


class DncRegistry(TenantRecord):
    collection = "DNCREGISTRY"

    registry_ref: str = Field(pattern=r"^dnr_[a-z2-7]{26}$")
    created_at: datetime
    areas: dict[str, AreaManifest] = {}

    def sort_key(self) -> str:
        return REGISTRY_KEY


class RegistryNumber(TenantRecord):
    collection = "DNCREG"

    area_code: str = Field(pattern=r"^[2-9][0-9]{2}$")
    number_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    generation: int = Field(ge=1)

    def sort_key(self) -> str:
        return registry_key(self.area_code, self.number_key)


def registry_key(area_code: str, number_key: str) -> str:
    return f"{area_code}#{number_key}"


class LoadReport(GatehouseModel):
    """What a load did, in counts only (it is audited, and numbers are never audited)."""

    model_config = ConfigDict(frozen=True)

    registry_ref: str
    area_code: str
    kind: LoadKind
    version: int
    loaded_at: datetime
    added: int
    deleted: int
    rejected: int


@dataclass
class _Load:
    area_code: str
    kind: LoadKind
    version: int
    added: int = 0
    deleted: int = 0
    rejected: int = 0


def load(
    scope: TenantScope,
    caller: Caller,
    area_code: str,
    lines: Iterable[str],
    kind: LoadKind,
    *,
    clock: Clock = utc_now,
) -> LoadReport:
    """Load one area-code file (full or change) into the tenant's registry; audited with counts."""
    caller.require(Permission.INTEGRATIONS_MANAGE)
    if not AREA_CODE.fullmatch(area_code):
        raise Invalid("area code must be three digits, the first 2-9")
    registry = scope.get(DncRegistry, REGISTRY_KEY) or DncRegistry(
        registry_ref=new_id("dnr"), created_at=clock()
    )
    previous = registry.areas.get(area_code)
    if kind is LoadKind.CHANGE and previous is None:
        raise Invalid(f"load a full file for area code {area_code} before change files")
    counts = _Load(area_code, kind, previous.version + 1 if previous else 1)
    with scope.batch_writer() as batch:
        for op, digits in _entries(lines, counts):
            hashed = number_key(scope.tenant_id, "+1" + digits)
            if op == "A":
                batch.save(RegistryNumber(area_code=area_code, number_key=hashed, generation=counts.version))
                counts.added += 1
            else:
                batch.delete(RegistryNumber, registry_key(area_code, hashed))
                counts.deleted += 1
    if kind is LoadKind.FULL:
        older = older_than(scope, RegistryNumber, f"{area_code}#", counts.version)
        counts.deleted += scope.batch_delete(RegistryNumber, older)
    if counts.added == 0 and counts.deleted == 0 and counts.rejected:
        raise Invalid(f"no line of the file is a number in area code {area_code}")
    report = _record(scope, registry, counts, clock())
    target = f"{report.registry_ref}/{area_code}"
    audit.record(caller, "dnc.registry_loaded", "dnc_registry", target, after=report)
    metrics.add_metric(name="DncRegistryNumbersLoaded", unit="Count", value=counts.added)
    return report


def lookup(
    scope: TenantScope, registry_ref: str, numbers: list[str], *, now: datetime
) -> dict[str, ScrubStamp]:
    """Stamps for E.164 numbers: one read of the registry record, one batch read per 100 numbers."""
    stamps: dict[str, ScrubStamp] = {}
    registry = scope.get(DncRegistry, REGISTRY_KEY)
    wanted: dict[str, str] = {}
    for number in dict.fromkeys(numbers):
        reason = _unanswerable(registry, registry_ref, number, now)
        if reason is not None:
            stamps[number] = error(reason, now, ScrubSource.REGISTRY)
        else:
            wanted[registry_key(number[2:5], number_key(scope.tenant_id, number))] = number
    found = scope.batch_get(RegistryNumber, wanted) if wanted else {}
    areas = registry.areas if registry else {}
    for key, number in wanted.items():
        # The version of the data is the area code's last load (the file's own date is not sent).
        loaded = areas[number[2:5]].loaded_at
        stamps[number] = answered(key in found, now, ScrubSource.REGISTRY, as_of=loaded)
    return stamps


def current(scope: TenantScope) -> DncRegistry | None:
    return scope.get(DncRegistry, REGISTRY_KEY)


def is_fresh(manifest: AreaManifest, now: datetime) -> bool:
    return now - manifest.loaded_at <= FRESH_FOR


def _unanswerable(
    registry: DncRegistry | None, registry_ref: str, number: str, now: datetime
) -> ScrubReason | None:
    match = _NANP_E164.fullmatch(number)
    if match is None:
        return ScrubReason.NOT_COVERED
    if registry is None or registry.registry_ref != registry_ref:
        return ScrubReason.REGISTRY_MISSING
    manifest = registry.areas.get(match.group(1)[:3])
    if manifest is None:
        return ScrubReason.REGISTRY_MISSING
    if not is_fresh(manifest, now):
        return ScrubReason.REGISTRY_STALE
    return None


def _entries(lines: Iterable[str], counts: _Load) -> Iterator[tuple[str, str]]:
    return file_entries(lines, counts.kind, counts, accept=lambda digits: digits.startswith(counts.area_code))


class _Rejects(Protocol):
    rejected: int


def file_entries(
    lines: Iterable[str], kind: LoadKind, counts: _Rejects, accept: Callable[[str], bool] | None = None
) -> Iterator[tuple[str, str]]:
    """``(op, ten digits)`` of each number line of a DNC file (registry or state list); blank and
    ``#`` lines skipped, every other line that is not one (or that ``accept`` refuses) counted rejected."""
    for raw in lines:
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        parsed = parse_line(text, kind)
        if parsed is None or (accept is not None and not accept(parsed[1])):
            counts.rejected += 1
            continue
        yield parsed


def parse_line(text: str, kind: LoadKind) -> tuple[str, str] | None:
    """``(op, ten digits)`` of one line of a full or change file; None when it is not one."""
    op = "A"
    if kind is LoadKind.CHANGE:
        op, _, text = text.partition(",")
        op = op.strip().upper()
        if op not in {"A", "D"}:
            return None
    digits = text.replace(",", "").replace("-", "").replace(" ", "")
    if not _TEN_DIGITS.fullmatch(digits):
        return None
    return op, digits


class _Generational(Protocol):
    generation: int

    def sort_key(self) -> str: ...


def older_than(
    scope: TenantScope, record_type: type[TenantRecord], prefix: str, version: int
) -> Iterator[str]:
    """Sort keys under ``prefix`` written by an earlier load than ``version`` (one page at a time)."""
    cursor: str | None = None
    while True:
        page = scope.query(record_type, prefix=prefix, limit=_PAGE, cursor=cursor)
        stale = [n.sort_key() for n in page.items if cast(_Generational, n).generation < version]
        yield from stale
        if page.cursor is None:
            return
        cursor = page.cursor


def _record(scope: TenantScope, registry: DncRegistry, counts: _Load, at: datetime) -> LoadReport:
    """Put the area code's manifest on the registry record; retried when another load won the race."""
    manifest = AreaManifest(
        loaded_at=at, version=counts.version, kind=counts.kind, added=counts.added, deleted=counts.deleted
    )
    for _ in range(5):
        areas = {**registry.areas, counts.area_code: manifest}
        try:
            saved = scope.save(registry.model_copy(update={"areas": areas}))
        except Conflict:
            registry = scope.require(DncRegistry, REGISTRY_KEY)
            continue
        return LoadReport(
            registry_ref=saved.registry_ref,
            area_code=counts.area_code,
            kind=counts.kind,
            version=counts.version,
            loaded_at=at,
            added=counts.added,
            deleted=counts.deleted,
            rejected=counts.rejected,
        )
    raise Conflict("the registry changed too often during the load; retry")
