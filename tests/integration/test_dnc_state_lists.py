"""State Do-Not-Call lists: loading a state's file, answering from it, and whose numbers it binds.

A state list binds telemarketing to the numbers of its state (e.g. Tex. Bus. & Com. Code
304.052, Fla. Stat. 501.059(3)); a number's states are its area code's and the state on
record (``compliance.zones.states_for``). The 31 days count from each list's load, as for
the federal registry (16 CFR 310.4(b)(3)(iv)).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.contacts import checks
from gatehouse.contacts.records import Contact, ContactInput
from gatehouse.contacts.service import create
from gatehouse.dispatch.gates import Outcome, Reason, gate_state_dnc
from gatehouse.dnc import LoadKind, ScrubStatus, StateListAnswer, load, scrub, state_lists
from gatehouse.errors import Forbidden, Invalid
from gatehouse.identity.caller import Caller, PrincipalType, operator
from gatehouse.identity.permissions import Role
from gatehouse.vault import Provider, connect
from tests.conftest import TenantFixture

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TEXT = {"Content-Type": "text/plain"}


def ops(t: TenantFixture) -> Caller:
    return operator(t.tenant_id, "ops", request_id="req-1")


def at(moment: datetime):  # type: ignore[no-untyped-def]
    return lambda: moment


@pytest.fixture
def on_registry(tenant_a: TenantFixture) -> TenantFixture:
    """Tenant A scrubbing against registry files (202, 512, 415 clear) loaded at NOW."""
    report = load(tenant_a.scope, ops(tenant_a), "202", ["2025550199"], LoadKind.FULL, clock=at(NOW))
    for area in ("512", "415"):
        load(tenant_a.scope, ops(tenant_a), area, [f"{area}5550199"], LoadKind.FULL, clock=at(NOW))
    connect(
        tenant_a.scope,
        ops(tenant_a),
        Provider.DNC,
        {"provider_name": "ftc", "registry_ref": report.registry_ref},
    )
    return tenant_a


def test_a_state_list_loads_and_answers_for_any_us_number_with_its_version(
    on_registry: TenantFixture,
) -> None:
    scope = on_registry.scope
    loaded_at = NOW - timedelta(days=3)
    # A Texas resident's list holds numbers of any area code (a mobile number travels).
    report = state_lists.load(
        scope, ops(on_registry), "tx", ["2025550143", "bad", "5125550100"], LoadKind.FULL, clock=at(loaded_at)
    )
    assert (report.state, report.added, report.rejected, report.version) == ("TX", 2, 1, 1)
    stamps = scrub(scope, ["+12025550143", "+12025550144"], clock=at(NOW))
    assert stamps["+12025550143"].state_lists == {"TX": StateListAnswer(listed=True, as_of=loaded_at)}
    assert stamps["+12025550144"].state_lists == {"TX": StateListAnswer(listed=False, as_of=loaded_at)}
    assert stamps["+12025550143"].status is ScrubStatus.CLEAR  # federally clear: the state list is apart


def test_a_full_file_replaces_the_states_set_and_change_files_edit_it(on_registry: TenantFixture) -> None:
    scope = on_registry.scope
    with pytest.raises(Invalid, match="full file"):
        state_lists.load(scope, ops(on_registry), "FL", ["A,3055550100"], LoadKind.CHANGE)
    state_lists.load(scope, ops(on_registry), "FL", ["3055550100", "3055550101"], LoadKind.FULL)
    state_lists.load(scope, ops(on_registry), "FL", ["3055550101"], LoadKind.FULL)
    change = state_lists.load(
        scope, ops(on_registry), "FL", ["A,3055550102", "D,3055550101"], LoadKind.CHANGE
    )
    assert (change.version, change.added, change.deleted) == (3, 1, 1)
    answers = state_lists.lookup(scope, ["+13055550100", "+13055550101", "+13055550102"])
    assert {n: a["FL"].listed for n, a in answers.items()} == {
        "+13055550100": False,
        "+13055550101": False,
        "+13055550102": True,
    }


@pytest.mark.parametrize("state", ["CA", "ZZ", "T1"])
def test_only_a_state_that_keeps_a_list_may_be_loaded(tenant_a: TenantFixture, state: str) -> None:
    with pytest.raises(Invalid, match="no state Do-Not-Call list"):
        state_lists.load(tenant_a.scope, ops(tenant_a), state, ["2125550100"], LoadKind.FULL)


def test_loading_a_state_list_needs_integrations_manage(tenant_a: TenantFixture) -> None:
    member = Caller(tenant_a.tenant_id, Role.MEMBER, PrincipalType.USER, "usr_x")
    with pytest.raises(Forbidden):
        state_lists.load(tenant_a.scope, member, "TX", ["2125550100"], LoadKind.FULL)


def person(t: TenantFixture, phone: str, state: str) -> Contact:
    created = create(
        t.scope,
        ops(t),
        ContactInput(phone=phone, state=state),
        suppressed=checks.suppressed,
        scrub=lambda s, numbers: scrub(s, numbers, clock=at(NOW)),
        clock=at(NOW),
    )
    return t.scope.require(Contact, created.contact_id)


def test_a_state_list_binds_only_the_people_of_its_state(on_registry: TenantFixture) -> None:
    """Tex. Bus. & Com. Code 304.052: the Texas list reaches Texas numbers and Texans, no one else."""
    listed = ["4155550100", "4155550101", "5125550100"]
    state_lists.load(on_registry.scope, ops(on_registry), "TX", listed, LoadKind.FULL)
    texan_on_the_list = person(on_registry, "+15125550100", "TX")
    texan_by_record = person(on_registry, "+14155550100", "TX")  # a California number, a Texan
    californian = person(on_registry, "+14155550101", "CA")  # on Texas's list, but not in Texas
    assert gate_state_dnc(texan_on_the_list, NOW).reason == Reason.STATE_DNC_LISTED
    assert gate_state_dnc(texan_by_record, NOW).reason == Reason.STATE_DNC_LISTED
    assert gate_state_dnc(californian, NOW).passed
    assert "dnc_listed" in texan_by_record.eligibility["sms"].reasons  # intake shows it as well
    assert "dnc_listed" not in californian.eligibility["sms"].reasons


def test_a_state_list_not_loaded_or_too_old_on_the_day_fails_closed(on_registry: TenantFixture) -> None:
    """Fail closed (DESIGN.md §6 gate 4): no fresh answer from a state's list is no answer."""
    texan = person(on_registry, "+15125550101", "TX")
    missing = gate_state_dnc(texan, NOW)
    assert (missing.outcome, missing.reason) == (Outcome.RESCRUB, Reason.STATE_DNC_MISSING)
    state_lists.load(on_registry.scope, ops(on_registry), "TX", ["5125550100"], LoadKind.FULL, clock=at(NOW))
    texan = person(on_registry, "+15125550102", "TX")
    assert gate_state_dnc(texan, NOW + timedelta(days=31)).passed
    stale = gate_state_dnc(texan, NOW + timedelta(days=32))  # the list is 32 days old on the day of the call
    assert (stale.outcome, stale.reason) == (Outcome.RESCRUB, Reason.STATE_DNC_STALE)


def test_a_state_list_uploads_as_text(api, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    admin = tenant_a.keys[Role.ADMIN]
    reply = api("POST", "/dnc/state-lists/TX", token=admin, raw_body="5125550143\n2125550144\n", headers=TEXT)
    assert reply.status == 200, reply.body
    assert (reply.json()["state"], reply.json()["added"]) == ("TX", 2)
    refused = api("POST", "/dnc/state-lists/CA", token=admin, raw_body="4155550143\n", headers=TEXT)
    assert refused.status == 400, refused.body
    viewer = api(
        "POST", "/dnc/state-lists/TX", token=tenant_a.keys[Role.VIEWER], raw_body="5125550143\n", headers=TEXT
    )
    assert viewer.status == 403
