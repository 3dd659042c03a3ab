"""Erasure and purge: after an erasure the number is nowhere but in the keyed suppression hash.

The erasure test reads every table item by item (a Scan is fine in a test) and looks
for the number in every form a person might find it by, and for the person's name.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest

from gatehouse.clock import utc_now
from gatehouse.config import get_settings
from gatehouse.contacts.keys import contact_id_for
from gatehouse.contacts.records import Contact
from gatehouse.conversations import listing
from gatehouse.conversations.records import Conversation
from gatehouse.identity.permissions import Role
from gatehouse.jobs.retention_purge import run_retention_purge
from gatehouse.suppression import is_suppressed
from gatehouse.webhooks.inbound_sms import InboundMessage, InboundSms, receive
from tests.conftest import TenantFixture
from tests.support.conversations import replied

PERSON = {
    "phone": "(415) 555-0132",
    "first_name": "Zebulon",
    "last_name": "Quackenbush",
    "email": "zeb@quack.example",
    "state": "CA",
    "tags": ["vip"],
}
FORMS = (
    "+14155550132",
    "4155550132",
    "415-555-0132",
    "5550132",
    "Zebulon",
    "Quackenbush",
    "zeb@quack.example",
)


def every_item() -> str:
    client = boto3.client("dynamodb")
    settings = get_settings()
    dumped = []
    for table in (settings.main_table, settings.audit_table, settings.idempotency_table):
        for page in client.get_paginator("scan").paginate(TableName=table):
            dumped.extend(json.dumps(item) for item in page["Items"])
    return "\n".join(dumped)


def test_erasure_leaves_only_the_keyed_suppression_hash(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    token = tenant_a.keys[Role.OWNER]
    created = api("POST", "/contacts", body=PERSON, token=token).json()
    contact_id = created["contact_id"]
    api("PATCH", f"/contacts/{contact_id}", body={"tags": ["vip", "west"]}, token=token)
    person = api("GET", f"/contacts/{contact_id}/data", token=token)
    assert person.status == 200
    assert person.json()["contact"]["phone"] == "+14155550132"
    assert any(form in every_item() for form in FORMS)  # the check below can see the data

    erased = api("POST", f"/contacts/{contact_id}/erase", token=tenant_a.keys[Role.ADMIN])
    assert erased.status == 200, erased.body

    stored = every_item()
    assert [form for form in FORMS if form in stored] == []
    assert is_suppressed(tenant_a.scope, "+14155550132")  # never contacted again
    assert api("GET", f"/contacts/{contact_id}", token=token).status == 404
    again = api("POST", "/contacts", body=PERSON, token=token).json()
    assert again["suppressed"] is True  # a re-import of the person is blocked at intake
    assert "contact.erased" in stored


def test_only_owners_and_admins_erase(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    contact_id = api("POST", "/contacts", body=PERSON, token=tenant_a.keys[Role.OWNER]).json()["contact_id"]
    refused = api("POST", f"/contacts/{contact_id}/erase", token=tenant_a.keys[Role.MEMBER])
    assert refused.status == 403
    assert tenant_a.scope.get(Contact, contact_id) is not None


def test_soft_deleted_contacts_are_purged_after_the_grace_period(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tenant_a.keys[Role.OWNER]
    old = api("POST", "/contacts", body=PERSON, token=token).json()["contact_id"]
    kept = api("POST", "/contacts", body={**PERSON, "phone": "+13125550143"}, token=token).json()[
        "contact_id"
    ]
    api("DELETE", f"/contacts/{old}", token=token)
    api("DELETE", f"/contacts/{kept}", token=token)
    stale = tenant_a.scope.require(Contact, old)
    tenant_a.scope.save(stale.model_copy(update={"deleted_at": utc_now() - timedelta(days=31)}))

    assert run_retention_purge().of(tenant_a.tenant_id).counts["deleted_contacts"] == 1
    assert tenant_a.scope.get(Contact, old) is None
    assert tenant_a.scope.get(Contact, kept) is not None  # still inside its grace period
    assert run_retention_purge().of(tenant_a.tenant_id).counts["deleted_contacts"] == 0


def text_in(tenant: TenantFixture, sid: str, sender: str = "+14155550132") -> None:
    receive(tenant.scope, InboundSms(message_sid=sid, sender=sender, body=f"hello {sid}"), request_id=sid)


def exported(api, token: str, contact_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Every page of the person's export, following next_cursor until it is null."""
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        answer = api(
            "GET", f"/contacts/{contact_id}/data", token=token, query={"cursor": cursor} if cursor else None
        )
        assert answer.status == 200, answer.body
        pages.append(answer.json())
        cursor = pages[-1]["next_cursor"]
        if cursor is None:
            return pages


def test_the_export_holds_the_replies_sent_to_the_person_and_their_conversation(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    token = tenant_a.keys[Role.OWNER]
    contact_id = api("POST", "/contacts", body=PERSON, token=token).json()["contact_id"]
    text_in(tenant_a, "SMfirst")
    replied(tenant_a.scope, contact_id, "rpl_first", utc_now())

    [page] = exported(api, token, contact_id)

    assert page["contact"]["phone"] == "+14155550132"
    assert [m["body"] for m in page["messages"]] == ["hello SMfirst"]
    assert [(r["reply_id"], r["body"]) for r in page["replies"]] == [("rpl_first", "answer rpl_first")]
    [conversation] = page["conversations"]
    assert (conversation["conversation_id"], conversation["unread"]) == (f"{contact_id}.sms", 1)


def test_a_person_with_more_than_a_thousand_texts_gets_every_one_across_the_pages(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture
) -> None:
    token = tenant_a.keys[Role.OWNER]
    contact_id = api("POST", "/contacts", body=PERSON, token=token).json()["contact_id"]
    at = utc_now()
    sids = {f"SM{n:05d}" for n in range(1205)}
    with tenant_a.scope.batch_writer() as batch:  # written through the door, as the webhook writes them
        for sid in sids:
            batch.save(
                InboundMessage(contact_id=contact_id, message_sid=sid, body=f"hello {sid}", received_at=at)
            )

    pages = exported(api, token, contact_id)

    got = [m["message_sid"] for page in pages for m in page["messages"]]
    assert sorted(got) == sorted(sids)  # all of them, each once
    assert len(pages) > 1
    assert pages[0]["contact"] is not None
    assert all(page["contact"] is None for page in pages[1:])  # the person's own records come once
    forged = api("GET", f"/contacts/{contact_id}/data", token=token, query={"cursor": "messages.forged"})
    assert forged.status == 400


def test_a_deleted_contact_is_exported_until_the_purge(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    token = tenant_a.keys[Role.OWNER]
    contact_id = api("POST", "/contacts", body=PERSON, token=token).json()["contact_id"]
    text_in(tenant_a, "SMbefore")
    assert api("DELETE", f"/contacts/{contact_id}", token=token).status == 200
    assert api("GET", f"/contacts/{contact_id}", token=token).status == 404  # hidden from the contact list

    [page] = exported(api, token, contact_id)
    assert page["contact"]["deleted_at"] is not None
    assert [m["message_sid"] for m in page["messages"]] == ["SMbefore"]

    stale = tenant_a.scope.require(Contact, contact_id)
    tenant_a.scope.save(stale.model_copy(update={"deleted_at": utc_now() - timedelta(days=31)}))
    run_retention_purge()
    assert api("GET", f"/contacts/{contact_id}/data", token=token).status == 404  # nothing is held any more


def test_a_person_who_only_texted_in_is_exported_then_erased_and_stays_suppressed(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    token = tenant_a.keys[Role.OWNER]
    stranger = "+14155550177"
    person = contact_id_for(tenant_a.tenant_id, stranger)  # the id the webhook keeps their texts under
    text_in(tenant_a, "SMstranger", sender=stranger)
    replied(tenant_a.scope, person, "rpl_stranger", utc_now())
    assert api("GET", f"/contacts/{person}", token=token).status == 404  # not a contact

    [page] = exported(api, token, person)
    assert page["contact"] is None
    assert [m["body"] for m in page["messages"]] == ["hello SMstranger"]
    assert [r["body"] for r in page["replies"]] == ["answer rpl_stranger"]
    assert [c["conversation_id"] for c in page["conversations"]] == [f"{person}.sms"]

    path = f"/contacts/{person}/erase"
    unnamed = api("POST", path, token=token)  # nothing else holds the number: it must be given
    assert unnamed.status == 400
    assert unnamed.json()["error"]["details"][0]["field"] == "number"
    assert api("POST", path, body={"number": "+14155550178"}, token=token).status == 400  # not theirs
    assert "hello SMstranger" in every_item()  # a refused erasure changes nothing

    erased = api("POST", path, body={"number": stranger}, token=token)
    assert erased.status == 200, erased.body

    stored = every_item()
    assert "hello SMstranger" not in stored
    assert "answer rpl_stranger" not in stored
    assert tenant_a.scope.get(Conversation, f"{person}.sms") is None
    assert listing.counts(tenant_a.scope).unread == 0
    assert is_suppressed(tenant_a.scope, stranger)  # kept as the keyed hash only
    assert stranger not in stored
    assert api("GET", f"/contacts/{person}/data", token=token).status == 404
    assert api("POST", path, body={"number": stranger}, token=token).status == 404
