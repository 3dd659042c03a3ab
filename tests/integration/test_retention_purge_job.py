"""The retention purge job (moto) with a clock the test sets: what expires under the default
windows, one audit entry per run, a second run that changes nothing, a failing tenant, the
scheduler function's entry."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from gatehouse.audit import list_entries
from gatehouse.compliance.state_rules import Channel
from gatehouse.config import get_settings
from gatehouse.contacts import checks
from gatehouse.contacts.keys import contact_id_for
from gatehouse.contacts.records import Contact, ContactInput
from gatehouse.contacts.service import create, delete
from gatehouse.conversations import listing
from gatehouse.conversations.records import Conversation, ReplyMessage, conversation_id
from gatehouse.identity.caller import Caller, operator
from gatehouse.jobs.retention_purge import run_retention_purge
from gatehouse.jobs.tenants import JobFailed
from gatehouse.tenancy import TenantScope
from gatehouse.webhooks.inbound_sms import InboundMessage, InboundSms, receive
from gatehouse.webhooks.voice_events import CallEvent, CallRecord, record_event
from tests.conftest import TenantFixture
from tests.support.conversations import replied
from tests.support.events import FakeLambdaContext
from tests.support.functions import load_function_module

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SENDER = "+12025550143"


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def ops(t: TenantFixture) -> Caller:
    return operator(t.tenant_id, "fixtures", request_id="fixtures")


def text_in(scope: TenantScope, sid: str, days: int, sender: str = SENDER) -> str:
    receive(
        scope,
        InboundSms(message_sid=sid, sender=sender, body=f"hello {sid}"),
        request_id=sid,
        clock=at(ago(days)),
    )
    return sid


def call_in(scope: TenantScope, call_id: str, days: int, number: str = SENDER) -> str:
    event = CallEvent.model_validate(
        {
            "event": "call_analyzed",
            "call": {
                "call_id": call_id,
                "to_number": number,
                "transcript": "agent: hi; person: hello",
                "call_analysis": {"call_summary": "said hello"},
            },
        }
    )
    record_event(scope, event, request_id=call_id, clock=at(ago(days)))
    return call_id


def messages(scope: TenantScope) -> dict[str, InboundMessage]:
    return {m.message_sid: m for m in scope.query(InboundMessage, limit=100).items}


def calls(scope: TenantScope) -> dict[str, CallRecord]:
    return {c.call_id: c for c in scope.query(CallRecord, limit=100).items}


def purged_entries(tenant_id: str) -> list[dict[str, int]]:
    return [e.changes.after or {} for e in list_entries(tenant_id, action="retention.purged", limit=50).items]


def deleted_contact(t: TenantFixture, phone: str, days: int) -> str:
    contact_id = create(
        t.scope,
        ops(t),
        ContactInput(phone=phone, state="DC"),
        suppressed=checks.suppressed,
        scrub=checks.scrub,
        clock=at(ago(days + 1)),
    ).contact_id
    delete(t.scope, ops(t), contact_id, clock=at(ago(days)))
    return contact_id


def test_expired_data_goes_by_the_default_windows_and_a_second_run_changes_nothing(
    tenant_a: TenantFixture,
) -> None:
    scope = tenant_a.scope
    text_in(scope, "SMold", 400)  # past the record window (365 days): deleted
    text_in(scope, "SMmid", 100)  # past the body window (90 days): text blanked, record kept
    text_in(scope, "SMnew", 10)
    # Recordings (our S3 copies) and their window: tests/integration/test_call_recordings.py.
    call_in(scope, "call-old", 200)  # past the transcript window (180)
    call_in(scope, "call-mid", 100)  # inside it
    call_in(scope, "call-new", 10)
    gone = deleted_contact(tenant_a, "+13125550143", 40)  # past the 30-day grace
    text_in(scope, "SMgone", 41, sender="+13125550143")
    call_in(scope, "call-gone", 41, number="+13125550143")
    kept = deleted_contact(tenant_a, "+13125550144", 10)

    run = run_retention_purge(at(NOW))

    assert run.of(tenant_a.tenant_id).counts == {
        "message_bodies": 2,
        "reply_bodies": 0,
        "inbound_messages": 1,
        "call_recordings": 0,
        "transcripts": 1,
        "deleted_contacts": 1,
    }
    kept_messages = messages(scope)
    assert set(kept_messages) == {"SMmid", "SMnew"}
    assert (kept_messages["SMmid"].body, kept_messages["SMnew"].body) == ("", "hello SMnew")
    kept_calls = calls(scope)
    assert set(kept_calls) == {"call-old", "call-mid", "call-new"}
    assert (kept_calls["call-old"].transcript, kept_calls["call-old"].summary) == (None, None)
    assert kept_calls["call-mid"].transcript == "agent: hi; person: hello"
    assert scope.get(Contact, gone) is None
    assert scope.get(Contact, kept) is not None
    (entry,) = purged_entries(tenant_a.tenant_id)
    assert entry["deleted_contacts"] == 1
    assert entry["transcripts"] == 1

    before = (messages(scope), calls(scope))
    again = run_retention_purge(at(NOW))
    assert sum(again.of(tenant_a.tenant_id).counts.values()) == 0
    assert (messages(scope), calls(scope)) == before
    assert len(purged_entries(tenant_a.tenant_id)) == 1  # no audit entry for a run that removed nothing


def test_a_purged_contact_leaves_no_reply_conversation_or_unread_count_as_an_erasure_would(
    tenant_a: TenantFixture,
) -> None:
    scope = tenant_a.scope
    gone = deleted_contact(tenant_a, "+13125550143", 40)  # past the 30-day grace
    text_in(scope, "SMgone", 41, sender="+13125550143")
    replied(scope, gone, "rpl_gone", ago(41))
    text_in(scope, "SMkept", 41)  # another person's conversation, not deleted
    assert listing.counts(scope).unread == 2  # the check below can see both

    run = run_retention_purge(at(NOW))

    assert run.of(tenant_a.tenant_id).counts["deleted_contacts"] == 1
    assert scope.query(ReplyMessage, prefix=f"{gone}#", limit=10).items == []
    assert scope.get(Conversation, conversation_id(gone, Channel.SMS)) is None
    shown = listing.list_conversations(scope, ops(tenant_a), listing.InboxFilter()).items
    assert [c.contact_id for c in shown] == [contact_id_for(tenant_a.tenant_id, SENDER)]
    assert listing.counts(scope).unread == 1
    assert "SMgone" not in messages(scope)


def test_a_purge_cut_short_while_forgetting_a_contact_finishes_on_the_next_run(
    tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contact item is deleted last: a run that fails while removing what the person left
    keeps the contact on the deleted index, so the next run finds it and forgets the rest."""
    from gatehouse.retention import purge

    scope = tenant_a.scope
    gone = deleted_contact(tenant_a, "+13125550143", 40)
    text_in(scope, "SMgone", 41, sender="+13125550143")
    replied(scope, gone, "rpl_gone", ago(41))
    forget = purge.forget

    def throttled(s: TenantScope, contact_id: str) -> None:
        raise RuntimeError("ProvisionedThroughputExceededException")

    monkeypatch.setattr(purge, "forget", throttled)
    with pytest.raises(JobFailed):
        run_retention_purge(at(NOW))
    assert scope.get(Contact, gone) is not None  # still on the index for the next run

    monkeypatch.setattr(purge, "forget", forget)
    run = run_retention_purge(at(NOW))
    assert run.of(tenant_a.tenant_id).counts["deleted_contacts"] == 1
    assert scope.get(Contact, gone) is None
    assert scope.query(ReplyMessage, prefix=f"{gone}#", limit=10).items == []
    assert scope.get(Conversation, conversation_id(gone, Channel.SMS)) is None
    assert "SMgone" not in messages(scope)


def test_a_tenants_shorter_windows_apply_to_that_tenant_only(
    api,
    tenant_a: TenantFixture,
    tenant_b: TenantFixture,  # type: ignore[no-untyped-def]
) -> None:
    from gatehouse.identity.permissions import Role

    for tenant in (tenant_a, tenant_b):
        text_in(tenant.scope, "SM20", 20)
    body = {"message_bodies_days": 7, "inbound_messages_days": 14}
    assert api("PUT", "/settings/retention", body=body, token=tenant_a.keys[Role.ADMIN]).status == 200
    bad = api(
        "PUT",
        "/settings/retention",
        body={"message_bodies_days": 30, "inbound_messages_days": 7},
        token=tenant_a.keys[Role.ADMIN],
    )
    assert bad.status == 422
    assert api("PUT", "/settings/retention", body=body, token=tenant_a.keys[Role.MEMBER]).status == 403

    run_retention_purge(at(NOW))
    assert messages(tenant_a.scope) == {}
    assert set(messages(tenant_b.scope)) == {"SM20"}


def test_one_tenants_failure_leaves_the_others_purged_and_fails_the_run(
    tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:
    text_in(tenant_a.scope, "SMold", 400)
    text_in(tenant_b.scope, "SMold", 400)
    # Tenant B's stored policy is unreadable: its purge fails closed (removes nothing).
    boto3.client("dynamodb").put_item(
        TableName=get_settings().main_table,
        Item={
            "pk": {"S": f"{tenant_b.tenant_id}#RETENTION"},
            "sk": {"S": "POLICY"},
            "kind": {"S": "RetentionPolicy"},
            "version": {"N": "1"},
            "body": {"S": json.dumps({"windows": {"message_bodies_days": 0}})},
        },
    )

    with pytest.raises(JobFailed) as failed:
        run_retention_purge(at(NOW))

    assert failed.value.run.of(tenant_a.tenant_id).status == "done"
    assert failed.value.run.of(tenant_b.tenant_id).status == "failed"
    assert messages(tenant_a.scope) == {}
    assert set(messages(tenant_b.scope)) == {"SMold"}


def test_the_scheduler_function_runs_the_lifecycle_jobs_and_refuses_unknown_ones(
    tenant_a: TenantFixture,
) -> None:
    scheduler = load_function_module("SchedulerFunction")
    for job in ("retention_purge", "dnc_rescrub"):
        assert scheduler.lambda_handler({"job": job}, FakeLambdaContext()) == {"job": job, "status": "done"}
    with pytest.raises(ValueError, match="unknown scheduled job"):
        scheduler.lambda_handler({"job": "contacts_purge"}, FakeLambdaContext())
