"""A reply that may revoke consent holds its number until an owner or admin decides; only START lifts a STOP.

47 CFR 64.1200(a)(10) (FCC 24-24): revocation by any reasonable means, honoured at once;
(a)(12): one confirmation, only for a revocation.
"""

from __future__ import annotations

from gatehouse import audit
from gatehouse.contacts.keys import contact_id_for
from gatehouse.identity.caller import operator
from gatehouse.identity.permissions import Role
from gatehouse.suppression import SuppressionEntry, SuppressionSource, is_suppressed, number_key, suppress
from gatehouse.webhooks import inbound_sms
from tests.conftest import TenantFixture
from tests.support.webhooks import connected, twilio_event
from tests.support.webhooks import inbound_sms as sms_pairs

SENDER = "+14155550188"
DOUBTFUL = "who gave you my number?"


def sources(tenant: TenantFixture, e164: str) -> list[SuppressionSource] | None:
    entry = tenant.scope.get(SuppressionEntry, number_key(tenant.tenant_id, e164))
    return None if entry is None else entry.sources


def actions(tenant: TenantFixture) -> list[str]:
    return [e.action for e in audit.list_entries(tenant.tenant_id, limit=100).items]


def text(hooks, ref: str, sid: str, body: str, sender: str = SENDER):  # type: ignore[no-untyped-def]
    reply = hooks(twilio_event(ref, sms_pairs(sid, sender, body)))
    assert reply.status == 200, reply.body
    return reply


def test_a_doubtful_reply_holds_the_number_with_no_confirmation(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(a)(10), FCC 24-24: a doubtful reading fails closed; (a)(12): none revoked, no text."""
    ref = connected(tenant_a)
    reply = text(hooks, ref, "SM" + "1" * 32, DOUBTFUL)
    assert "<Message>" not in reply.body
    assert is_suppressed(tenant_a.scope, SENDER)  # every existing check keeps it out at once
    assert sources(tenant_a, SENDER) == [SuppressionSource.HELD_FOR_REVIEW]
    [kept] = inbound_sms.messages_of(tenant_a.scope, contact_id_for(tenant_a.tenant_id, SENDER))
    assert kept.body == DOUBTFUL
    replay = text(hooks, ref, "SM" + "1" * 32, DOUBTFUL)
    text(hooks, ref, "SM" + "2" * 32, "this is harassment")
    assert "<Message>" not in replay.body
    assert actions(tenant_a).count("suppression.held") == 1
    [held] = inbound_sms.held_texts(tenant_a.scope).items
    assert (held.texts, held.body) == (2, "this is harassment")


def test_the_review_list_shows_the_text_never_the_number(hooks, api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(a)(10), FCC 24-24: owners and admins read the held replies; the number stays hashed."""
    ref = connected(tenant_a)
    text(hooks, ref, "SM" + "3" * 32, DOUBTFUL)
    listed = api("GET", "/optout-reviews", token=tenant_a.keys[Role.ADMIN])
    assert listed.status == 200, listed.body
    [item] = listed.json()["items"]
    assert item["body"] == DOUBTFUL
    assert item["contact_id"] == contact_id_for(tenant_a.tenant_id, SENDER)
    assert item["ref"] == number_key(tenant_a.tenant_id, SENDER)[:16]
    assert SENDER not in listed.body
    assert SENDER[2:] not in listed.body
    assert api("GET", "/optout-reviews", token=tenant_a.keys[Role.MEMBER]).status == 403


def test_suppress_makes_the_hold_a_stop_that_only_start_lifts(hooks, api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(a)(10), FCC 24-24: a confirmed revocation stands until the person's explicit START."""
    ref = connected(tenant_a)
    text(hooks, ref, "SM" + "4" * 32, DOUBTFUL)
    start_while_held = text(hooks, ref, "SM" + "5" * 32, "START")
    assert "<Message>" not in start_while_held.body
    assert sources(tenant_a, SENDER) == [SuppressionSource.HELD_FOR_REVIEW]  # START never lifts a hold
    contact_id = contact_id_for(tenant_a.tenant_id, SENDER)
    decided = api("POST", f"/optout-reviews/{contact_id}/suppress", token=tenant_a.keys[Role.OWNER])
    assert decided.status == 200, decided.body
    assert decided.json()["sources"] == ["sms_stop"]
    assert sources(tenant_a, SENDER) == [SuppressionSource.SMS_STOP]
    assert inbound_sms.held_texts(tenant_a.scope).items == []
    assert "suppression.hold_confirmed" in actions(tenant_a)
    again = api("POST", f"/optout-reviews/{contact_id}/suppress", token=tenant_a.keys[Role.OWNER])
    assert again.status == 404
    for n, casual in enumerate(["yes", "Yes please", "ok", "sure"]):
        text(hooks, ref, f"SM{n:032d}", casual)
    assert is_suppressed(tenant_a.scope, SENDER)
    assert inbound_sms.OPT_IN_REPLY in text(hooks, ref, "SM" + "6" * 32, "START").body
    assert not is_suppressed(tenant_a.scope, SENDER)


def test_release_needs_a_reason_and_leaves_other_sources_standing(
    hooks, api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(a)(10), FCC 24-24: a release is a person's audited reading; other suppressions stand."""
    ref = connected(tenant_a)
    other = "+14155550189"
    ops = operator(tenant_a.tenant_id, "tests", request_id="tests")
    suppress(tenant_a.scope, ops, other, SuppressionSource.MANUAL)
    text(hooks, ref, "SM" + "7" * 32, DOUBTFUL)
    text(hooks, ref, "SM" + "8" * 32, "I'm blocking this number", sender=other)
    assert sources(tenant_a, other) == [SuppressionSource.MANUAL, SuppressionSource.HELD_FOR_REVIEW]
    admin = tenant_a.keys[Role.ADMIN]
    mine = contact_id_for(tenant_a.tenant_id, SENDER)
    path = f"/optout-reviews/{mine}/release"
    assert api("POST", path, token=admin, body={}).status == 422
    assert api("POST", path, token=admin, body={"reason": "call me at 415 555 0188"}).status == 400
    released = api("POST", path, token=admin, body={"reason": "asked who we are; not a revocation"})
    assert released.status == 200, released.body
    assert released.json()["sources"] == []
    assert not is_suppressed(tenant_a.scope, SENDER)
    theirs = contact_id_for(tenant_a.tenant_id, other)
    kept = api("POST", f"/optout-reviews/{theirs}/release", token=admin, body={"reason": "read on review"})
    assert kept.json()["sources"] == ["manual"]
    assert sources(tenant_a, other) == [SuppressionSource.MANUAL]
    releases = [
        e for e in audit.list_entries(tenant_a.tenant_id, limit=100).items if e.action.endswith("released")
    ]
    assert sorted(str(e.changes.after["reason"]) for e in releases if e.changes.after) == [
        "asked who we are; not a revocation",
        "read on review",
    ]


def test_a_yes_after_a_stop_never_lifts_it_and_start_lifts_only_a_stop(
    hooks, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(a)(10), FCC 24-24: a revocation stands until an explicit request; "yes" is none."""
    ref = connected(tenant_a)
    stop = text(hooks, ref, "SM" + "9" * 32, "Stop?? what is this")
    assert stop.body.count(inbound_sms.OPT_OUT_REPLY) == 1
    for n, casual in enumerate(["YES", "yes thanks", "Yes please", "ok", "sure"]):
        reply = text(hooks, ref, f"SM{100 + n:032d}", casual)
        assert "<Message>" not in reply.body
        assert sources(tenant_a, SENDER) == [SuppressionSource.SMS_STOP], casual
    assert inbound_sms.OPT_IN_REPLY in text(hooks, ref, "SM" + "a" * 32, "UNSTOP").body
    assert not is_suppressed(tenant_a.scope, SENDER)
