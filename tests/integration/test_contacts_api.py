"""Contacts through the API and the intake function (moto): intake rules, imports, exports, no PII in audit.

Imports run as in AWS: the API parks the file in the import bucket and invokes the
intake function asynchronously (served in-process by the Lambda shim), which streams
the file, writes contacts in batches and records the per-row report.
"""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from boto3.dynamodb.conditions import Key

from gatehouse import audit
from gatehouse.aws_calls import AwsCall, AwsCallCounter
from gatehouse.config import get_settings
from gatehouse.contacts.records import Contact
from gatehouse.identity.caller import operator
from gatehouse.identity.permissions import Role
from gatehouse.suppression import SuppressionSource, suppress
from gatehouse.vault import Provider, connect
from tests.conftest import TenantFixture
from tests.support.consent import written

SMS_CONSENT = {
    "type": "express_written",
    "channels": ["sms"],
    "obtained_at": "2026-01-05T10:00:00Z",
    "source": "web_form",
    "source_url": "https://acme.example/signup",
    "wording": "I agree to receive marketing texts from Acme.",
    "ip": "203.0.113.9",
}
ANN = {
    "phone": "(415) 555-0132",
    "first_name": "Ann",
    "state": "CA",
    "tags": ["vip"],
    "consent": [SMS_CONSENT],
}

CSV_FILE = (
    "phone,first_name,state,tags,external_id,consent_type,consent_channels,consent_at,consent_wording\n"
    "4155550132,Ann,CA,vip,crm-1,express_written,sms;voice,2026-01-05T10:00:00Z,Yes to texts and calls\n"
    "(312) 555-0143,Bo,IL,,crm-2,,,,\n"
    "555-0100,Cy,CA,,crm-3,,,,\n"
    "2125550155,Di,ZZ,,crm-4,,,,\n"
    "4155550132,Ann again,CA,,crm-5,,,,\n"
    "3055550166,=HYPERLINK(1),FL,,crm-6,express,voice,2026-02-01T09:00:00-05:00,Call me\n"
)


SANDBOX_DNC = {"provider_name": "sandbox-dnc", "api_key": "sandbox-dnc-key-0123456789"}


@pytest.fixture(autouse=True)
def dnc_provider(request: pytest.FixtureRequest) -> None:
    """Tenant A scrubs through the sandbox DNC provider (numbers ending 0000 or 9999 are listed)."""
    if "tenant_a" in request.fixturenames and "no_dnc_provider" not in request.keywords:
        tenant = request.getfixturevalue("tenant_a")
        seeder = operator(tenant.tenant_id, "fixtures", request_id="fixtures")
        connect(tenant.scope, seeder, Provider.DNC, SANDBOX_DNC)


def owner(tenant: TenantFixture) -> str:
    return tenant.keys[Role.OWNER]


def wait_for_import(api, token: str, import_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    for _ in range(200):
        job = api("GET", f"/contacts/imports/{import_id}", token=token).json()
        if job["status"] in {"completed", "failed"}:
            return job  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def upload(api, token: str, text: str, **query: str):  # type: ignore[no-untyped-def]
    return api(
        "POST",
        "/contacts/imports",
        raw_body=text,
        token=token,
        headers={"Content-Type": "text/csv"},
        query=query or None,
    )


# ---------------------------------------------------------------- single contacts


def test_a_new_contact_gets_zones_and_per_channel_eligibility_with_reasons(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    reply = api("POST", "/contacts", body=ANN, token=tenant_a.keys[Role.MEMBER])
    assert reply.status == 201, reply.body
    contact = reply.json()
    assert contact["phone"] == "+14155550132"
    assert contact["zones"] == ["America/Los_Angeles"]
    assert contact["states"] == ["CA"]
    assert contact["dnc"]["status"] == "clear"
    assert floor(contact["eligibility"]["sms"]) == {"eligible": True, "reasons": []}
    assert floor(contact["eligibility"]["voice"]) == {"eligible": False, "reasons": ["consent_missing"]}
    # Said to be written, but with none of the (f)(9) elements: prior express consent only.
    assert contact["eligibility"]["sms"]["written"] is False
    # (It was given on a web form from an IP address: that is E-SIGN signature evidence.)
    assert contact["eligibility"]["sms"]["missing_written"] == [
        "seller",
        "number",
        "not_condition_of_purchase",
    ]
    kinds = contact["eligibility_by_kind"]
    assert floor(kinds["sms:informational:autodialed"]) == {"eligible": True, "reasons": []}
    assert floor(kinds["sms:marketing:autodialed"]) == {"eligible": False, "reasons": ["consent_not_written"]}
    assert floor(kinds["voice:marketing:artificial_voice"])["reasons"] == ["consent_missing"]
    again = api("POST", "/contacts", body={**ANN, "phone": "+1 415 555 0132"}, token=owner(tenant_a))
    assert (again.status, again.json()["error"]["code"]) == (409, "conflict")
    assert contact["contact_id"] in again.json()["error"]["message"]


def floor(eligibility: dict[str, Any]) -> dict[str, Any]:
    return {"eligible": eligibility["eligible"], "reasons": eligibility["reasons"]}


def test_written_consent_with_every_element_reaches_marketing_kinds(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    """47 CFR 64.1200(a)(2), (f)(9): seller, number, signature and the not-a-condition disclosure."""
    complete = written(SMS_CONSENT, ANN["phone"])
    contact = api("POST", "/contacts", body={**ANN, "consent": [complete]}, token=owner(tenant_a)).json()
    assert contact["eligibility"]["sms"]["written"] is True
    assert floor(contact["eligibility_by_kind"]["sms:marketing:autodialed"]) == {
        "eligible": True,
        "reasons": [],
    }
    other_number = written(SMS_CONSENT, "+14155550199")  # names another number: not for this one
    contact = api(
        "POST",
        "/contacts",
        body={**ANN, "phone": "+14155550140", "consent": [other_number]},
        token=owner(tenant_a),
    ).json()
    assert contact["eligibility"]["sms"]["missing_written"] == ["number"]
    assert contact["eligibility_by_kind"]["sms:marketing:autodialed"]["reasons"] == ["consent_not_written"]


def test_a_number_on_the_registry_is_ineligible_on_every_channel(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    contact = api("POST", "/contacts", body={**ANN, "phone": "+14155559999"}, token=owner(tenant_a)).json()
    assert (contact["dnc"]["status"], contact["dnc"]["source"]) == ("listed", "sandbox")
    assert contact["eligibility"]["sms"]["reasons"] == ["dnc_listed"]


@pytest.mark.no_dnc_provider
def test_without_a_dnc_provider_no_contact_is_dialable(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    contact = api("POST", "/contacts", body=ANN, token=owner(tenant_a)).json()
    assert (contact["dnc"]["status"], contact["dnc"]["reason"]) == ("error", "no_provider")
    assert floor(contact["eligibility"]["sms"]) == {"eligible": False, "reasons": ["dnc_error"]}


def test_a_suppressed_number_is_ineligible_at_intake(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    system = operator(tenant_a.tenant_id, "fixtures", request_id="fixtures")
    suppress(tenant_a.scope, system, "+14155550132", SuppressionSource.MANUAL, "asked by phone")
    contact = api("POST", "/contacts", body=ANN, token=owner(tenant_a)).json()
    assert contact["suppressed"] is True
    assert "suppressed" in contact["eligibility"]["sms"]["reasons"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**ANN, "phone": "555-0132"}, 422, "phone"),
        ({**ANN, "phone": "+44 20 7946 0018"}, 422, "phone"),
        ({**ANN, "state": "ZZ"}, 400, None),
        ({**ANN, "consent": [{**SMS_CONSENT, "wording": None}]}, 422, "consent"),
        ({**ANN, "consent": [{**SMS_CONSENT, "obtained_at": "2026-01-05T10:00:00"}]}, 422, "consent"),
        ({**ANN, "surprise": True}, 422, "surprise"),
    ],
    ids=["short", "foreign", "state", "no-wording", "naive-time", "unknown-field"],
)
def test_bad_contacts_get_a_clear_4xx_and_nothing_is_stored(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, body: dict[str, Any], status: int, field: str | None
) -> None:
    reply = api("POST", "/contacts", body=body, token=owner(tenant_a))
    assert reply.status == status, reply.body
    error = reply.json()["error"]
    if field:
        assert any(field in d["field"] for d in error["details"]), error
    assert "555-0132" not in reply.body
    assert api("GET", "/contacts", token=owner(tenant_a)).json()["items"] == []


def test_update_adds_consent_and_delete_hides(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    contact = api("POST", "/contacts", body=ANN, token=owner(tenant_a)).json()
    path = f"/contacts/{contact['contact_id']}"
    voice = {**SMS_CONSENT, "channels": ["voice"], "type": "express"}
    updated = api(
        "PATCH", path, body={"add_consent": [voice], "tags": ["vip", "west"]}, token=owner(tenant_a)
    )
    assert updated.status == 200, updated.body
    assert floor(updated.json()["eligibility"]["voice"]) == {"eligible": True, "reasons": []}
    assert len(updated.json()["consent"]) == 2
    assert api("PATCH", path, body={"phone": "+14155550133"}, token=owner(tenant_a)).status == 422
    assert api("DELETE", path, token=owner(tenant_a)).status == 200
    assert api("GET", path, token=owner(tenant_a)).status == 404
    assert api("GET", "/contacts", token=owner(tenant_a)).json()["items"] == []


def test_filters_page_through_the_tenant(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    for n, state in enumerate(["CA", "TX", "CA", "NY"]):
        body = {"phone": f"+1415555{n:04d}", "state": state, "tags": ["even"] if n % 2 == 0 else []}
        assert api("POST", "/contacts", body=body, token=owner(tenant_a)).status == 201
    ca = api("GET", "/contacts", query={"state": "ca"}, token=owner(tenant_a)).json()
    assert {c["state"] for c in ca["items"]} == {"CA"}
    assert len(ca["items"]) == 2
    tagged = api("GET", "/contacts", query={"tag": "even", "limit": "1"}, token=owner(tenant_a)).json()
    second = api(
        "GET",
        "/contacts",
        query={"tag": "even", "limit": "1", "cursor": tagged["next_cursor"]},
        token=owner(tenant_a),
    ).json()
    assert len(tagged["items"]) == len(second["items"]) == 1
    assert tagged["items"][0]["contact_id"] != second["items"][0]["contact_id"]
    assert api("GET", "/contacts", query={"eligible_for": "sms"}, token=owner(tenant_a)).json()["items"] == []


# ---------------------------------------------------------------- imports


def test_an_import_reports_every_bad_row_and_writes_the_good_ones(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    token = tenant_a.keys[Role.MEMBER]
    started = upload(api, token, CSV_FILE)
    assert started.status == 202, started.body
    job = wait_for_import(api, token, started.json()["import_id"])
    assert job["status"] == "completed"
    assert job["counts"] == {"rows": 6, "created": 3, "updated": 0, "unchanged": 0, "errors": 3}
    errors = api("GET", f"/contacts/imports/{job['import_id']}/errors", token=token).json()["items"]
    assert [(e["row"], e["field"]) for e in errors] == [(4, "phone"), (5, "state"), (6, "phone")]
    assert "row 2" in errors[2]["reason"]
    listed = api("GET", "/contacts", token=token).json()["items"]
    assert sorted(c["phone"] for c in listed) == ["+13055550166", "+13125550143", "+14155550132"]
    miami = next(c for c in listed if c["phone"] == "+13055550166")
    assert miami["eligibility"]["sms"]["reasons"][0] == "consent_missing"
    assert miami["zones"] == ["America/Chicago", "America/New_York"]  # Florida spans two zones
    stored = boto3.client("s3").list_objects_v2(Bucket=get_settings().import_bucket)
    assert stored.get("KeyCount", 0) == 0  # the file does not outlive its import
    # the record and its row report expire together, by TTL, 90 days after the import started
    table = boto3.resource("dynamodb").Table(get_settings().main_table)
    partition = f"{tenant_a.tenant_id}#IMPORT"
    (record,) = table.query(KeyConditionExpression=Key("pk").eq(partition))["Items"]
    (page,) = table.query(KeyConditionExpression=Key("pk").eq(f"{partition}_ERRORS"))["Items"]
    created = datetime.fromisoformat(job["created_at"].replace("Z", "+00:00"))
    assert record["expires_at"] == page["expires_at"] == int((created + timedelta(days=90)).timestamp())


def test_importing_the_same_file_again_changes_nothing(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    token = owner(tenant_a)
    first = wait_for_import(api, token, upload(api, token, CSV_FILE).json()["import_id"])
    before = api("GET", "/contacts", token=token).json()["items"]
    second = wait_for_import(api, token, upload(api, token, CSV_FILE).json()["import_id"])
    assert second["counts"] == {**first["counts"], "created": 0, "unchanged": first["counts"]["created"]}
    assert api("GET", "/contacts", token=token).json()["items"] == before


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("first_name,state\nAnn,CA\n", {}),
        ("phone,phone\n1,2\n", {}),
        ("Mobile\n4155550132\n", {"mapping": "phone=Cell"}),
        ("", {}),
    ],
    ids=["no-phone", "repeated", "bad-mapping", "empty"],
)
def test_a_file_whose_header_does_not_fit_is_refused_at_once(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, text: str, query: dict[str, str]
) -> None:
    reply = upload(api, owner(tenant_a), text, **query)
    assert reply.status == 400, reply.body
    assert reply.json()["error"]["code"] == "invalid_request"
    assert boto3.client("s3").list_objects_v2(Bucket=get_settings().import_bucket).get("KeyCount", 0) == 0


def test_an_import_costs_a_few_round_trips_per_hundred_rows(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    rows = "".join(f"+1312555{n:04d},Person {n},IL,,,,,,\n" for n in range(300))
    header = CSV_FILE.splitlines()[0] + "\n"
    token = owner(tenant_a)
    with AwsCallCounter() as calls:
        job = wait_for_import(api, token, upload(api, token, header + rows).json()["import_id"])
    assert job["counts"]["created"] == 300
    counts = calls.counts()
    # one transaction per 100 rows, and one per audit entry (import started, import done)
    assert counts[AwsCall("dynamodb", "TransactWriteItems")] == 3 + 2
    assert counts[AwsCall("dynamodb", "BatchGetItem")] == 6  # existing contacts and suppression, per 100


# ---------------------------------------------------------------- export and audit


def test_export_is_spreadsheet_safe_and_audit_entries_hold_no_personal_data(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture
) -> None:
    token = owner(tenant_a)
    wait_for_import(api, token, upload(api, token, CSV_FILE).json()["import_id"])
    contact = api(
        "POST", "/contacts", body={**ANN, "phone": "+12065550177", "first_name": "Eve"}, token=token
    )
    api("PATCH", f"/contacts/{contact.json()['contact_id']}", body={"last_name": "Secretname"}, token=token)
    exported = api("GET", "/contacts/export", token=token)
    assert exported.status == 200, exported.body
    assert exported.headers["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.body)))
    assert len(table) == 4
    assert next(r for r in table if r["phone"] == "'+13055550166")["first_name"] == "'=HYPERLINK(1)"
    entries = json.dumps(
        [e.model_dump(mode="json") for e in audit.list_entries(tenant_a.tenant_id, limit=100).items]
    )
    for personal in ("555-0132", "5550132", "Eve", "Secretname", "Ann", "HYPERLINK"):
        assert personal not in entries
    actions = [e.action for e in audit.list_entries(tenant_a.tenant_id, limit=100).items]
    assert {"contacts.import_started", "contacts.imported", "contact.created", "contact.updated"} <= set(
        actions
    )


def test_contacts_of_another_tenant_never_match(
    api, tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    a = api("POST", "/contacts", body=ANN, token=owner(tenant_a)).json()
    b = api("POST", "/contacts", body=ANN, token=owner(tenant_b)).json()
    assert a["contact_id"] != b["contact_id"]  # the same number, keyed per tenant
    assert api("GET", f"/contacts/{a['contact_id']}", token=owner(tenant_b)).status == 404
    assert tenant_b.scope.get(Contact, a["contact_id"]) is None


def test_a_large_file_goes_straight_to_the_bucket_then_starts(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    token = owner(tenant_a)
    ticket = api("POST", "/contacts/imports/uploads", token=token)
    assert ticket.status == 201, ticket.body
    upload = ticket.json()
    early = api("POST", f"/contacts/imports/{upload['import_id']}/start", token=token)
    assert (early.status, early.json()["error"]["code"]) == (409, "conflict")  # nothing uploaded yet
    put = requests.put(upload["upload_url"], data=CSV_FILE.encode(), headers=upload["headers"], timeout=10)
    assert put.status_code == 200
    started = api("POST", f"/contacts/imports/{upload['import_id']}/start", token=token)
    assert started.status == 202, started.body
    job = wait_for_import(api, token, upload["import_id"])
    assert job["counts"]["created"] == 3
    again = api("POST", f"/contacts/imports/{upload['import_id']}/start", token=token)
    assert again.status == 409  # an import starts once


def test_an_uploaded_file_whose_header_does_not_fit_is_refused_and_can_be_replaced(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture
) -> None:
    token = owner(tenant_a)
    upload = api("POST", "/contacts/imports/uploads", token=token).json()
    requests.put(upload["upload_url"], data=b"name\nAnn\n", headers=upload["headers"], timeout=10)
    refused = api("POST", f"/contacts/imports/{upload['import_id']}/start", token=token)
    assert (refused.status, refused.json()["error"]["code"]) == (400, "invalid_request")
    requests.put(upload["upload_url"], data=CSV_FILE.encode(), headers=upload["headers"], timeout=10)
    assert api("POST", f"/contacts/imports/{upload['import_id']}/start", token=token).status == 202
    wait_for_import(api, token, upload["import_id"])
