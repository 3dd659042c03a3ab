"""Stream records read as occurrences (gatehouse.events.stream).

Every record is built from an item as the data door and the audit log write it: a record
(``ContactOutcome``, ``OutcomeSheet``, ``Delivery``) through ``tenancy.store.to_item``, an entry sealed by
``AuditEntry.seal`` with its changes from ``audit.entry.plain_changes`` and stored as
``audit.store`` stores it, each serialized by PynamoDB into the attribute values PutItem
sends, which are what the stream's NewImage holds. (boto3's TypeSerializer would store a
record's body as a map; the door stores it as JSON text.)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from gatehouse.audit.entry import (
    GENESIS_HASH,
    Actor,
    ActorType,
    AuditEntry,
    Target,
    indexed_copies,
    plain_changes,
)
from gatehouse.audit.store import AuditEntryItem, AuditHeadItem, _entry_key, partition
from gatehouse.campaigns.lifecycle import AuditedCampaign, AuditedTransition
from gatehouse.campaigns.records import CampaignStatus
from gatehouse.contacts.imports import ImportCounts
from gatehouse.dispatch.delivery import Delivery, DeliveryStatus
from gatehouse.dispatch.outcomes import ContactOutcome, OutcomeSheet, OutcomeStatus, SentMark
from gatehouse.events.occurrence import event_id_for
from gatehouse.events.stream import occurrences, read
from gatehouse.suppression.entries import AuditedSuppression, SuppressionEntry, SuppressionSource
from gatehouse.tenancy.store import to_item

TENANT = "tnt_" + "a" * 26
OTHER = "tnt_" + "b" * 26
AT = datetime(2026, 3, 4, 22, 30, 0, 123456, tzinfo=UTC)


def _record(image: dict[str, Any], name: str = "INSERT") -> dict[str, Any]:
    keys = {k: image[k] for k in ("pk", "sk")}
    return {
        "eventID": "e1",
        "eventName": name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": keys, "NewImage": image, "SequenceNumber": "1", "StreamViewType": "NEW_IMAGE"},
    }


def _stored(record: Any, tenant: str = TENANT) -> dict[str, Any]:
    return to_item(record, f"{tenant}#{record.collection}").serialize()  # type: ignore[no-any-return]


def _entry(action: str, target: Target, before: Any, after: Any, seq: int = 7, **fields: Any) -> AuditEntry:
    return AuditEntry.seal(
        tenant_id=fields.pop("tenant_id", TENANT),
        seq=seq,
        at=AT,
        actor=fields.pop("actor", Actor(type=ActorType.SYSTEM, id="dispatch")),
        action=action,
        target=target,
        request_id="req-1",
        changes=plain_changes(before, after),
        prev_hash=GENESIS_HASH,
    )


def _audit_image(entry: AuditEntry, body: str | None = None) -> dict[str, Any]:
    item = AuditEntryItem(
        partition(entry.tenant_id),
        _entry_key(entry.seq),
        seq=entry.seq,
        body=body if body is not None else entry.canonical().decode(),
        **indexed_copies(entry),
    )
    return item.serialize()  # type: ignore[no-any-return]


def _campaign(status: CampaignStatus) -> AuditedCampaign:
    return AuditedCampaign(campaign_id="cmp_1", status=status, name="Spring", channel="sms")


def test_a_campaign_pause_is_heard_with_its_reason_code_and_a_stable_id() -> None:
    paused = AuditedTransition(**_campaign(CampaignStatus.PAUSED).model_dump(), reason="dnc_source_failed")
    entry = _entry(
        "campaign.paused", Target(type="campaign", id="cmp_1"), _campaign(CampaignStatus.RUNNING), paused
    )
    (occurrence,) = occurrences(_record(_audit_image(entry)))
    assert occurrence.event_id == event_id_for(TENANT, "audit", "7")
    assert (occurrence.kind, occurrence.at, occurrence.actor) == ("campaign.paused", AT, "system:dispatch")
    assert (occurrence.target_type, occurrence.target_id) == ("campaign", "cmp_1")
    assert occurrence.data == {"campaign_id": "cmp_1", "status": "paused", "reason": "dnc_source_failed"}
    assert occurrences(_record(_audit_image(entry))) == [occurrence]  # read twice, the same id


def test_a_rejection_is_heard_without_the_words_a_person_gave() -> None:
    rejected = AuditedTransition(
        **_campaign(CampaignStatus.DRAFT).model_dump(), reason="call Ann at home first"
    )
    entry = _entry(
        "campaign.rejected",
        Target(type="campaign", id="cmp_1"),
        _campaign(CampaignStatus.SUBMITTED),
        rejected,
        actor=Actor(type=ActorType.USER, id="usr_1"),
    )
    (occurrence,) = occurrences(_record(_audit_image(entry)))
    assert occurrence.data == {"campaign_id": "cmp_1", "status": "draft"}
    assert occurrence.actor == "user:usr_1"


def test_an_opt_out_is_heard_with_its_source_and_contact_but_no_reason_text() -> None:
    entry_record = SuppressionEntry(
        number_key="f" * 64,
        source=SuppressionSource.SMS_STOP,
        sources=[SuppressionSource.SMS_STOP],
        reason="texted STOP from +14155550132",
        added_at=AT,
        added_by="contact:x",
        contact_ref="con_" + "c" * 26,
    )
    after = AuditedSuppression.of(entry_record)
    entry = _entry("suppression.added", Target(type="suppression", id=after.ref), None, after)
    (occurrence,) = occurrences(_record(_audit_image(entry)))
    assert occurrence.data == {
        "suppression_id": after.ref,
        "source": "sms_stop",
        "sources": ["sms_stop"],
        "contact_id": "con_" + "c" * 26,
    }
    assert "+1415" not in json.dumps(occurrence.model_dump(mode="json"))


def test_an_import_is_heard_with_its_counts_and_a_credentials_test_with_whether_it_worked() -> None:
    counts = ImportCounts(rows=5, created=3, updated=1, unchanged=0, errors=1)
    imported = _entry("contacts.imported", Target(type="import", id="imp_1"), None, counts)
    (heard,) = occurrences(_record(_audit_image(imported)))
    assert heard.data == {
        "import_id": "imp_1",
        "rows": 5,
        "created": 3,
        "updated": 1,
        "unchanged": 0,
        "errors": 1,
    }
    tested = _entry(
        "integration.tested",
        Target(type="integration", id="twilio"),
        None,
        {"provider": "twilio", "status": "rejected", "detail": "the provider refused", "checked_at": "x"},
    )
    (heard,) = occurrences(_record(_audit_image(tested)))
    assert heard.data == {"integration_id": "twilio", "provider": "twilio", "status": "rejected", "ok": False}


def test_audit_actions_nobody_hears_of_and_other_audit_items_give_nothing() -> None:
    edited = _entry("contact.updated", Target(type="contact", id="con_1"), None, {"first_name": "Ann"})
    assert occurrences(_record(_audit_image(edited))) == []
    head = AuditHeadItem(partition(TENANT), "HEAD", seq=7, hash="0" * 64, at="x").serialize()
    assert occurrences(_record(head)) == []


@pytest.mark.parametrize(
    "spoil",
    [
        lambda entry: entry.canonical().decode().replace('"cmp_1"', '"cmp_2"'),  # changed after sealing
        lambda entry: "{not json",
        lambda entry: (
            _entry(  # another tenant's entry in this tenant's partition
                "campaign.paused",
                Target(type="campaign", id="cmp_1"),
                None,
                {"status": "paused"},
                tenant_id=OTHER,
            )
            .canonical()
            .decode()
        ),
    ],
    ids=["hash-mismatch", "not-json", "other-tenant"],
)
def test_an_entry_that_does_not_hold_together_is_skipped_never_guessed(spoil: Any) -> None:
    entry = _entry("campaign.paused", Target(type="campaign", id="cmp_1"), None, {"status": "paused"})
    assert occurrences(_record(_audit_image(entry, body=spoil(entry)))) == []


def test_a_sent_message_is_heard_from_its_outcome_with_a_stable_id() -> None:
    outcome = ContactOutcome(
        campaign_id="cmp_1",
        contact_id="con_1",
        status=OutcomeStatus.SENT,
        attempts=1,
        provider_ref="SM1",
        updated_at=AT,
    )
    for name in ("INSERT", "MODIFY"):
        (occurrence,) = occurrences(_record(_stored(outcome), name))
        assert occurrence.event_id == event_id_for(TENANT, "outcome", "cmp_1", "con_1", "1", "sent")
        assert occurrence.kind == "message.sent"
        assert occurrence.data == {
            "campaign_id": "cmp_1",
            "contact_id": "con_1",
            "attempt": 1,
            "status": "sent",
            "message_id": event_id_for(TENANT, "message", "SM1"),
        }
        assert "SM1" not in json.dumps(occurrence.model_dump(mode="json"))


def test_a_failed_send_is_heard_with_its_reason_and_a_blocked_or_deferred_contact_is_not() -> None:
    failed = ContactOutcome(
        campaign_id="cmp_1",
        contact_id="con_1",
        status=OutcomeStatus.SEND_FAILED,
        reason="provider_error",
        attempts=2,
        updated_at=AT,
    )
    (occurrence,) = occurrences(_record(_stored(failed)))
    assert occurrence.kind == "message.failed"
    assert occurrence.data["reason"] == "provider_error"
    assert occurrence.event_id == event_id_for(TENANT, "outcome", "cmp_1", "con_1", "2", "send_failed")
    for status in (OutcomeStatus.BLOCKED, OutcomeStatus.DEFERRED):
        quiet = failed.model_copy(update={"status": status, "reason": "suppressed"})
        assert occurrences(_record(_stored(quiet))) == []


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (DeliveryStatus.DELIVERED, "message.delivered"),
        (DeliveryStatus.UNDELIVERED, "message.failed"),
        (DeliveryStatus.FAILED, "message.failed"),
        (DeliveryStatus.SENT, None),
        (DeliveryStatus.QUEUED, None),
    ],
)
def test_a_delivery_status_is_heard_only_when_it_is_final_for_a_message(
    status: DeliveryStatus, kind: str | None
) -> None:
    delivery = Delivery(provider_ref="SM1", status=status, error_code="30003", updated_at=AT)
    heard = occurrences(_record(_stored(delivery), "MODIFY"))
    assert [o.kind for o in heard] == ([kind] if kind else [])
    if kind:
        assert heard[0].data == {
            "message_id": event_id_for(TENANT, "message", "SM1"),  # the id its message.sent carried
            "status": status.value,
            "error_code": "30003",
        }
        assert heard[0].event_id == event_id_for(TENANT, "delivery", "SM1", status.value)
        assert "SM1" not in json.dumps(heard[0].model_dump(mode="json"))


def test_removals_global_items_and_items_of_another_kind_give_nothing() -> None:
    outcome = ContactOutcome(
        campaign_id="cmp_1", contact_id="con_1", status=OutcomeStatus.SENT, updated_at=AT
    )
    assert occurrences(_record(_stored(outcome), "REMOVE")) == []
    assert (
        read({"eventName": "INSERT", "dynamodb": {"NewImage": {"pk": {"S": "USER#usr_1"}, "sk": {"S": "x"}}}})
        is None
    )
    wrong_kind = {**_stored(outcome), "kind": {"S": "Delivery"}}
    assert occurrences(_record(wrong_kind)) == []
    assert occurrences({"eventName": "INSERT", "dynamodb": {"Keys": {}}}) == []  # KEYS_ONLY: nothing to read


def test_a_sheet_write_announces_only_the_sends_it_added_with_the_ids_an_item_would_get() -> None:
    """A sheet's stream record is heard as one ``message.sent`` per mark its write added (``w`` equal
    to its ``written``), each the very occurrence an item of that first send would give; the marks of
    earlier writes were heard when they were written."""
    marks = {
        "con_ab2": SentMark(ref="SM2", at=AT, w="w_earlier"),
        "con_ab3": SentMark(ref="SM3", at=AT, dnc="clear", w="w_this"),
        "con_ab4": SentMark(ref=None, at=AT, w="w_this"),
    }
    sheet = OutcomeSheet(campaign_id="cmp_1", prefix="con_ab", sent=marks, written="w_this")
    as_items = [
        ContactOutcome(
            campaign_id="cmp_1",
            contact_id=cid,
            status=OutcomeStatus.SENT,
            attempts=1,
            provider_ref=marks[cid].ref,
            updated_at=AT,
            dnc_status=marks[cid].dnc,
        )
        for cid in ("con_ab3", "con_ab4")
    ]
    expected = [o for item in as_items for o in occurrences(_record(_stored(item)))]
    assert [o.event_id for o in expected] == [
        event_id_for(TENANT, "outcome", "cmp_1", cid, "1", "sent") for cid in ("con_ab3", "con_ab4")
    ]
    for name in ("INSERT", "MODIFY"):
        heard = occurrences(_record(_stored(sheet), name))
        assert heard == expected
        assert all(o.kind == "message.sent" for o in heard)
    assert occurrences(_record(_stored(sheet), "REMOVE")) == []
    assert occurrences(_record({**_stored(sheet), "kind": {"S": "ContactOutcome"}})) == []
    assert occurrences(_record(_stored(sheet.model_copy(update={"written": "w_later"})))) == []
