"""The DNC routes and the unscrubbed warning header on every response of an acknowledged tenant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gatehouse import audit
from gatehouse.aws_calls import AwsCallCounter
from gatehouse.dnc import WARNING, WARNING_HEADER, WORDING, unscrubbed_warning
from gatehouse.dnc.acknowledgment import forget_warning
from gatehouse.identity.caller import operator
from gatehouse.identity.permissions import Role
from gatehouse.vault import Provider, connect
from tests.conftest import TenantFixture

TEXT = {"Content-Type": "text/plain"}


@pytest.fixture(autouse=True)
def no_cached_warnings() -> Iterator[None]:
    forget_warning()
    yield
    forget_warning()


def test_the_wording_is_published_and_must_be_sent_exactly(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    published = api("GET", "/dnc/acknowledgment", token=tenant_a.keys[Role.VIEWER]).json()
    assert published == {"wording": WORDING, "acknowledgment": None}
    owner = tenant_a.keys[Role.OWNER]
    wrong = api("POST", "/dnc/acknowledgment", token=owner, body={"wording": WORDING.lower()})
    assert wrong.status == 400
    admin = api("POST", "/dnc/acknowledgment", token=tenant_a.keys[Role.ADMIN], body={"wording": WORDING})
    assert admin.status == 403


def test_an_owner_acknowledges_once_audited_with_identity_and_wording(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    owner = tenant_a.keys[Role.OWNER]
    first = api("POST", "/dnc/acknowledgment", token=owner, body={"wording": WORDING})
    assert first.status == 201, first.body
    entry = audit.list_entries(tenant_a.tenant_id, limit=1).items[0]
    assert entry.action == "dnc.acknowledged"
    assert entry.actor.label == first.json()["acknowledged_by"]
    assert entry.changes.after is not None
    assert entry.changes.after["wording"] == WORDING
    again = api("POST", "/dnc/acknowledgment", token=owner, body={"wording": WORDING})
    assert again.status == 200
    replayed = {k: v for k, v in again.json().items() if k != "dnc_warning"}  # now acknowledged: warned
    assert replayed == first.json()
    assert audit.list_entries(tenant_a.tenant_id, limit=1).items[0] == entry


def test_every_response_warns_while_acknowledged_and_unconnected(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    owner, viewer = tenant_a.keys[Role.OWNER], tenant_a.keys[Role.VIEWER]
    before = api("GET", "/members", token=viewer)
    assert WARNING_HEADER not in before.headers
    assert api("GET", "/dnc/status", token=viewer).json()["warnings"][0].startswith("dnc-no-provider")

    api("POST", "/dnc/acknowledgment", token=owner, body={"wording": WORDING})
    for method, path, token in [
        ("GET", "/members", viewer),
        ("GET", "/api-keys", viewer),  # a 403 carries it too
        ("GET", "/no-such-route", viewer),
        ("POST", "/suppressions", owner),  # and a 400
    ]:
        reply = api(method, path, token=token, body={"number": "12"} if method == "POST" else None)
        assert reply.headers.get(WARNING_HEADER) == WARNING, (path, reply.status)
        assert reply.json()["dnc_warning"] == WARNING, (path, reply.status)  # the field as well
    status = api("GET", "/dnc/status", token=viewer).json()
    assert status["warnings"] == [WARNING]
    assert status["provider"] == "none"
    assert status["acknowledgment"]["wording"] == WORDING
    assert WARNING_HEADER not in api("GET", "/health").headers

    caller = operator(tenant_a.tenant_id, "ops", request_id="r")
    connect(tenant_a.scope, caller, Provider.DNC, {"provider_name": "scrubco", "api_key": "k" * 24})
    forget_warning(tenant_a.tenant_id)
    connected = api("GET", "/members", token=viewer)
    assert WARNING_HEADER not in connected.headers
    assert "dnc_warning" not in connected.json()
    assert api("GET", "/dnc/status", token=viewer).json()["provider"] == "https"


def test_other_tenants_get_no_warning(api, tenant_a: TenantFixture, tenant_b: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    api("POST", "/dnc/acknowledgment", token=tenant_a.keys[Role.OWNER], body={"wording": WORDING})
    assert WARNING_HEADER not in api("GET", "/members", token=tenant_b.keys[Role.OWNER]).headers


def test_the_warning_costs_at_most_two_reads_then_none_for_a_while(tenant_a: TenantFixture) -> None:
    with AwsCallCounter() as first:
        assert unscrubbed_warning(tenant_a.tenant_id) is None
    with AwsCallCounter() as second:
        unscrubbed_warning(tenant_a.tenant_id)
    assert first.total("dynamodb") == 1
    assert second.total() == 0


def test_a_registry_file_uploads_as_text_and_shows_in_status(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    admin = tenant_a.keys[Role.ADMIN]
    reply = api(
        "POST", "/dnc/registry/202", token=admin, raw_body="2025550143\n2025550144\nbad\n", headers=TEXT
    )
    assert reply.status == 200, reply.body
    report = reply.json()
    assert (report["added"], report["rejected"], report["kind"]) == (2, 1, "full")
    change = api(
        "POST",
        "/dnc/registry/202",
        token=admin,
        raw_body="D,2025550143\n",
        headers=TEXT,
        query={"kind": "change"},
    )
    assert change.json()["deleted"] == 1
    status = api("GET", "/dnc/status", token=tenant_a.keys[Role.VIEWER]).json()
    assert status["registry_ref"] == report["registry_ref"]
    (area,) = status["area_codes"]
    assert (area["area_code"], area["fresh"], area["version"], area["kind"]) == ("202", True, 2, "change")


@pytest.mark.parametrize(
    ("path", "body", "query", "status"),
    [
        ("/dnc/registry/202", "", None, 400),
        ("/dnc/registry/202", "A,2025550143\n", {"kind": "change"}, 400),
        ("/dnc/registry/102", "1025550143\n", None, 422),
        ("/dnc/registry/202", "2025550143\n", {"kind": "partial"}, 422),
    ],
    ids=["empty", "change-first", "bad-area-code", "bad-kind"],
)
def test_bad_registry_uploads_are_refused(api, tenant_a: TenantFixture, path, body, query, status) -> None:  # type: ignore[no-untyped-def]
    reply = api("POST", path, token=tenant_a.keys[Role.ADMIN], raw_body=body, headers=TEXT, query=query)
    assert reply.status == status, reply.body
