"""The restriction a scoped person's reads pass through (``tenancy.restriction``): which records it
admits, and that it reads each contact's proof once, in one batch, only when a record needs it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatehouse.tenancy import TenantScope
from gatehouse.tenancy.records import Subject, TenantRecord
from gatehouse.tenancy.restriction import BatchRead, Restriction

TENANT = "tnt_" + "a" * 26

MINE, OTHER = "cmp_mine", "cmp_other"


class Proof(TenantRecord):
    collection = "PROOF"

    def sort_key(self) -> str:
        return "proof"


class About(TenantRecord):
    collection = "ABOUT"

    contact_id: str
    campaign_id: str | None = None
    by_campaign: bool = False

    def sort_key(self) -> str:
        return self.contact_id

    def subject(self) -> Subject | None:
        return Subject(self.contact_id, campaign_id=self.campaign_id, by_campaign=self.by_campaign)


class Plain(TenantRecord):
    collection = "PLAIN"

    def sort_key(self) -> str:
        return "plain"


class Proofs:
    """The proof keys that exist, and every batch asked for."""

    def __init__(self, existing: set[str]) -> None:
        self.existing = existing
        self.asked: list[list[str]] = []

    def __call__(self, keys: list[str]) -> set[str]:
        self.asked.append(sorted(keys))
        return self.existing & set(keys)


def proven(read: BatchRead, keys: list[str]) -> set[str]:
    """The keys that hold a ``Proof``: the prover a scope hands its own batch read."""
    return set(read(Proof, keys))


def restricted(campaigns: frozenset[str] | None) -> Restriction:
    return Restriction(lambda: campaigns, proof=proven)


def test_a_contact_is_inside_when_one_of_the_campaigns_has_an_outcome_for_it() -> None:
    proofs = Proofs({f"{MINE}#con_in"})
    records = [About(contact_id="con_in"), About(contact_id="con_out"), Plain()]
    admitted = restricted(frozenset({MINE})).admitted(records, proofs)
    assert admitted == [records[0], records[2]]
    assert proofs.asked == [[f"{MINE}#con_in", f"{MINE}#con_out"]]


def test_a_campaigns_record_is_inside_only_for_one_of_the_campaigns() -> None:
    records = [
        About(contact_id="c1", campaign_id=MINE, by_campaign=True),
        About(contact_id="c2", campaign_id=OTHER, by_campaign=True),
        About(contact_id="c3", campaign_id=None, by_campaign=True),
    ]
    proofs = Proofs(set())
    assert restricted(frozenset({MINE})).admitted(records, proofs) == [records[0]]
    assert proofs.asked == []  # no contact proof is needed for a campaign's record


def test_a_campaign_and_its_own_records_are_inside_only_for_one_of_the_campaigns() -> None:
    """A campaign names no contact: no proof is read, and one outside the person's is left out."""

    class Of(TenantRecord):
        collection = "OF"

        campaign_id: str

        def sort_key(self) -> str:
            return self.campaign_id

        def subject(self) -> Subject | None:
            return Subject.campaign(self.campaign_id)

    records = [Of(campaign_id=OTHER), Of(campaign_id=MINE), Plain()]
    proofs = Proofs({f"{OTHER}#c1"})
    assert restricted(frozenset({MINE})).admitted(records, proofs) == [records[1], records[2]]
    assert restricted(frozenset()).admitted(records, proofs) == [records[2]]
    assert restricted(None).admitted(records, proofs) == records
    assert proofs.asked == []


def test_nothing_is_read_when_the_tenant_does_not_restrict_or_no_record_has_a_subject() -> None:
    loads: list[int] = []

    def load() -> frozenset[str] | None:
        loads.append(1)
        return None

    restriction = Restriction(load, proof=proven)
    proofs = Proofs(set())
    assert restriction.admitted([Plain()], proofs) == [Plain()]
    assert loads == []  # a request that reads no contact never loads the person's campaigns
    records = [About(contact_id="c1")]
    assert restriction.admitted(records, proofs) == records
    assert restriction.admitted(records, proofs) == records
    assert (loads, proofs.asked) == ([1], [])


def test_no_campaigns_means_no_contact_and_each_contact_is_proved_once() -> None:
    proofs = Proofs(set())
    assert restricted(frozenset()).admitted([About(contact_id="c1")], proofs) == []
    assert proofs.asked == []
    restriction = restricted(frozenset({MINE, OTHER}))
    found = Proofs({f"{OTHER}#c1"})
    assert restriction.admitted([About(contact_id="c1")], found) == [About(contact_id="c1")]
    assert restriction.admitted([About(contact_id="c1"), About(contact_id="c2")], found) == [
        About(contact_id="c1")
    ]
    assert found.asked == [[f"{MINE}#c1", f"{OTHER}#c1"], [f"{MINE}#c2", f"{OTHER}#c2"]]


def test_the_prover_reads_through_the_scopes_own_batch_read_with_campaign_and_contact_keys() -> None:
    """A scope hands the prover its batch read (unrestricted: a proof is not a subject's record) and
    the ``<campaign>#<contact>`` keys of the person's campaigns; the contacts it proves are admitted."""
    given: list[tuple[BatchRead, list[str]]] = []
    stored = {f"{OTHER}#con_in": Proof()}

    def prover(read: BatchRead, keys: list[str]) -> set[str]:
        given.append((read, sorted(keys)))
        return set(read(Proof, keys))

    def batch_read(record_type: type[Any], keys: list[str], *, strict: bool = False) -> Mapping[str, Any]:
        """The table, for this scope: Abouts by contact id, Proofs by their key (all readable)."""
        if record_type is About:
            return {k: About(contact_id=k) for k in keys}
        return {k: stored[k] for k in keys if k in stored}

    scope = TenantScope(TENANT, restriction=Restriction(lambda: frozenset({MINE, OTHER}), proof=prover))
    scope._batch_read = batch_read  # type: ignore[method-assign,assignment]  # the store, not the door under test
    assert list(scope.batch_get(About, ["con_in", "con_out"])) == ["con_in"]
    assert given == [
        (batch_read, [f"{MINE}#con_in", f"{MINE}#con_out", f"{OTHER}#con_in", f"{OTHER}#con_out"])
    ]
