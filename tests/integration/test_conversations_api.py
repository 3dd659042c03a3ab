"""The inbox over the API: the list and its filters, counts, a thread, read marks, assignment, read counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gatehouse import audit
from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import CampaignSpec
from gatehouse.contacts.keys import contact_id_for
from gatehouse.conversations.reads import AUDIT_ACTION
from gatehouse.dispatch.claims import AttemptLedger, ClaimMark
from gatehouse.dispatch.outcomes import ContactOutcome, OutcomeStatus
from gatehouse.identity.caller import operator
from gatehouse.identity.permissions import Role
from gatehouse.jobs.conversation_reads import run_conversation_reads
from gatehouse.webhooks.inbound_sms import InboundSms, receive
from tests.conftest import TenantFixture
from tests.isolation.cases import CAMPAIGN, session_headers

ASKS = "+14155550131"
STOPS = "+14155550132"
DOUBTS = "+14155550133"


def _text(tenant: TenantFixture, number: str, body: str, sid: str) -> str:
    receive(tenant.scope, InboundSms(sid, number, body, tenant_number="+15005550006"), request_id="t")
    return f"{contact_id_for(tenant.tenant_id, number)}.sms"


def _ids(reply: Any) -> list[str]:
    assert reply.status == 200, reply.body
    return [item["conversation_id"] for item in reply.json()["items"]]


def _inbox(tenant: TenantFixture) -> dict[str, str]:
    return {
        "asks": _text(tenant, ASKS, "Can you call me tomorrow at 10?", "SM" + "1" * 32),
        "stops": _text(tenant, STOPS, "STOP", "SM" + "2" * 32),
        "doubts": _text(tenant, DOUBTS, "who gave you this number", "SM" + "3" * 32),
    }


def test_the_list_is_newest_first_and_filters(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ids = _inbox(tenant_a)
    key = tenant_a.keys[Role.MEMBER]
    assert _ids(api("GET", "/conversations", token=key)) == [ids["doubts"], ids["stops"], ids["asks"]]
    assert _ids(api("GET", "/conversations", token=key, query={"needs_reply": "true"})) == [ids["asks"]]
    assert _ids(api("GET", "/conversations", token=key, query={"held": "true"})) == [ids["doubts"]]
    assert _ids(api("GET", "/conversations", token=key, query={"opted_out": "true"})) == [ids["stops"]]
    assert _ids(api("GET", "/conversations", token=key, query={"assigned": "none"})) == [
        ids["doubts"],
        ids["stops"],
        ids["asks"],
    ]


def test_pages_follow_the_cursor_without_gaps(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ids = _inbox(tenant_a)
    key = tenant_a.keys[Role.ADMIN]
    first = api("GET", "/conversations", token=key, query={"limit": "2"})
    second = api(
        "GET", "/conversations", token=key, query={"limit": "2", "cursor": first.json()["next_cursor"]}
    )
    assert _ids(first) + _ids(second) == [ids["doubts"], ids["stops"], ids["asks"]]
    bad = api("GET", "/conversations", token=key, query={"cursor": "rest.nonsense"})
    assert bad.status == 400, bad.body


def test_a_campaign_filter_and_the_counts_follow_the_last_campaign(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    campaign = lifecycle.create(
        tenant_a.scope,
        operator(tenant_a.tenant_id, "t", request_id="t"),
        CampaignSpec.model_validate(CAMPAIGN),
    )
    contact_id = contact_id_for(tenant_a.tenant_id, ASKS)
    sent_at = datetime.now(UTC) - timedelta(hours=1)
    tenant_a.scope.save(
        AttemptLedger(
            contact_id=contact_id, claims={f"{campaign.campaign_id}#01": ClaimMark(run_id="r", at=sent_at)}
        )
    )
    tenant_a.scope.save(
        ContactOutcome(
            campaign_id=campaign.campaign_id,
            contact_id=contact_id,
            status=OutcomeStatus.SENT,
            attempts=1,
            provider_ref="SM" + "f" * 32,
            updated_at=sent_at,
        )
    )
    ids = _inbox(tenant_a)
    key = tenant_a.keys[Role.MEMBER]
    only = api("GET", "/conversations", token=key, query={"campaign_id": campaign.campaign_id})
    assert _ids(only) == [ids["asks"]]
    counts = api("GET", "/conversations/counts", token=key).json()
    assert counts == {"unread": 3, "by_campaign": {campaign.campaign_id: 1}}

    thread = api("GET", f"/conversations/{ids['asks']}/messages", token=key)
    assert thread.status == 200, thread.body
    kinds = [(item["kind"], item.get("campaign_id")) for item in thread.json()["items"]]
    assert kinds == [("inbound", None), ("campaign", campaign.campaign_id)]
    assert thread.json()["items"][0]["body"] == "Can you call me tomorrow at 10?"

    assert api("POST", f"/conversations/{ids['asks']}/read", token=key).json()["unread"] == 0
    assert api("GET", "/conversations/counts", token=key).json() == {"unread": 2, "by_campaign": {}}


def test_the_thread_shows_the_opt_out_and_the_hold(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ids = _inbox(tenant_a)
    key = tenant_a.keys[Role.MEMBER]
    stopped = api("GET", f"/conversations/{ids['stops']}/messages", token=key).json()["items"]
    assert [(i["kind"], i["source"]) for i in stopped] == [("opted_out", "sms_stop")]
    held = api("GET", f"/conversations/{ids['doubts']}/messages", token=key).json()["items"]
    assert sorted(i["kind"] for i in held) == ["held", "inbound"]
    one = api("GET", f"/conversations/{ids['doubts']}", token=key).json()
    assert (one["contact_id"], one["held"], one["unread"]) == (ids["doubts"].split(".")[0], True, 1)
    assert api("GET", "/conversations/con_" + "a" * 26 + ".sms", token=key).status == 404


def test_viewers_read_no_conversations(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ids = _inbox(tenant_a)
    for path in ("/conversations", "/conversations/counts", f"/conversations/{ids['asks']}/messages"):
        assert api("GET", path, token=tenant_a.keys[Role.VIEWER]).status == 403


def _assign(api, tenant: TenantFixture, role: Role, conversation: str, user_id: str | None) -> Any:  # type: ignore[no-untyped-def]
    headers = session_headers(tenant.users[role], tenant.tenant_id)
    return api("PUT", f"/conversations/{conversation}/assignee", headers=headers, body={"user_id": user_id})


def test_members_take_conversations_admins_give_them_and_each_is_audited(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    ids = _inbox(tenant_a)
    member, admin = tenant_a.users[Role.MEMBER], tenant_a.users[Role.ADMIN]
    taken = _assign(api, tenant_a, Role.MEMBER, ids["asks"], member)
    assert taken.status == 200, taken.body
    assert taken.json()["assigned_to"] == member
    refused = _assign(api, tenant_a, Role.MEMBER, ids["stops"], admin)
    assert refused.status == 403, refused.body
    given = _assign(api, tenant_a, Role.ADMIN, ids["stops"], member)
    assert given.status == 200, given.body
    to_viewer = _assign(api, tenant_a, Role.ADMIN, ids["doubts"], tenant_a.users[Role.VIEWER])
    assert to_viewer.status == 400, to_viewer.body
    stranger = _assign(api, tenant_a, Role.ADMIN, ids["doubts"], "usr_" + "b" * 26)
    assert stranger.status == 400, stranger.body

    listed = audit.list_entries(tenant_a.tenant_id, limit=100).items
    entries = sorted((e for e in listed if e.action == "conversation.assigned"), key=lambda e: e.seq)
    assert [e.changes.after["assigned_to"] for e in entries if e.changes.after] == [member, member]
    assert [e.actor.label for e in entries] == [f"user:{member}", f"user:{admin}"]

    headers = session_headers(member, tenant_a.tenant_id)
    mine = api("GET", "/conversations", headers=headers, query={"assigned": "me"})
    assert sorted(_ids(mine)) == sorted([ids["asks"], ids["stops"]])
    # Unfiltered, the member's own come first, then the rest, newest first in each part.
    assert _ids(api("GET", "/conversations", headers=headers)) == [ids["stops"], ids["asks"], ids["doubts"]]
    paged = api("GET", "/conversations", headers=headers, query={"limit": "1"})
    rest = api(
        "GET", "/conversations", headers=headers, query={"limit": "2", "cursor": paged.json()["next_cursor"]}
    )
    assert _ids(paged) + _ids(rest) == [ids["stops"], ids["asks"], ids["doubts"]]
    given_back = _assign(api, tenant_a, Role.MEMBER, ids["asks"], None)
    assert given_back.json()["assigned_to"] is None


def test_reads_reach_the_audit_only_as_one_count_per_person_per_day(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ids = _inbox(tenant_a)
    key = tenant_a.keys[Role.MEMBER]
    for _ in range(3):
        assert api("GET", "/conversations", token=key).status == 200
    for _ in range(2):
        assert api("GET", f"/conversations/{ids['asks']}/messages", token=key).status == 200

    def counted() -> list[audit.AuditEntry]:
        return [
            e for e in audit.list_entries(tenant_a.tenant_id, limit=200).items if e.action == AUDIT_ACTION
        ]

    assert counted() == []
    run_conversation_reads()  # the same day: nothing has ended yet
    assert counted() == []

    tomorrow = datetime.now(UTC) + timedelta(days=1)
    run_conversation_reads(clock=lambda: tomorrow)
    [entry] = counted()
    assert entry.changes.after is not None
    assert (entry.changes.after["count"], entry.changes.after["day"]) == (
        5,
        datetime.now(UTC).date().isoformat(),
    )
    assert entry.changes.after["reader"].startswith("api_key:")
    run_conversation_reads(clock=lambda: tomorrow)  # run again: the day is counted once
    assert len(counted()) == 1


def test_an_erasure_takes_the_conversation_its_replies_and_its_unread(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    from gatehouse.compliance.state_rules import Channel
    from gatehouse.contacts.records import ContactInput
    from gatehouse.contacts.service import new_contact
    from gatehouse.conversations.records import ReplyMessage, ReplyStatus

    request = ContactInput(phone=ASKS, first_name="Asker", state="CA")
    contact = new_contact(
        tenant_a.scope, request, actor="operator:t", now=datetime.now(UTC), suppressed=False
    )
    tenant_a.scope.save(contact)
    ids = _inbox(tenant_a)
    tenant_a.scope.save(
        ReplyMessage(
            contact_id=contact.contact_id,
            channel=Channel.SMS,
            reply_id="rpl_1",
            body="Sure, 10 works",
            sent_by=f"user:{tenant_a.users[Role.MEMBER]}",
            sent_at=datetime.now(UTC),
            status=ReplyStatus.SENT,
        )
    )
    key = tenant_a.keys[Role.OWNER]
    assert api("POST", f"/contacts/{contact.contact_id}/erase", token=key).status == 200
    assert api("GET", f"/conversations/{ids['asks']}", token=key).status == 404
    assert api("GET", "/conversations/counts", token=key).json()["unread"] == 2
    assert tenant_a.scope.query(ReplyMessage, prefix=f"{contact.contact_id}#").items == []
