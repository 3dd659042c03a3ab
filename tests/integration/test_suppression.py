"""The suppression list against moto: keyed hashes, idempotent adds, batch checks, audited removal."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest

from gatehouse import audit
from gatehouse.aws_calls import AwsCall, AwsCallCounter
from gatehouse.errors import Forbidden, Invalid, NotFound
from gatehouse.identity.caller import PrincipalType, contact, operator, system
from gatehouse.identity.permissions import Role
from gatehouse.suppression import (
    SuppressionEntry,
    SuppressionSource,
    SuppressionUnavailable,
    lift_sms_stop,
    list_entries,
    number_key,
    remove,
    suppress,
    suppressed,
    to_e164,
)
from gatehouse.suppression.keys import DERIVATION_PREFIX, forget_keys
from gatehouse.tenancy import TenantScope
from tests.conftest import TenantFixture

NUMBER = "+12025550143"
OTHER = "+12125550199"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def owner(t: TenantFixture):  # type: ignore[no-untyped-def]
    return operator(t.tenant_id, "ops", request_id="req-1")


def test_a_number_key_is_an_hmac_under_the_tenants_derived_key(tenant_a: TenantFixture) -> None:
    import hashlib
    import hmac
    import os

    kms = boto3.client("kms")
    derived = kms.generate_mac(
        KeyId=os.environ["GATEHOUSE_SUPPRESSION_KEY_ID"],
        Message=DERIVATION_PREFIX + tenant_a.tenant_id.encode(),
        MacAlgorithm="HMAC_SHA_256",
    )["Mac"]
    expected = hmac.new(derived, NUMBER.encode(), hashlib.sha256).hexdigest()
    assert number_key(tenant_a.tenant_id, NUMBER) == expected


def test_the_same_number_keys_differently_in_each_tenant(
    tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:
    assert number_key(tenant_a.tenant_id, NUMBER) != number_key(tenant_b.tenant_id, NUMBER)


def test_a_tenant_key_costs_one_kms_call_per_process(tenant_a: TenantFixture) -> None:
    forget_keys()
    with AwsCallCounter() as calls:
        for n in range(20):
            number_key(tenant_a.tenant_id, f"+1202555{n:04d}")
    assert calls.total("kms") == 1


def test_no_key_configured_is_unavailable_not_unsuppressed(
    tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gatehouse.config import get_settings

    monkeypatch.setenv("GATEHOUSE_SUPPRESSION_KEY_ID", "")
    get_settings.cache_clear()
    with pytest.raises(SuppressionUnavailable):
        suppressed(tenant_a.scope, [NUMBER])
    get_settings.cache_clear()


def test_suppress_is_immediate_and_audited_once(tenant_a: TenantFixture) -> None:
    added = suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.MANUAL, "asked us to stop")
    assert added.created
    assert suppressed(tenant_a.scope, [NUMBER, OTHER]) == {NUMBER}
    (entry,) = [
        e for e in audit.list_entries(tenant_a.tenant_id, limit=100).items if e.action.startswith("supp")
    ]
    assert entry.action == "suppression.added"
    assert entry.target.id == added.entry.ref
    assert entry.changes.after is not None
    assert entry.changes.after["source"] == "manual"


def test_a_repeated_add_from_a_standing_source_records_nothing(tenant_a: TenantFixture) -> None:
    first = suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.SMS_STOP, clock=lambda: NOW)
    before = audit.list_entries(tenant_a.tenant_id, limit=100).items
    again = suppress(tenant_a.scope, contact(tenant_a.tenant_id, "c1"), NUMBER, SuppressionSource.SMS_STOP)
    assert not again.created
    assert again.entry == first.entry
    assert audit.list_entries(tenant_a.tenant_id, limit=100).items == before


def test_an_add_from_a_new_source_keeps_the_first_entry_and_records_the_source(
    tenant_a: TenantFixture,
) -> None:
    first = suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.SMS_STOP, clock=lambda: NOW)
    again = suppress(tenant_a.scope, system(tenant_a.tenant_id, "erasure"), NUMBER, SuppressionSource.ERASURE)
    assert not again.created
    assert (again.entry.source, again.entry.added_at, again.entry.added_by) == (
        SuppressionSource.SMS_STOP,
        first.entry.added_at,
        first.entry.added_by,
    )
    assert again.entry.sources == [SuppressionSource.SMS_STOP, SuppressionSource.ERASURE]
    latest = audit.list_entries(tenant_a.tenant_id, limit=1).items[0]
    assert latest.action == "suppression.added"
    assert latest.actor.label == "system:erasure"
    assert latest.changes.before is not None
    assert latest.changes.before["sources"] == ["sms_stop"]


def test_an_opt_in_lifts_an_sms_stop_standing_alone(tenant_a: TenantFixture) -> None:
    person = contact(tenant_a.tenant_id, "con_1", request_id="sms-2")
    suppress(tenant_a.scope, person, NUMBER, SuppressionSource.SMS_STOP)
    assert lift_sms_stop(tenant_a.scope, person, NUMBER)
    assert suppressed(tenant_a.scope, [NUMBER]) == set()
    latest = audit.list_entries(tenant_a.tenant_id, limit=1).items[0]
    assert (latest.action, latest.actor.label) == ("suppression.removed", "contact:con_1")


@pytest.mark.parametrize(
    "other", [SuppressionSource.MANUAL, SuppressionSource.VOICE_STOP_REQUEST, SuppressionSource.ERASURE]
)
def test_an_opt_in_never_lifts_another_source(tenant_a: TenantFixture, other: SuppressionSource) -> None:
    person = contact(tenant_a.tenant_id, "con_1")
    suppress(tenant_a.scope, person, NUMBER, SuppressionSource.SMS_STOP)
    suppress(tenant_a.scope, owner(tenant_a), NUMBER, other)
    assert not lift_sms_stop(tenant_a.scope, person, NUMBER)
    assert suppressed(tenant_a.scope, [NUMBER]) == {NUMBER}


def test_only_the_contact_may_opt_back_in(tenant_a: TenantFixture) -> None:
    suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.SMS_STOP)
    with pytest.raises(Forbidden):
        lift_sms_stop(tenant_a.scope, owner(tenant_a), NUMBER)


def test_a_system_principal_suppresses_and_is_audited_as_such(tenant_a: TenantFixture) -> None:
    caller = system(tenant_a.tenant_id, "webhooks", request_id="sms-1")
    assert caller.principal_type is PrincipalType.SYSTEM
    added = suppress(tenant_a.scope, caller, NUMBER, SuppressionSource.SMS_STOP)
    assert added.entry.added_by == "system:webhooks"
    latest = audit.list_entries(tenant_a.tenant_id, limit=1, newest_first=True).items[0]
    assert latest.actor.label == "system:webhooks"


def test_the_system_principal_may_not_remove(tenant_a: TenantFixture) -> None:
    suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.MANUAL)
    with pytest.raises(Forbidden):
        remove(tenant_a.scope, system(tenant_a.tenant_id, "webhooks"), NUMBER, "because")


def test_removal_needs_a_reason_and_is_audited(tenant_a: TenantFixture) -> None:
    suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.MANUAL)
    with pytest.raises(Invalid):
        remove(tenant_a.scope, owner(tenant_a), NUMBER, "  ")
    removed = remove(tenant_a.scope, owner(tenant_a), NUMBER, "new written consent on file")
    assert suppressed(tenant_a.scope, [NUMBER]) == set()
    latest = audit.list_entries(tenant_a.tenant_id, limit=1, newest_first=True).items[0]
    assert latest.action == "suppression.removed"
    assert latest.target.id == removed.ref
    assert latest.changes.after is not None
    assert latest.changes.after["reason"] == "new written consent on file"
    with pytest.raises(NotFound):
        remove(tenant_a.scope, owner(tenant_a), NUMBER, "again")


def test_a_reason_holding_a_number_is_refused(tenant_a: TenantFixture) -> None:
    with pytest.raises(Invalid, match="phone number"):
        suppress(
            tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.MANUAL, "called from 202-555-0143"
        )


def test_lists_are_tenant_scoped_and_paginated(tenant_a: TenantFixture, tenant_b: TenantFixture) -> None:
    for n in range(5):
        suppress(tenant_a.scope, owner(tenant_a), f"+1202555{n:04d}", SuppressionSource.IMPORT)
    first = list_entries(tenant_a.scope, limit=3)
    second = list_entries(tenant_a.scope, limit=3, cursor=first.cursor)
    assert len(first.items) == 3
    assert len(second.items) == 2
    assert second.cursor is None
    assert list_entries(tenant_b.scope).items == []
    assert suppressed(tenant_b.scope, ["+12025550000"]) == set()


def test_a_check_reads_in_batches_of_one_hundred(tenant_a: TenantFixture) -> None:
    numbers = [f"+1202555{n:04d}" for n in range(250)]
    suppress(tenant_a.scope, owner(tenant_a), numbers[7], SuppressionSource.MANUAL)
    with AwsCallCounter() as calls:
        hits = suppressed(tenant_a.scope, numbers)
    assert hits == {numbers[7]}
    assert calls.counts()[AwsCall("dynamodb", "BatchGetItem")] == 3


def test_a_malformed_number_is_refused_before_anything_is_read(tenant_a: TenantFixture) -> None:
    with pytest.raises(Invalid):
        suppressed(tenant_a.scope, ["2025550143"])
    with pytest.raises(Invalid):
        to_e164("not a number")


def test_no_number_is_stored_or_audited_only_hashes(tenant_a: TenantFixture) -> None:
    """Every item and audit entry the suppression list writes holds the hash, never the number."""
    digits = NUMBER[2:]
    suppress(tenant_a.scope, owner(tenant_a), NUMBER, SuppressionSource.MANUAL, "asked us to stop")
    remove(tenant_a.scope, owner(tenant_a), NUMBER, "new written consent on file")
    suppress(tenant_a.scope, system(tenant_a.tenant_id, "erasure"), NUMBER, SuppressionSource.ERASURE)
    client = boto3.client("dynamodb")
    from gatehouse.config import get_settings

    settings = get_settings()
    for table in (settings.main_table, settings.audit_table):
        # A test may scan: it is the only way to prove the number is nowhere.
        dump = json.dumps(client.scan(TableName=table)["Items"])
        assert digits not in dump, table
        assert NUMBER[-7:] not in dump, table
    stored = TenantScope(tenant_a.tenant_id).get(SuppressionEntry, number_key(tenant_a.tenant_id, NUMBER))
    assert stored is not None
    assert stored.source is SuppressionSource.ERASURE


def test_roles_below_member_cannot_add(tenant_a: TenantFixture) -> None:
    from gatehouse.identity.caller import Caller

    viewer = Caller(tenant_a.tenant_id, Role.VIEWER, PrincipalType.USER, "usr_x")
    with pytest.raises(Forbidden):
        suppress(tenant_a.scope, viewer, NUMBER, SuppressionSource.MANUAL)
