"""Record types stored through the data door.

A record is a pydantic model that names its collection and its sort key. Tenant
records live under ``<tenant_id>#<collection>``; global records under
``<PREFIX>#<id>``. Domain modules declare records; only ``tenancy`` turns them
into DynamoDB items.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar, Generic, TypeVar

from pydantic import ConfigDict

from gatehouse.models import GatehouseModel

COLLECTION_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")
GLOBAL_PREFIXES = frozenset(
    {"TENANT", "USER", "EMAIL", "APIKEY", "SYSTEM", "TOKEN", "SESSION", "LIMIT", "WEBHOOK", "STRIPE"}
)


class Record(GatehouseModel):
    model_config = ConfigDict(extra="forbid")

    collection: ClassVar[str]
    # Set by the data door after a read; a write with it set is conditional on it.
    version: int = 0

    @abstractmethod
    def sort_key(self) -> str:
        """The item's sort key inside its partition."""

    def expires(self) -> datetime | None:
        """When DynamoDB's TTL may delete the item (None: never)."""
        return None

    def index_key(self) -> tuple[str, str] | None:
        """Keys for the gsi1 index, or None when the record is not indexed."""
        return None

    def lookup_key(self) -> tuple[str, str] | None:
        """(index name, sort key) on the gsi1 lookup index under the record's tenant, or None.

        For a tenant record that a second question finds (a member's assigned conversations):
        the data door puts the tenant id in front of the name, as on the time index. A record
        has either this or ``index_key``, never both.
        """
        return None

    def time_key(self) -> tuple[str, str] | None:
        """(index name, sort key) on the gsi2 time index, or None when the record is not on it.

        Only tenant records use it: the data door puts the tenant id in front of the name,
        so a tenant's items on the index are one partition per name, ordered by the sort
        key (an instant from ``time_sort_key``), and a job reads only what fell due.
        """
        return None


class TenantRecord(Record):
    """A record owned by one tenant; reachable only through that tenant's scope."""

    def subject(self) -> Subject | None:
        """The person the record is about, for a scope restricted to some campaigns (None: nobody).

        A restricted scope (``tenancy.restriction``) hands out a record with a subject only
        when that subject is inside the restriction; records without one are never filtered.
        """
        return None


@dataclass(frozen=True)
class Subject:
    """Whom a record is about: a contact, seen through their campaigns, or (``by_campaign``) one campaign's.

    A contact is inside a restriction when one of its campaigns has an outcome for them; a
    record ``by_campaign`` is inside when ``campaign_id`` is one of its campaigns (None: never).
    A campaign and what is only the campaign's (its runs, its outcomes) name no contact.
    """

    contact_id: str | None
    campaign_id: str | None = None
    by_campaign: bool = False

    @classmethod
    def campaign(cls, campaign_id: str) -> Subject:
        """A record that is the campaign's: seen only by the people of that campaign."""
        return cls(None, campaign_id=campaign_id, by_campaign=True)


class Tally(TenantRecord):
    """A counter of one tenant's, added to with ``TenantScope.tally`` (an atomic ADD, no read).

    ``count`` is read from the item's counter, never written in its body: a ``save`` of a
    tally would lose additions, so only ``tally`` writes one (and a transaction may delete it).
    """

    count: int = 0


class GlobalRecord(Record):
    """A record outside any tenant: ``partition_id()`` names it under its prefix."""

    @abstractmethod
    def partition_id(self) -> str:
        """The id after the global prefix in the partition key."""


R = TypeVar("R", bound=Record)


@dataclass(frozen=True)
class Page(Generic[R]):
    items: list[R]
    cursor: str | None


def time_sort_key(moment: datetime, item: str) -> str:
    """``<UTC instant, microseconds, Z>#<item>``: text order is time order on the time index."""
    return f"{moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{item}"


def time_bound(moment: datetime) -> str:
    """The sort key below which every item on the time index is older than ``moment``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_collection(name: str) -> str:
    if not COLLECTION_PATTERN.fullmatch(name):
        raise ValueError(f"invalid collection name {name!r}")
    return name
