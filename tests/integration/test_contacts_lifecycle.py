"""Erasure and purge: after an erasure the number is nowhere but in the keyed suppression hash.

The erasure test reads every table item by item (a Scan is fine in a test) and looks
for the number in every form a person might find it by, and for the person's name.
"""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from gatehouse.clock import utc_now
from gatehouse.config import get_settings
from gatehouse.contacts.records import Contact
from gatehouse.identity.permissions import Role
from gatehouse.jobs.retention_purge import run_retention_purge
from gatehouse.suppression import is_suppressed
from tests.conftest import TenantFixture

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
