"""Declared dates: operators add and withdraw them, tenants read them, and the next batch obeys.

A day a governor proclaims (La. R.S. 45:844.11 et seq. and LPSC R-29617: days the governor
declares; a declared state of emergency bans every call) is added the day it is announced,
without a release, and a run already under way obeys it from its next batch.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignSpec, CampaignStatus
from gatehouse.compliance import declared
from gatehouse.compliance.declared import DeclaredKind
from gatehouse.compliance.hours import HoursReason
from gatehouse.contacts import checks
from gatehouse.contacts.records import ContactInput
from gatehouse.contacts.service import create
from gatehouse.dispatch.batch import run_batch
from gatehouse.errors import Conflict, Forbidden
from gatehouse.identity.caller import Caller, PrincipalType, operator
from gatehouse.identity.permissions import Role
from gatehouse.providers.sandbox import sandbox
from gatehouse.vault import Provider, connect
from tests.conftest import TenantFixture
from tests.support.consent import written

NOW = datetime(2026, 12, 22, 17, 0, tzinfo=UTC)  # Tuesday: 11:00 in Louisiana
PROCLAMATION = "Proclamation No. 150 JML 2026, https://gov.louisiana.gov/proclamations/150"
CONSOLE = Caller(
    tenant_id="",
    role=Role.OWNER,
    principal_type=PrincipalType.OPERATOR,
    principal_id="usr_ops",
    platform=True,
)
CONSENT = {
    "type": "express_written",
    "channels": ["sms"],
    "obtained_at": "2026-01-05T10:00:00Z",
    "source": "import",
    "wording": "Yes, text me",
}
SPEC: dict[str, Any] = {
    "name": "Holiday hours",
    "channel": "sms",
    "audience": {"tag": "all"},
    "content": {"kind": "sms", "template": "Hi {first_name}, we are open. Reply STOP to opt out."},
    "senders": {"numbers": ["+14155550100"]},
    "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "19:00"}],
}


@pytest.mark.usefixtures("aws")
def test_an_operator_declares_a_date_and_the_record_names_them() -> None:
    added = declared.declare(CONSOLE, "la", date(2026, 12, 24), DeclaredKind.HOLIDAY, PROCLAMATION)
    assert (added.state, added.added_by, added.source) == ("LA", "operator:usr_ops", PROCLAMATION)
    assert [d.date_id for d in declared.listed_for(["LA"])] == [added.date_id]
    assert declared.listed_for(["TX"]) == []
    with pytest.raises(Conflict):
        declared.declare(CONSOLE, "LA", date(2026, 12, 24), DeclaredKind.HOLIDAY, PROCLAMATION)


@pytest.mark.usefixtures("aws")
def test_a_withdrawn_date_stops_applying_and_its_record_stays() -> None:
    added = declared.declare(
        CONSOLE, "TX", date(2026, 9, 1), DeclaredKind.EMERGENCY, "Texas disaster order 9"
    )
    gone = declared.withdraw(CONSOLE, added.date_id, "proclamation rescinded")
    assert (gone.withdrawn_by, gone.withdrawal_reason) == ("operator:usr_ops", "proclamation rescinded")
    assert declared.listed_for(["TX"]) == []
    assert declared.in_force() == ()
    [kept] = [d for d in declared.all_dates() if d.date_id == added.date_id]
    assert kept.added_by == "operator:usr_ops"
    assert kept.withdrawn_at is not None
    with pytest.raises(Conflict):
        declared.withdraw(CONSOLE, added.date_id, "again")


def test_only_a_platform_operator_declares(tenant_a: TenantFixture) -> None:
    inside = operator(tenant_a.tenant_id, "usr_ops", request_id="r")  # an operator inside a tenant
    with pytest.raises(Forbidden):
        declared.declare(inside, "LA", date(2026, 12, 24), DeclaredKind.HOLIDAY, PROCLAMATION)


@pytest.fixture
def louisiana_run(tenant_a: TenantFixture) -> dict[str, Any]:
    sandbox().reset()
    scope = tenant_a.scope
    ops = operator(tenant_a.tenant_id, "fixtures", request_id="fixtures")
    connect(
        scope, ops, Provider.DNC, {"provider_name": "sandbox-dnc", "api_key": "sandbox-dnc-key-0123456789"}
    )
    twilio = {"account_sid": "AC" + "1" * 32, "auth_token": "2" * 32, "sender_numbers": ["+14155550100"]}
    connect(scope, ops, Provider.TWILIO, twilio)
    people = [
        {
            "phone": f"+1504555010{n}",
            "first_name": f"P{n}",
            "state": "LA",
            "consent": [written(CONSENT, f"+1504555010{n}")],
        }
        for n in range(2)
    ]
    ids = [
        create(
            scope,
            ops,
            ContactInput.model_validate(person),
            suppressed=checks.suppressed,
            scrub=checks.scrub,
            clock=lambda: NOW - timedelta(days=1),
        ).contact_id
        for person in people
    ]
    campaign = lifecycle.create(scope, ops, CampaignSpec.model_validate(SPEC))
    lifecycle.transition(scope, ops, campaign.campaign_id, "submit")
    lifecycle.transition(scope, ops, campaign.campaign_id, "approve")
    approved = scope.require(Campaign, campaign.campaign_id)
    scope.save(approved.model_copy(update={"status": CampaignStatus.RUNNING}))
    return {"scope": scope, "ids": ids, "campaign_id": campaign.campaign_id}


def _batch(world: dict[str, Any], contact_ids: list[str], now: datetime) -> Any:
    return run_batch(
        world["scope"],
        world["campaign_id"],
        "run-1",
        contact_ids,
        now=now,
        suppressed=checks.suppressed,
        scrub=checks.scrub,
        billing=lambda _: "active",
    )


def test_a_date_declared_while_a_run_is_under_way_applies_to_its_next_batch(
    louisiana_run: dict[str, Any],
) -> None:
    first, second = louisiana_run["ids"]
    assert list(_batch(louisiana_run, [first], NOW).sent) == [first]  # an ordinary Tuesday

    # The governor proclaims today a holiday; operators add it between two batches of the run.
    declared.declare(CONSOLE, "LA", NOW.date(), DeclaredKind.HOLIDAY, PROCLAMATION)
    result = _batch(louisiana_run, [second], NOW + timedelta(minutes=5))

    assert result.sent == {}
    assert result.deferred_why == {second: HoursReason.STATE_HOLIDAY.value}
    assert result.deferred[second] == datetime(2026, 12, 23, 15, 0, tzinfo=UTC)  # 9am tomorrow, Louisiana
    sandbox().reset()
