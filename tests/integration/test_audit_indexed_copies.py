"""The copies an audit entry keeps for list filters are verified against its hashed body.

``GET /audit?action=`` filters on a top-level ``action`` attribute beside the hashed body.
Edited in the table, the entry moved to the wrong filter while ``POST /audit/verify`` still
answered ok, because only the body was hashed. The verifier now reports such an entry as
edited, and listings show only entries whose copies equal their body.
"""

from __future__ import annotations

import boto3
import pytest

from gatehouse import audit
from gatehouse.config import get_settings
from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture


def _entry_with(tenant_id: str, action: str) -> int:
    """The newest entry of ``action``."""
    return audit.list_entries(tenant_id, action=action, limit=1).items[0].seq


def _edit_copy(tenant_id: str, seq: int, attribute: str, value: str) -> None:
    """What someone with raw table access could do: change a filter copy, leave the body alone."""
    table = boto3.resource("dynamodb").Table(get_settings().audit_table)
    table.update_item(
        Key={"pk": f"{tenant_id}#AUDIT", "sk": f"E#{seq:012d}"},
        UpdateExpression="SET #a = :v",
        ExpressionAttributeNames={"#a": attribute},
        ExpressionAttributeValues={":v": value},
    )


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("action", "member.removed"), ("actor", "user:usr_someone"), ("target", "member:usr_x"), ("at", "2020")],
)
def test_an_edited_filter_copy_breaks_verification_as_edited(
    api, tenant_a: TenantFixture, attribute: str, value: str
) -> None:  # type: ignore[no-untyped-def]
    api("POST", "/api-keys", token=tenant_a.keys[Role.OWNER], body={"name": "k", "role": "viewer"})
    seq = _entry_with(tenant_a.tenant_id, "api_key.created")
    assert audit.verify(tenant_a.tenant_id).ok

    _edit_copy(tenant_a.tenant_id, seq, attribute, value)
    report = audit.verify(tenant_a.tenant_id)
    answered = api("POST", "/audit/verify", token=tenant_a.keys[Role.OWNER], body={"full": True}).json()

    assert (report.ok, report.first_bad_seq, report.reason) == (False, seq, audit.BreakReason.EDITED)
    assert attribute in report.detail
    assert (answered["ok"], answered["first_bad_seq"]) == (False, seq)


def test_a_filtered_listing_shows_only_entries_whose_copies_match_their_body(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    owner = tenant_a.keys[Role.OWNER]
    api("POST", "/api-keys", token=owner, body={"name": "k", "role": "viewer"})
    seq = _entry_with(tenant_a.tenant_id, "api_key.created")

    _edit_copy(tenant_a.tenant_id, seq, "action", "member.removed")
    listed = api("GET", "/audit", token=owner, query={"action": "member.removed"}).json()["items"]
    everything = api("GET", "/audit", token=owner).json()["items"]

    assert [e["seq"] for e in listed] == []
    assert seq not in [e["seq"] for e in everything]
