"""Request bodies: a hostile JSON body is a 400 in the one error shape, and is read only after the guard.

JSON nested ~1,000 deep made the parser raise RecursionError and an integer over 4,300
digits made Python raise ValueError: both were 500s, before authentication. The body is
now parsed within a depth and a number size, and only once the caller is authenticated
and permitted (a viewer gets 403, never a 422 describing the schema).
"""

from __future__ import annotations

import pytest

from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture

DEEP = "[" * 1000 + "]" * 1000
HUGE_NUMBER = '{"name": "x", "limit": ' + "9" * 5000 + "}"
ROUTES = ("/contacts", "/sign-in/link", "/suppressions/check", "/api-keys", "/campaigns")


@pytest.mark.parametrize("body", [DEEP, HUGE_NUMBER], ids=["nested_1000_deep", "integer_5000_digits"])
@pytest.mark.parametrize("path", ROUTES)
def test_a_hostile_json_body_is_a_400_malformed_json_in_the_one_error_shape(
    api, tenant_a: TenantFixture, path: str, body: str
) -> None:  # type: ignore[no-untyped-def]
    reply = api("POST", path, raw_body=body, token=tenant_a.keys[Role.OWNER])

    assert reply.status == 400, reply.body
    error = reply.json()["error"]
    assert error["code"] == "malformed_json"
    assert set(error) == {"code", "message", "request_id", "details"}


@pytest.mark.parametrize("body", [DEEP, HUGE_NUMBER, "{}"], ids=["nested", "huge_number", "invalid"])
def test_the_body_is_read_only_after_authentication_and_the_permission_check(
    api, tenant_a: TenantFixture, body: str
) -> None:  # type: ignore[no-untyped-def]
    stranger = api("POST", "/contacts", raw_body=body)
    viewer = api("POST", "/contacts", raw_body=body, token=tenant_a.keys[Role.VIEWER])

    assert (stranger.status, stranger.json()["error"]["details"]) == (401, [])
    assert (viewer.status, viewer.json()["error"]["code"], viewer.json()["error"]["details"]) == (
        403,
        "forbidden",
        [],
    )


def test_a_body_within_the_caps_still_reaches_validation_with_its_field_names(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    reply = api("POST", "/contacts", body={"phone": 5}, token=tenant_a.keys[Role.MEMBER])

    assert (reply.status, reply.json()["error"]["code"]) == (422, "validation_error")
