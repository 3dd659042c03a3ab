"""Members' replies follow the message-body window (``message_bodies_days``, default 90) as inbound
texts do: the purge job blanks a reply's text once it falls due and keeps the record, so the
thread still shows that a reply went out. DynamoDB Local and moto, with a clock the test sets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from gatehouse.audit import list_entries
from gatehouse.compliance.state_rules import Channel
from gatehouse.contacts.keys import contact_id_for
from gatehouse.conversations import thread
from gatehouse.conversations.records import ReplyMessage
from gatehouse.jobs.retention_purge import run_retention_purge
from gatehouse.tenancy import TenantScope
from tests.conftest import TenantFixture
from tests.support.conversations import replied

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def replies(scope: TenantScope, contact_id: str) -> dict[str, str]:
    return {r.reply_id: r.body for r in scope.query(ReplyMessage, prefix=f"{contact_id}#", limit=50).items}


def test_reply_texts_past_the_body_window_are_blanked_and_the_replies_kept(tenant_a: TenantFixture) -> None:
    scope = tenant_a.scope
    contact_id = contact_id_for(tenant_a.tenant_id, "+12025550188")
    replied(scope, contact_id, "rpl_old", NOW - timedelta(days=100))  # past the 90-day body window
    replied(scope, contact_id, "rpl_new", NOW - timedelta(days=10))

    run = run_retention_purge(at(NOW))

    assert run.of(tenant_a.tenant_id).counts["reply_bodies"] == 1
    assert replies(scope, contact_id) == {"rpl_old": "", "rpl_new": "answer rpl_new"}
    shown = thread.thread(scope, contact_id, Channel.SMS)
    assert [(i.reply_id, i.body) for i in shown.items] == [("rpl_new", "answer rpl_new"), ("rpl_old", None)]
    [entry] = [
        e.changes.after or {} for e in list_entries(tenant_a.tenant_id, action="retention.purged").items
    ]
    assert entry["reply_bodies"] == 1

    again = run_retention_purge(at(NOW))  # a blanked reply has left the index: nothing more to do
    assert sum(again.of(tenant_a.tenant_id).counts.values()) == 0
    assert replies(scope, contact_id) == {"rpl_old": "", "rpl_new": "answer rpl_new"}


def test_a_tenants_shorter_body_window_blanks_its_replies_sooner(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:
    from gatehouse.identity.permissions import Role

    body = {"message_bodies_days": 7, "inbound_messages_days": 14}
    assert api("PUT", "/settings/retention", body=body, token=tenant_a.keys[Role.ADMIN]).status == 200
    ids = {}
    for tenant in (tenant_a, tenant_b):
        ids[tenant.tenant_id] = contact_id_for(tenant.tenant_id, "+12025550189")
        replied(tenant.scope, ids[tenant.tenant_id], "rpl_20", NOW - timedelta(days=20))

    run_retention_purge(at(NOW))

    assert replies(tenant_a.scope, ids[tenant_a.tenant_id]) == {"rpl_20": ""}
    assert replies(tenant_b.scope, ids[tenant_b.tenant_id]) == {"rpl_20": "answer rpl_20"}
