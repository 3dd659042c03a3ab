"""A person's view inside their tenant: only their campaigns, and those campaigns' contacts and conversations.

A ``Restriction`` rides on a ``TenantScope`` made for a request; the scope passes every
record it reads through ``admitted`` before a caller sees it, so a get of a record outside
the restriction is None (a route's 404) and a list leaves it out. Only records that name a
``Subject`` are filtered. Which campaigns a person has is loaded on the first read that
needs it (a request that reads no contact pays nothing) and kept for the scope's life.

A contact is inside when one of the campaigns has an outcome for it, keyed
``<campaign id>#<contact id>``: the domain's ``Prover`` says which of such keys exist (it
reads through the door, unrestricted). The door knows the key's shape, never the domain's
records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from gatehouse.tenancy.records import Subject, TenantRecord

T = TypeVar("T", bound=TenantRecord)
# The campaigns a person may see, or None when the tenant lets everyone see everything.
Loader = Callable[[], frozenset[str] | None]
# Which of these proof sort keys exist (a batch read through the scope).
ProofReader = Callable[[list[str]], set[str]]
# The scope's own batch read, unrestricted: sort keys of one collection -> the records found.
BatchRead = Callable[[type[Any], list[str]], Mapping[str, Any]]
# Which of these ``<campaign id>#<contact id>`` keys hold an outcome, read with ``BatchRead``.
Prover = Callable[[BatchRead, list[str]], set[str]]


class Restriction:
    """The campaigns a restricted person is assigned to, read once when first needed."""

    def __init__(self, load: Loader, proof: Prover) -> None:
        self._load = load
        self._loaded = False
        self._campaigns: frozenset[str] | None = None
        self._contacts: dict[str, bool] = {}
        self.proof = proof

    def campaigns(self) -> frozenset[str] | None:
        """The person's campaigns; None: the tenant does not restrict (its setting is ``all``)."""
        if not self._loaded:
            self._campaigns = self._load()
            self._loaded = True
        return self._campaigns

    def admitted(self, records: Sequence[T], read_proofs: ProofReader) -> list[T]:
        """The records the person may see, in order; the proofs of contacts not yet known: one batch read."""
        subjects = [record.subject() for record in records]
        if all(subject is None for subject in subjects):
            return list(records)
        campaigns = self.campaigns()
        if campaigns is None:
            return list(records)
        self._prove(
            (s.contact_id for s in subjects if s is not None and not s.by_campaign and s.contact_id),
            campaigns,
            read_proofs,
        )
        return [
            record
            for record, subject in zip(records, subjects, strict=True)
            if subject is None or self._inside(subject, campaigns)
        ]

    def _inside(self, subject: Subject, campaigns: frozenset[str]) -> bool:
        if subject.by_campaign:
            return subject.campaign_id is not None and subject.campaign_id in campaigns
        return subject.contact_id is not None and self._contacts.get(subject.contact_id, False)

    def _prove(self, contacts: Iterable[str], campaigns: frozenset[str], read_proofs: ProofReader) -> None:
        unknown = sorted(set(contacts) - self._contacts.keys())
        if not unknown:
            return
        keys = {f"{campaign}#{contact}": contact for contact in unknown for campaign in sorted(campaigns)}
        found = read_proofs(list(keys)) if keys else set()
        for contact in unknown:
            self._contacts[contact] = False
        for key in found:
            self._contacts[keys[key]] = True
