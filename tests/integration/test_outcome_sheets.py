"""A campaign's first sends as marks on its outcome sheets (``dispatch.outcomes``), against DynamoDB.

A first send is a mark on one of 1,024 sheets a campaign (by the contact id's first two
characters), never an item of its own; every other outcome is a ``ContactOutcome`` item.
Every reader (find, the report and its pages, the tally, the CSV export) sees both as one
record a contact, the one ``standing`` picks; a busy deferral a mark stands over is removed
by the next batch; sheet writes that race are merged, and a full sheet spills into items.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatehouse.config import get_settings
from gatehouse.contacts import checks
from gatehouse.contacts.records import Contact, ContactInput
from gatehouse.contacts.service import create
from gatehouse.dispatch import gates, outcomes
from gatehouse.dispatch.batch import BatchResult, run_batch
from gatehouse.dispatch.export import csv_lines
from gatehouse.dispatch.outcomes import (
    DEFERRED_INDEX,
    ContactOutcome,
    OutcomeSheet,
    OutcomeStatus,
    SentMark,
    find,
    sheet_key,
    write_sent,
)
from gatehouse.dispatch.report import record, report, tally
from gatehouse.ids import new_id
from gatehouse.providers.sandbox import sandbox
from gatehouse.tenancy import TenantScope
from gatehouse.tenancy.records import time_bound
from gatehouse.tenancy.store import UnreadableRecord
from tests.conftest import TenantFixture
from tests.integration import test_dispatch_batch as batch_tests
from tests.integration.test_dispatch_batch import CONSENT, NOW, run
from tests.support.consent import written
from tests.support.outcomes import busy_deferral, outcome_of

world = batch_tests.world  # the tenant, its contacts and running campaign of the batch tests
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
MORE = ["+12125550111", "+12125550112", "+12125550113"]  # consenting New Yorkers, not on the DNC list


def with_more_senders(world: dict[str, Any]) -> dict[str, Any]:
    """The batch tests' world with three more people the gates let through (Ann is the first)."""
    ids = dict(world["ids"])
    for n, phone in enumerate(MORE):
        person = {"phone": phone, "first_name": f"P{n}", "state": "NY", "consent": [written(CONSENT, phone)]}
        ids[f"p{n}"] = create(
            world["scope"],
            world["ops"],
            ContactInput.model_validate(person),
            suppressed=checks.suppressed,
            scrub=checks.scrub,
            clock=lambda: NOW - timedelta(days=1),
        ).contact_id
    return {**world, "ids": ids}


def items_of(scope: TenantScope, campaign_id: str) -> list[ContactOutcome]:
    """The campaign's ``ContactOutcome`` items as stored (no marks): the OUTCOME collection itself."""
    return scope.query(ContactOutcome, prefix=f"{campaign_id}#", limit=1000).items


def sheets_of(scope: TenantScope, campaign_id: str) -> list[OutcomeSheet]:
    return scope.query(OutcomeSheet, prefix=f"{campaign_id}#", limit=1000).items


def every_page(scope: TenantScope, campaign_id: str, limit: int) -> list[Any]:
    """Every report page, from the first to the one without a cursor."""
    pages, cursor = [], None
    while True:
        page = report(scope, campaign_id, limit=limit, cursor=cursor)
        pages.append(page)
        if page.cursor is None:
            return pages
        cursor = page.cursor


def mark(ref: str | None) -> SentMark:
    return SentMark(ref=ref, at=NOW, w="")


def test_a_batchs_first_sends_are_marks_on_sheets_and_every_reader_sees_them(world: dict[str, Any]) -> None:
    """The batch writes no item for a first send: the sheets hold each sent contact with its provider
    reference, and find, the report (counts and rows), the tally and the CSV export show it sent once."""
    world = with_more_senders(world)
    scope, campaign_id = world["scope"], world["campaign_id"]
    result = run(world)
    senders = {world["ids"][name] for name in ("ann", "p0", "p1", "p2")}
    assert result.sent.keys() == senders
    assert all(result.sent.values())  # every send has the provider's reference

    stored = items_of(scope, campaign_id)
    assert {o.contact_id for o in stored} == set(world["ids"].values()) - senders  # the blocked ones
    assert all(o.status is not OutcomeStatus.SENT for o in stored)
    on_sheets = {cid: m.ref for s in sheets_of(scope, campaign_id) for cid, m in s.sent.items()}
    assert on_sheets == result.sent
    for sheet in sheets_of(scope, campaign_id):
        assert all(sheet_key(campaign_id, cid) == sheet.sort_key() for cid in sheet.sent)

    found = find(scope, [f"{campaign_id}#{cid}" for cid in world["ids"].values()])
    assert len(found) == len(world["ids"])
    for cid in senders:
        outcome = found[f"{campaign_id}#{cid}"]
        assert (outcome.status, outcome.attempts, outcome.provider_ref) == (
            OutcomeStatus.SENT,
            1,
            result.sent[cid],
        )

    page = report(scope, campaign_id)
    assert page.cursor is None
    assert page.counts["sent"] == len(senders)
    assert [o.contact_id for o in page.outcomes] == sorted(world["ids"].values())
    sent_rows = {
        o.contact_id: (o.status, o.attempts, o.provider_ref) for o in page.outcomes if o.contact_id in senders
    }
    assert sent_rows == {cid: (OutcomeStatus.SENT, 1, result.sent[cid]) for cid in senders}
    assert tally(scope, campaign_id)["sent"] == len(senders)

    lines = [line for p in every_page(scope, campaign_id, 2) for line in csv_lines(p.outcomes, header=False)]
    rows = list(csv.DictReader(io.StringIO("".join(csv_lines([], header=True)) + "".join(lines))))
    assert [r["contact_id"] for r in rows] == sorted(world["ids"].values())
    assert {r["contact_id"]: (r["status"], r["attempts"]) for r in rows if r["contact_id"] in senders} == {
        cid: ("sent", "1") for cid in senders
    }


# Contact ids drawn so that several share a sheet (their first two characters after ``con_``).
contact_ids = st.builds(
    lambda head, tail: f"con_{head}{tail}",
    st.sampled_from(["aa", "ab", "a2", "a7", "b2", "zz"]),
    st.text(alphabet=BASE32, min_size=24, max_size=24),
)
# What a contact has: an item (status, attempts), a mark, or both.
holdings = st.one_of(
    st.tuples(st.just("item"), st.sampled_from(list(OutcomeStatus)), st.integers(0, 3)),
    st.tuples(st.just("mark"), st.none(), st.none()),
    st.tuples(st.just("both"), st.sampled_from(list(OutcomeStatus)), st.integers(0, 3)),
)


def modelled(kind: str, status: OutcomeStatus | None, attempts: int | None, cid: str) -> tuple[Any, ...]:
    """What the report must show for a contact, worked out here: a mark is a send with attempt 1;
    with an item too, the item holds unless the mark has more attempts."""
    as_mark = (OutcomeStatus.SENT, 1, f"SM{cid[-8:]}", None)
    if kind == "mark" or (kind == "both" and attempts == 0):
        return as_mark
    assert status is not None
    assert attempts is not None
    return (status, attempts, None, "why" if status is OutcomeStatus.BLOCKED else None)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(held=st.dictionaries(contact_ids, holdings, min_size=1, max_size=10))
def test_report_pages_merge_items_and_marks_in_contact_order_whatever_the_page_size(
    tenant_a: TenantFixture, held: dict[str, tuple[str, OutcomeStatus | None, int | None]]
) -> None:
    """Every page size walks every contact once, in contact order, each with the record that stands;
    the tally counts the same."""
    scope, campaign_id = tenant_a.scope, new_id("cmp")  # a campaign of its own per example
    items = [
        ContactOutcome(
            campaign_id=campaign_id,
            contact_id=cid,
            status=status,
            reason="why" if status is OutcomeStatus.BLOCKED else None,
            attempts=attempts,
            updated_at=NOW,
        )
        for cid, (kind, status, attempts) in held.items()
        if kind != "mark" and status is not None and attempts is not None
    ]
    scope.batch_save(items)
    marks = {cid: mark(f"SM{cid[-8:]}") for cid, (kind, _, _) in held.items() if kind != "item"}
    assert write_sent(scope, campaign_id, marks, {}) == []

    expected = [(cid, *modelled(*held[cid], cid)) for cid in sorted(held)]
    for size in range(1, 6):
        pages = every_page(scope, campaign_id, size)
        assert all(1 <= len(p.outcomes) <= size for p in pages), size
        seen = [
            (o.contact_id, o.status, o.attempts, o.provider_ref, o.reason) for p in pages for o in p.outcomes
        ]
        assert seen == expected, size
        counted: dict[str, int] = {}
        for p in pages:
            for key, n in p.counts.items():
                counted[key] = counted.get(key, 0) + n
        assert counted == dict(Counter(f"{s.value}:{r}" if r else s.value for _, s, _, _, r in expected))
    assert tally(scope, campaign_id) == tallied(expected)


def tallied(expected: list[tuple[Any, ...]]) -> dict[str, int]:
    """The tally's counts: by status, and by ``status:reason`` beside it where there is a reason."""
    counts: Counter[str] = Counter()
    for _, status, _, _, reason in expected:
        counts.update([status.value] + ([f"{status.value}:{reason}"] if reason else []))
    return dict(counts)


def test_a_busy_deferral_after_the_senders_mark_is_not_written_and_one_beside_it_goes_with_the_next_batch(
    world: dict[str, Any],
) -> None:
    """The loser of every claim round defers the contact as busy: after the winner marked its send, the
    loser reads the sheet again and writes nothing. One that landed first (the race's other order) is
    shadowed by the mark (a busy deferral carries no attempt), and the next batch over the contact
    sends nothing more and removes it, so the deferred-attempts job no longer lists it."""
    scope, campaign_id, ann = world["scope"], world["campaign_id"], world["ids"]["ann"]
    contact = scope.require(Contact, ann)
    loser = BatchResult()
    loser.note(ann, gates.still_contested(NOW))
    assert run(world).sent.keys() == {ann}  # the winner: a mark on Ann's sheet
    record(scope, campaign_id, {ann: contact}, {}, set(), loser, NOW)  # the loser's busy deferral, last
    key = f"{campaign_id}#{ann}"
    assert scope.get(ContactOutcome, key) is None

    # What the other order leaves: written before the winner's mark.
    scope.save(busy_deferral(campaign_id, ann, NOW))
    outcome = outcome_of(scope, key)
    assert (outcome.status, outcome.attempts) == (OutcomeStatus.SENT, 1)
    assert report(scope, campaign_id).counts["sent"] == 1
    assert "deferred" not in tally(scope, campaign_id)
    later = NOW + timedelta(days=1)
    assert [o.contact_id for o in due(scope, later)] == [ann]  # listed until removed

    again = run(world, "run-2", NOW + timedelta(minutes=2))
    assert again.sent == {}
    assert scope.get(ContactOutcome, key) is None
    assert due(scope, later) == []
    assert (outcome_of(scope, key).status, outcome_of(scope, key).attempts) == (OutcomeStatus.SENT, 1)
    assert report(scope, campaign_id).counts["sent"] == 1


def due(scope: TenantScope, before: datetime) -> list[ContactOutcome]:
    return scope.due(ContactOutcome, DEFERRED_INDEX, before=time_bound(before)).items


def test_sheet_writes_that_race_are_merged_and_a_full_sheet_spills_into_items(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two batches writing one sheet, the second from a stale read (or none), both keep their marks; a
    sheet takes marks up to ``SHEET_MAX`` and no more, and the batch records the rest as items instead."""
    scope, campaign_id = world["scope"], new_id("cmp")
    first, second, third = (f"con_ab{c * 24}" for c in "234")
    assert write_sent(scope, campaign_id, {first: mark("SM1")}, {}) == []
    read = scope.require(OutcomeSheet, sheet_key(campaign_id, first))
    assert write_sent(scope, campaign_id, {second: mark("SM2")}, {}) == []  # read none: the sheet was there
    assert write_sent(scope, campaign_id, {third: mark("SM3")}, {read.sort_key(): read}) == []  # stale read
    sheet = scope.require(OutcomeSheet, sheet_key(campaign_id, first))
    assert {cid: m.ref for cid, m in sheet.sent.items()} == {first: "SM1", second: "SM2", third: "SM3"}
    assert [o.contact_id for o in sheet.announced()] == [third]  # each write's own marks only

    monkeypatch.setattr(outcomes, "SHEET_MAX", 3)
    fourth = f"con_ab{'5' * 24}"
    assert write_sent(scope, campaign_id, {fourth: mark("SM4")}, {}) == [fourth]
    assert fourth not in scope.require(OutcomeSheet, sheet.sort_key()).sent
    monkeypatch.setattr(outcomes, "SHEET_MAX", 4)  # room for one more: the first by id goes on
    fifth = f"con_ab{'6' * 24}"
    assert write_sent(scope, campaign_id, {fifth: mark("SM5"), fourth: mark("SM4")}, {}) == [fifth]
    assert set(scope.require(OutcomeSheet, sheet.sort_key()).sent) == {first, second, third, fourth}
    monkeypatch.setattr(outcomes, "SHEET_MAX", 3)

    # Through the batch's record: Ann's sheet full, another's empty; Ann's send is an item, theirs a mark.
    campaign_id = world["campaign_id"]
    ann = world["ids"]["ann"]
    bo = next(cid for cid in world["ids"].values() if cid[:6] != ann[:6])  # on another sheet
    fillers = {f"{ann[:6]}{c * (len(ann) - 6)}": mark(f"SMf{c}") for c in "234"}
    assert write_sent(scope, campaign_id, fillers, {}) == []
    contacts = {cid: scope.require(Contact, cid) for cid in (ann, bo)}
    sent = BatchResult()
    sent.sent.update({ann: "SMann", bo: "SMbo"})
    record(scope, campaign_id, contacts, {}, {ann, bo}, sent, NOW)
    spilled = scope.get(ContactOutcome, f"{campaign_id}#{ann}")
    assert spilled is not None
    assert (spilled.status, spilled.attempts, spilled.provider_ref) == (OutcomeStatus.SENT, 1, "SMann")
    assert scope.get(ContactOutcome, f"{campaign_id}#{bo}") is None
    assert scope.require(OutcomeSheet, sheet_key(campaign_id, bo)).sent[bo].ref == "SMbo"
    assert ann not in scope.require(OutcomeSheet, sheet_key(campaign_id, ann)).sent
    found = find(scope, [f"{campaign_id}#{ann}", f"{campaign_id}#{bo}"])
    assert {k.partition("#")[2]: (o.status, o.attempts, o.provider_ref) for k, o in found.items()} == {
        ann: (OutcomeStatus.SENT, 1, "SMann"),
        bo: (OutcomeStatus.SENT, 1, "SMbo"),
    }


@pytest.mark.parametrize("contiguous", [False, True])
def test_a_batch_that_cannot_read_a_sheet_sends_to_none_of_its_contacts(
    world: dict[str, Any], contiguous: bool
) -> None:
    """Fail closed: a sheet that no longer reads (a hand edit, an older writer) may hold first sends, so
    the batch over its contacts fails, naming the record to the operators, instead of reading it as
    nobody reached and texting them again."""
    scope, campaign_id, ann = world["scope"], world["campaign_id"], world["ids"]["ann"]
    assert run(world).sent.keys() == {ann}
    table = boto3.resource("dynamodb").Table(get_settings().main_table)
    key = {"pk": f"{scope.tenant_id}#{OutcomeSheet.collection}", "sk": sheet_key(campaign_id, ann)}
    table.update_item(Key=key, UpdateExpression="SET body = :body", ExpressionAttributeValues={":body": "{}"})
    with pytest.raises(UnreadableRecord):
        run_batch(
            scope,
            campaign_id,
            "run-2",
            sorted(world["ids"].values()),
            now=NOW + timedelta(minutes=5),
            suppressed=checks.suppressed,
            scrub=lambda s, numbers: checks.scrub(s, numbers, clock=lambda: NOW),
            billing=batch_tests.good_standing,
            contiguous=contiguous,
        )
    assert len(sandbox().messages()) == 1
