"""Every record is valid before the data door writes it; an unreadable item never takes a list down.

A record changed with ``model_copy(update=...)`` skips pydantic's validation: a contact
saved with ``tags: null`` once answered 500 and then broke every read of the tenant's
contacts. These tests walk every write path of the door with an invalid record, read a
bad item the way an older version could have left it, and mend it with the operator CLI.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from gatehouse import audit
from gatehouse.config import get_settings
from gatehouse.contacts.records import Contact
from gatehouse.errors import Invalid
from gatehouse.identity.caller import operator
from gatehouse.identity.permissions import Role
from gatehouse.identity.users import UserIdentity
from gatehouse.ops.__main__ import main
from gatehouse.tenancy import TenantScope, get_directory
from gatehouse.tenancy.store import UnreadableRecord
from tests.conftest import TenantFixture
from tests.support.logs import service_logs

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ANN = {"phone": "(415) 555-0132", "first_name": "Ann", "state": "CA", "tags": ["vip"]}
BO = {"phone": "(312) 555-0143", "first_name": "Bo", "state": "IL", "tags": ["new"]}


def a_contact(scope: TenantScope) -> Contact:
    return Contact(contact_id="con_" + "a" * 26, e164="+14155550132", created_at=NOW, created_by="user:tests")


def _scope_save(scope: TenantScope, bad: Contact) -> None:
    scope.save(bad)


def _transaction_save(scope: TenantScope, bad: Contact) -> None:
    with scope.transaction() as txn:
        txn.save(bad)


def _audited_save(scope: TenantScope, bad: Contact) -> None:
    caller = operator(scope.tenant_id, "tests", request_id="tests")
    with audit.recorded(scope, caller, "contact.updated", "contact", bad.contact_id) as txn:
        txn.save(bad)


def _batch_save(scope: TenantScope, bad: Contact) -> None:
    scope.batch_save([bad])


def _batch_writer(scope: TenantScope, bad: Contact) -> None:
    with scope.batch_writer() as batch:
        batch.save(bad)


WRITES: dict[str, Callable[[TenantScope, Contact], None]] = {
    "save": _scope_save,
    "transaction": _transaction_save,
    "audited_change": _audited_save,
    "batch_save": _batch_save,
    "batch_writer": _batch_writer,
}


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_every_write_path_of_the_data_door_refuses_an_invalid_record(
    tenant_a: TenantFixture, write: str
) -> None:
    scope = tenant_a.scope
    bad = a_contact(scope).model_copy(update={"tags": None})  # skips validation, as a merge once did

    with pytest.raises(Invalid) as refused:
        WRITES[write](scope, bad)

    assert refused.value.details == [{"field": "tags", "reason": "not a valid value"}]
    assert scope.get(Contact, bad.contact_id) is None


def test_the_directory_and_a_transactions_global_writes_refuse_an_invalid_record(
    tenant_a: TenantFixture,
) -> None:
    bad = UserIdentity(user_id="usr_" + "b" * 26, email="b@x.test", created_at=NOW).model_copy(
        update={"email": None}
    )
    with pytest.raises(Invalid):
        get_directory().save(bad)
    with pytest.raises(Invalid), tenant_a.scope.transaction() as txn:
        txn.save_global(bad)
    assert get_directory().get(UserIdentity, bad.user_id, "PROFILE") is None


def test_a_null_list_in_a_contact_patch_clears_it_and_every_read_still_works(
    api, tenant_a: TenantFixture
) -> None:  # type: ignore[no-untyped-def]
    member = tenant_a.keys[Role.MEMBER]
    contact = api("POST", "/contacts", body=ANN, token=member).json()

    patched = api("PATCH", f"/contacts/{contact['contact_id']}", body={"tags": None}, token=member)

    assert patched.status == 200, patched.body
    assert patched.json()["tags"] == []
    assert api("GET", "/contacts", token=member).status == 200
    assert api("GET", f"/contacts/{contact['contact_id']}", token=member).json()["tags"] == []
    assert api("GET", "/contacts/export", token=tenant_a.keys[Role.ADMIN]).status == 200


def _break_in_the_table(tenant_id: str, contact_id: str) -> None:
    """What an older version (or a hand edit) left behind: a contact whose tags are null."""
    table = boto3.resource("dynamodb").Table(get_settings().main_table)
    key = {"pk": f"{tenant_id}#CONTACT", "sk": contact_id}
    body = json.loads(table.get_item(Key=key)["Item"]["body"])
    table.update_item(
        Key=key,
        UpdateExpression="SET body = :body",
        ExpressionAttributeValues={":body": json.dumps({**body, "tags": None})},
    )


def test_an_unreadable_contact_is_skipped_and_reported_by_key_then_repaired_by_the_operator(
    api, tenant_a: TenantFixture, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    owner = tenant_a.keys[Role.OWNER]
    ann = api("POST", "/contacts", body=ANN, token=owner).json()
    bo = api("POST", "/contacts", body=BO, token=owner).json()
    _break_in_the_table(tenant_a.tenant_id, ann["contact_id"])
    capsys.readouterr()

    with service_logs() as logs:
        listing = api("GET", "/contacts", token=owner)
    metrics = capsys.readouterr().out

    assert listing.status == 200
    assert [c["contact_id"] for c in listing.json()["items"]] == [bo["contact_id"]]
    (reported,) = [line for line in logs.lines if line["message"] == "unreadable record"]
    assert (reported["collection"], reported["sort_key"]) == ("CONTACT", ann["contact_id"])
    assert "415" not in logs.text()  # the key only, never the data
    assert "Ann" not in logs.text()
    assert '"UnreadableRecords":[1.0]' in metrics
    assert api("GET", "/contacts/export", token=owner).status == 200
    with pytest.raises(UnreadableRecord):
        tenant_a.scope.get(Contact, ann["contact_id"])

    capsys.readouterr()
    status = main(["repair-records", "--tenant-id", tenant_a.tenant_id, "--record", "Contact"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)

    assert (status, report["repaired"], report["unrepairable"]) == (0, [ann["contact_id"]], [])
    again = api("GET", f"/contacts/{ann['contact_id']}", token=owner)
    assert (again.status, again.json()["tags"], again.json()["first_name"]) == (200, [], "Ann")
    assert len(api("GET", "/contacts", token=owner).json()["items"]) == 2
