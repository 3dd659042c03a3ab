"""Seeing calls over HTTP: a contact's and a campaign's calls with outcomes, the outcome filter,
paging with sealed cursors, a transcript by turns, CSV cells neutralised, and the report's call counts."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from gatehouse.clock import utc_now
from gatehouse.contacts.keys import contact_id_for
from gatehouse.dispatch.outcomes import ContactOutcome, OutcomeStatus
from gatehouse.identity.permissions import Role
from gatehouse.webhooks.voice_events import CallEvent, record_event
from tests.conftest import TenantFixture
from tests.isolation.cases import spare_campaign

NUMBER = "+13125550188"

# (call id, what the vendor said) -> the outcome Gatehouse reads
CALLS: dict[str, tuple[dict[str, Any], str]] = {
    "call_a1": ({"call_status": "ended", "disconnection_reason": "user_hangup"}, "answered"),
    "call_a2": ({"call_status": "ended", "disconnection_reason": "voicemail_reached"}, "voicemail"),
    "call_a3": ({"call_status": "not_connected", "disconnection_reason": "dial_no_answer"}, "no_answer"),
    "call_a4": ({"call_status": "not_connected", "disconnection_reason": "dial_busy"}, "busy"),
    "call_a5": ({"call_status": "error", "disconnection_reason": "error_llm_websocket_open"}, "failed"),
    "call_a6": ({"call_status": "ended", "call_analysis": {"do_not_call": True}}, "revoked"),
}


def place(tenant: TenantFixture, campaign_id: str, call_id: str, number: str = NUMBER, **call: Any) -> None:
    body = {
        "call_id": call_id,
        "to_number": number,
        "metadata": {"campaign_id": campaign_id, "contact_id": contact_id_for(tenant.tenant_id, number)},
        **call,
    }
    record_event(
        tenant.scope, CallEvent.model_validate({"event": "call_analyzed", "call": body}), request_id=call_id
    )


@pytest.fixture
def campaign(tenant_a: TenantFixture) -> str:
    campaign_id = spare_campaign(tenant_a)
    for call_id, (said, _) in CALLS.items():
        place(tenant_a, campaign_id, call_id, **said)
    return campaign_id


def owner(t: TenantFixture) -> dict[str, str]:
    return {"token": t.keys[Role.OWNER]}


def test_a_campaigns_calls_show_what_each_call_came_to(api, tenant_a: TenantFixture, campaign: str) -> None:  # type: ignore[no-untyped-def]
    reply = api("GET", f"/campaigns/{campaign}/calls", **owner(tenant_a))

    assert reply.status == 200, reply.body
    assert {i["call_id"]: i["outcome"] for i in reply.json()["items"]} == {
        k: v for k, (_, v) in CALLS.items()
    }


@pytest.mark.parametrize("outcome", ["voicemail", "revoked", "busy"])
def test_the_outcome_filter_keeps_only_those_calls(
    api, tenant_a: TenantFixture, campaign: str, outcome: str
) -> None:  # type: ignore[no-untyped-def]
    contact_id = contact_id_for(tenant_a.tenant_id, NUMBER)
    for path in (f"/campaigns/{campaign}/calls", f"/contacts/{contact_id}/calls"):
        reply = api("GET", path, query={"outcome": outcome}, **owner(tenant_a))
        assert reply.status == 200, reply.body
        assert [i["outcome"] for i in reply.json()["items"]] == [outcome]


def test_an_unknown_outcome_is_refused_in_the_one_error_shape(
    api, tenant_a: TenantFixture, campaign: str
) -> None:  # type: ignore[no-untyped-def]
    reply = api("GET", f"/campaigns/{campaign}/calls", query={"outcome": "maybe"}, **owner(tenant_a))
    assert reply.status == 422
    assert reply.json()["error"]["details"][0]["field"] == "query.outcome"


def test_pages_follow_the_sealed_cursor_and_a_forged_one_is_refused(
    api, tenant_a: TenantFixture, campaign: str
) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(4):
        query = {"limit": "4", **({"cursor": cursor} if cursor else {})}
        page = api("GET", f"/campaigns/{campaign}/calls", query=query, **owner(tenant_a)).json()
        seen += [i["call_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(CALLS)
    forged = api("GET", f"/campaigns/{campaign}/calls", query={"cursor": "abc"}, **owner(tenant_a))
    assert forged.status == 400


def test_a_transcript_is_read_a_page_of_turns_at_a_time(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    campaign_id = spare_campaign(tenant_a)
    words = "\n".join(f"{'Agent' if i % 2 == 0 else 'User'}: line {i}" for i in range(7))
    place(tenant_a, campaign_id, "call_long", call_status="ended", transcript=words)
    place(tenant_a, campaign_id, "call_short", call_status="ended", transcript=words)
    path = f"/contacts/{contact_id_for(tenant_a.tenant_id, NUMBER)}/calls/call_long/transcript"

    first = api("GET", path, query={"limit": "5"}, **owner(tenant_a)).json()
    rest = api("GET", path, query={"limit": "5", "cursor": first["next_cursor"]}, **owner(tenant_a)).json()

    assert first["total_turns"] == 7
    assert [t["text"] for t in first["turns"] + rest["turns"]] == [f"line {i}" for i in range(7)]
    assert [t["speaker"] for t in rest["turns"]] == ["user", "agent"]
    assert rest["next_cursor"] is None
    other = f"/contacts/{contact_id_for(tenant_a.tenant_id, NUMBER)}/calls/call_short/transcript"
    reused = api("GET", other, query={"cursor": first["next_cursor"]}, **owner(tenant_a))
    assert reused.status == 400  # a cursor is bound to its call


def test_the_csv_export_neutralises_formulas_in_every_cell(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    campaign_id = spare_campaign(tenant_a)
    place(
        tenant_a, campaign_id, "call_csv", call_status="ended",
        transcript="User: =HYPERLINK(\"http://evil\")", call_analysis={"call_summary": "+1 and more"},
    )  # fmt: skip

    reply = api("GET", f"/campaigns/{campaign_id}/calls/export", token=tenant_a.keys[Role.ADMIN])

    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"].startswith("text/csv")
    (row,) = list(csv.DictReader(io.StringIO(reply.body)))
    assert row["summary"] == "'+1 and more"
    assert row["transcript"] == 'User: =HYPERLINK("http://evil")'  # does not start with a formula sign
    assert row["outcome"] == "answered"


def test_the_csv_export_is_for_owners_and_admins(api, tenant_a: TenantFixture, campaign: str) -> None:  # type: ignore[no-untyped-def]
    reply = api("GET", f"/campaigns/{campaign}/calls/export", token=tenant_a.keys[Role.MEMBER])
    assert reply.status == 403


def test_viewers_do_not_see_calls(api, tenant_a: TenantFixture, campaign: str) -> None:  # type: ignore[no-untyped-def]
    reply = api("GET", f"/campaigns/{campaign}/calls", token=tenant_a.keys[Role.VIEWER])
    assert reply.status == 403


def test_the_campaign_report_counts_calls_by_outcome_and_the_revocations_caught(
    api, tenant_a: TenantFixture, campaign: str
) -> None:  # type: ignore[no-untyped-def]
    other = "+13125550189"
    place(
        tenant_a,
        campaign,
        "call_b1",
        number=other,
        call_status="ended",
        disconnection_reason="voicemail_reached",
    )
    for number, call_id in ((NUMBER, "call_a6"), (other, "call_b1")):  # one outcome per (campaign, contact)
        tenant_a.scope.save(
            ContactOutcome(
                campaign_id=campaign,
                contact_id=contact_id_for(tenant_a.tenant_id, number),
                status=OutcomeStatus.SENT,
                provider_ref=call_id,
                updated_at=utc_now(),
            )
        )

    counts = api("GET", f"/campaigns/{campaign}/report", **owner(tenant_a)).json()["counts"]

    assert (counts["call:revoked"], counts["call:voicemail"]) == (1, 1)
    assert counts["sent"] == 2
