"""Suppression markers: every entry's marker under its number's contact id, and a key range read in one Query.

A batch of contacts that is one key range asks the list only for the range's markers, so
a number that is not on the list costs no read; a tenant whose list holds an entry made
before markers is asked number by number, so a missing marker never lets a number through.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gatehouse.aws_calls import AwsCall, AwsCallCounter
from gatehouse.contacts.keys import contact_id_for
from gatehouse.identity.caller import operator
from gatehouse.suppression import (
    SuppressionEntry,
    SuppressionSource,
    number_key,
    remove,
    suppress,
    suppressed,
    suppressed_span,
)
from gatehouse.suppression.markers import STATE_KEY, SuppressedContact, SuppressionMarkers
from gatehouse.suppression.review import confirm_hold, hold, release_hold
from tests.conftest import TenantFixture

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NUMBERS = [f"+1202555{n:04d}" for n in range(100, 140)]


def owner(t: TenantFixture):  # type: ignore[no-untyped-def]
    return operator(t.tenant_id, "ops", request_id="req-1")


def marker(t: TenantFixture, e164: str) -> SuppressedContact | None:
    return t.scope.get(SuppressedContact, contact_id_for(t.tenant_id, e164))


def by_contact(t: TenantFixture, numbers: list[str]) -> dict[str, str]:
    return {contact_id_for(t.tenant_id, n): n for n in numbers}


def test_an_entry_and_its_marker_are_written_and_deleted_together(tenant_a: TenantFixture) -> None:
    suppress(tenant_a.scope, owner(tenant_a), NUMBERS[0], SuppressionSource.MANUAL, "asked by phone")

    found = marker(tenant_a, NUMBERS[0])
    assert found is not None
    assert found.number_key == number_key(tenant_a.tenant_id, NUMBERS[0])
    entry = tenant_a.scope.require(SuppressionEntry, found.number_key)
    assert entry.contact_ref == contact_id_for(tenant_a.tenant_id, NUMBERS[0])

    remove(tenant_a.scope, owner(tenant_a), NUMBERS[0], "documented new consent")
    assert marker(tenant_a, NUMBERS[0]) is None


def test_a_hold_marks_the_number_a_release_unmarks_it_and_a_confirmation_keeps_it(
    tenant_a: TenantFixture,
) -> None:
    released, confirmed = NUMBERS[1], NUMBERS[2]
    for n, e164 in enumerate((released, confirmed)):
        hold(tenant_a.scope, owner(tenant_a), e164, contact_id_for(tenant_a.tenant_id, e164), f"SM{n:032d}")
        assert marker(tenant_a, e164) is not None

    release_hold(tenant_a.scope, owner(tenant_a), contact_id_for(tenant_a.tenant_id, released), "a question")
    confirm_hold(tenant_a.scope, owner(tenant_a), contact_id_for(tenant_a.tenant_id, confirmed))

    assert marker(tenant_a, released) is None
    assert marker(tenant_a, confirmed) is not None


def test_a_key_range_reads_only_the_numbers_on_the_list_and_tells_holds_apart(
    tenant_a: TenantFixture,
) -> None:
    scope = tenant_a.scope
    stopped, held = NUMBERS[3], NUMBERS[4]
    suppress(scope, owner(tenant_a), stopped, SuppressionSource.SMS_STOP)
    hold(scope, owner(tenant_a), held, contact_id_for(tenant_a.tenant_id, held), "SM" + "7" * 32)
    numbers = by_contact(tenant_a, NUMBERS[3:])
    first, last = min(numbers), max(numbers)

    def unused(*_: object) -> set[str]:
        raise AssertionError("a tenant whose entries all have markers is not asked number by number")

    with AwsCallCounter() as calls:
        on_list = suppressed_span(scope, numbers, first, last, NOW, otherwise=unused)

    assert on_list == {stopped, held}
    assert on_list.held == frozenset({held})  # type: ignore[attr-defined]
    # The range's markers in one Query, the two entries in one read; none for the 35 others.
    assert calls.counts()[AwsCall("dynamodb", "BatchGetItem")] == 1
    assert calls.counts()[AwsCall("dynamodb", "Query")] <= 2  # with the list's first check
    # The same answer as asking number by number.
    assert suppressed(scope, list(numbers.values())) == on_list


def test_an_entry_made_before_markers_keeps_the_tenant_on_number_by_number_reads(
    tenant_a: TenantFixture,
) -> None:
    """Fail closed: the legacy entry has no marker, so the range read alone would miss it."""
    scope = tenant_a.scope
    legacy = NUMBERS[5]
    scope.save(
        SuppressionEntry(
            number_key=number_key(tenant_a.tenant_id, legacy),
            source=SuppressionSource.SMS_STOP,
            sources=[SuppressionSource.SMS_STOP],
            added_at=NOW,
            added_by="contact:x",
        )
    )
    numbers = by_contact(tenant_a, NUMBERS[5:20])
    asked: list[list[str]] = []

    def number_by_number(s, wanted):  # type: ignore[no-untyped-def]
        asked.append(wanted)
        return suppressed(s, wanted)

    assert suppressed_span(scope, numbers, min(numbers), max(numbers), NOW, otherwise=number_by_number) == {
        legacy
    }
    assert sorted(asked[0]) == sorted(numbers.values())
    state = scope.require(SuppressionMarkers, STATE_KEY)
    assert (state.complete, state.checked_at) == (False, NOW)

    # Remembered for a day: the list is not read again within it, then it is.
    with AwsCallCounter() as calls:
        suppressed_span(
            scope, numbers, min(numbers), max(numbers), NOW + timedelta(hours=23), otherwise=suppressed
        )
    assert calls.counts()[AwsCall("dynamodb", "Query")] == 0
    scope.delete(scope.require(SuppressionEntry, number_key(tenant_a.tenant_id, legacy)))
    assert (
        suppressed_span(
            scope, numbers, min(numbers), max(numbers), NOW + timedelta(days=2), otherwise=suppressed
        )
        == set()
    )
    assert scope.require(SuppressionMarkers, STATE_KEY).complete


def test_a_contact_not_keyed_by_its_number_is_asked_for_by_number(tenant_a: TenantFixture) -> None:
    """No marker can be under such a contact's id, so the range read alone would let it through."""
    scope = tenant_a.scope
    suppress(scope, owner(tenant_a), NUMBERS[30], SuppressionSource.MANUAL)
    numbers = by_contact(tenant_a, NUMBERS[31:35])
    numbers["con_" + "z" * 26] = NUMBERS[30]  # keyed by something other than its number
    asked: list[list[str]] = []

    def number_by_number(s, wanted):  # type: ignore[no-untyped-def]
        asked.append(wanted)
        return suppressed(s, wanted)

    found = suppressed_span(scope, numbers, min(numbers), max(numbers), NOW, otherwise=number_by_number)

    assert found == {NUMBERS[30]}
    assert asked == [[NUMBERS[30]]]
