"""Times from outside: a time UTC cannot hold is a 422 in the one error shape naming its field.

"0001-01-01T00:00:00+05:00" is a valid ISO-8601 time whose UTC form falls before year 1;
"9999-12-31T23:59:59-05:00" one whose UTC form falls in year 10000. Converting either raised
OverflowError (a 500 internal_error) on POST /campaigns and GET /audit?since=. Every time the
API takes is a ``gatehouse.clock.Instant``, checked when the request is validated; the list
here is checked against the date-time inputs of the committed OpenAPI document.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture
from tests.isolation.cases import CAMPAIGN

EXTREMES = ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00")
OPENAPI = Path(__file__).resolve().parents[2] / "openapi.json"
CONSENT = {
    "type": "express",
    "channels": ["sms"],
    "source": "web_form",
    "source_url": "https://acme.example/signup",
    "wording": "I agree to receive texts from Acme.",
}
CONTACT = {"phone": "+14155550177", "first_name": "Tia", "state": "CA"}


def consented(when: str) -> list[dict[str, Any]]:
    return [{**CONSENT, "obtained_at": when}]


# (method, path, the date-time field) -> how to send it: keyword arguments of ``api`` for a time.
Request = Callable[[str], dict[str, Any]]
TIME_INPUTS: dict[tuple[str, str, str], Request] = {
    ("POST", "/api-keys", "expires_at"): lambda w: {"body": {"name": "x", "role": "viewer", "expires_at": w}},
    ("GET", "/audit", "since"): lambda w: {"query": {"since": w}},
    ("GET", "/audit", "until"): lambda w: {"query": {"until": w}},
    ("POST", "/campaigns", "start_at"): lambda w: {"body": {**CAMPAIGN, "start_at": w}},
    ("POST", "/campaigns", "end_at"): lambda w: {"body": {**CAMPAIGN, "end_at": w}},
    ("PUT", "/campaigns/{campaign_id}", "start_at"): lambda w: {"body": {**CAMPAIGN, "start_at": w}},
    ("PUT", "/campaigns/{campaign_id}", "end_at"): lambda w: {"body": {**CAMPAIGN, "end_at": w}},
    ("POST", "/contacts", "obtained_at"): lambda w: {"body": {**CONTACT, "consent": consented(w)}},
    ("PATCH", "/contacts/{contact_id}", "obtained_at"): lambda w: {"body": {"add_consent": consented(w)}},
}


def _date_times(schema: Any, schemas: dict[str, Any], seen: frozenset[str] = frozenset()) -> Iterator[str]:
    """The names of the date-time properties anywhere in a schema."""
    if isinstance(schema, list):
        for item in schema:
            yield from _date_times(item, schemas, seen)
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref", "").rpartition("/")[2]
    if ref and ref not in seen:
        yield from _date_times(schemas[ref], schemas, seen | {ref})
    for name, prop in (schema.get("properties") or {}).items():
        if "date-time" in json.dumps(prop) and "$ref" not in json.dumps(prop):
            yield name
        yield from _date_times(prop, schemas, seen)
    for key in ("items", "anyOf", "oneOf", "allOf"):
        yield from _date_times(schema.get(key), schemas, seen)


def date_time_inputs() -> set[tuple[str, str, str]]:
    document = json.loads(OPENAPI.read_text())
    schemas = document["components"]["schemas"]
    found = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if "date-time" in json.dumps(parameter.get("schema", {})):
                    found.add((method.upper(), path, parameter["name"]))
            for content in (operation.get("requestBody") or {}).get("content", {}).values():
                found |= {(method.upper(), path, name) for name in _date_times(content["schema"], schemas)}
    return found


def test_every_time_the_api_takes_is_driven_here() -> None:
    assert date_time_inputs() == set(TIME_INPUTS)


@pytest.fixture
def ids(api, tenant_a: TenantFixture) -> dict[str, str]:  # type: ignore[no-untyped-def]
    owner = tenant_a.keys[Role.OWNER]
    campaign = api("POST", "/campaigns", body=CAMPAIGN, token=owner)
    contact = api("POST", "/contacts", body={**CONTACT, "phone": "+14155550178"}, token=owner)
    assert (campaign.status, contact.status) == (201, 201), (campaign.body, contact.body)
    return {"campaign_id": campaign.json()["campaign_id"], "contact_id": contact.json()["contact_id"]}


@pytest.mark.parametrize("when", EXTREMES, ids=["year_1_east_of_utc", "year_9999_west_of_utc"])
@pytest.mark.parametrize("target", sorted(TIME_INPUTS), ids=lambda t: f"{t[0]} {t[1]} {t[2]}")
def test_a_time_utc_cannot_hold_is_a_422_naming_its_field_and_changes_nothing(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, ids: dict[str, str], target: tuple[str, str, str], when: str
) -> None:
    method, path, field = target
    owner = tenant_a.keys[Role.OWNER]
    audit_before = api("GET", "/audit", token=owner, query={"limit": "100"}).json()["items"]
    reply = api(method, path.format(**ids), token=owner, **TIME_INPUTS[target](when))
    assert reply.status == 422, reply.body
    error = reply.json()["error"]
    assert set(error) == {"code", "message", "request_id", "details"}
    assert error["code"] == "validation_error"
    assert any(field in detail["field"] for detail in error["details"]), error
    assert when not in reply.body
    assert api("GET", "/audit", token=owner, query={"limit": "100"}).json()["items"] == audit_before
