"""The suppressions routes: normalization, idempotent adds, read-only checks, owner-only removal."""

from __future__ import annotations

from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture


def test_an_add_normalizes_the_number_and_never_echoes_it(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    token = tenant_a.keys[Role.MEMBER]
    first = api("POST", "/suppressions", token=token, body={"number": "(202) 555-0143", "reason": "asked"})
    assert first.status == 201, first.body
    assert first.json()["created"] is True
    # no form of the number: its digits (a random keyed reference may hold "555" by chance)
    for form in ("2025550143", "5550143", "555-0143", "555 0143"):
        assert form not in first.body
    again = api("POST", "/suppressions", token=token, body={"number": "+1 202 555 0143"})
    assert again.status == 200
    assert again.json() == {**first.json(), "created": False}


def test_an_invalid_number_is_a_400_that_does_not_repeat_it(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    reply = api("POST", "/suppressions", token=tenant_a.keys[Role.MEMBER], body={"number": "555-01"})
    assert reply.status == 400
    assert reply.json()["error"]["code"] == "invalid_request"
    assert "555-01" not in reply.body


def test_check_answers_with_the_numbers_as_given(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    api("POST", "/suppressions", token=tenant_a.keys[Role.OWNER], body={"number": "2025550143"})
    reply = api(
        "POST",
        "/suppressions/check",
        token=tenant_a.keys[Role.VIEWER],
        body={"numbers": ["(202) 555-0143", "+12125550199"]},
    )
    assert reply.status == 200, reply.body
    assert reply.json() == {"suppressed": ["(202) 555-0143"]}
    too_many = api(
        "POST",
        "/suppressions/check",
        token=tenant_a.keys[Role.VIEWER],
        body={"numbers": ["2025550143"] * 101},
    )
    assert too_many.status == 422


def test_list_shows_references_not_numbers(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    api("POST", "/suppressions", token=tenant_a.keys[Role.OWNER], body={"number": "2025550143"})
    listed = api("GET", "/suppressions", token=tenant_a.keys[Role.VIEWER]).json()
    (item,) = listed["items"]
    assert len(item["ref"]) == 16
    assert item["source"] == "manual"
    assert "5550143" not in str(listed)


def test_removal_is_for_owners_with_a_reason(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    api("POST", "/suppressions", token=tenant_a.keys[Role.OWNER], body={"number": "2025550143"})
    body = {"number": "2025550143", "reason": "new written consent on file"}
    assert api("POST", "/suppressions/remove", token=tenant_a.keys[Role.ADMIN], body=body).status == 403
    no_reason = api(
        "POST", "/suppressions/remove", token=tenant_a.keys[Role.OWNER], body={"number": "2025550143"}
    )
    assert no_reason.status == 422
    assert api("POST", "/suppressions/remove", token=tenant_a.keys[Role.OWNER], body=body).status == 200
    gone = api("POST", "/suppressions/remove", token=tenant_a.keys[Role.OWNER], body=body)
    assert gone.status == 404
