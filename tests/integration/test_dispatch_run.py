"""A campaign run's tasks against moto: start, gate 1, paging the audience, settling a failed batch, the end.

The state machine itself runs end to end in tests/e2e/test_demo_campaign.py; here each
task is called as its handler would call it, with the faults the workflow must survive.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from gatehouse import audit
from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignSpec, CampaignStatus
from gatehouse.config import get_settings
from gatehouse.contacts.records import Contact
from gatehouse.dispatch import run as runs
from gatehouse.dispatch import settle
from gatehouse.dispatch.claims import claim
from gatehouse.dispatch.outcomes import OutcomeStatus
from gatehouse.errors import Conflict, Forbidden, TenantNotActive, Unavailable
from gatehouse.identity.caller import operator, system
from gatehouse.identity.tenants import TenantEntry, TenantStatus
from gatehouse.tenancy import get_directory
from tests.conftest import TenantFixture
from tests.integration import test_dispatch_batch as batch_tests
from tests.integration.test_dispatch_batch import NOW, SPEC
from tests.support.outcomes import outcome_of

world = batch_tests.world  # the same tenant, contacts and running campaign as the batch tests

CONTACT_ID = "con_" + "a" * 26


def ids_of(n: int) -> list[str]:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return [f"con_{alphabet[i // 32 % 32]}{alphabet[i % 32]}" + "q" * 24 for i in range(n)]


def approved(tenant: TenantFixture, spec: dict[str, Any] = SPEC) -> str:
    ops = operator(tenant.tenant_id, "fixtures", request_id="fixtures")
    campaign = lifecycle.create(tenant.scope, ops, CampaignSpec.model_validate(spec))
    lifecycle.transition(tenant.scope, ops, campaign.campaign_id, "submit")
    lifecycle.transition(tenant.scope, ops, campaign.campaign_id, "approve")
    return campaign.campaign_id


def run_input(tenant: TenantFixture, campaign_id: str, run_id: str = "run_" + "b" * 26) -> runs.RunInput:
    return runs.RunInput(tenant_id=tenant.tenant_id, campaign_id=campaign_id, run_id=run_id)


# ------------------------------------------------------------------ start
def test_start_moves_the_campaign_to_running_and_starts_one_execution_named_by_the_run(
    tenant_a: TenantFixture,
) -> None:
    campaign_id = approved(tenant_a)
    owner = operator(tenant_a.tenant_id, "owner", request_id="r1")
    campaign, run = runs.start_run(tenant_a.scope, owner, campaign_id)
    assert campaign.status is CampaignStatus.RUNNING
    sfn = boto3.client("stepfunctions")
    (execution,) = sfn.list_executions(stateMachineArn=get_settings().dispatch_state_machine_arn)[
        "executions"
    ]
    assert execution["name"] == run.run_id
    started = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    # ids only: nothing about the contacts, nothing secret
    assert started == {"tenant_id": tenant_a.tenant_id, "campaign_id": campaign_id, "run_id": run.run_id}
    actions = [e.action for e in audit.list_entries(tenant_a.tenant_id, limit=100).items]
    assert {"campaign.started", "dispatch_run.started"} <= set(actions)
    with pytest.raises(Conflict):  # a second start of a running campaign
        runs.start_run(tenant_a.scope, owner, campaign_id)


def test_a_workflow_that_cannot_start_leaves_the_campaign_paused_with_the_reason(
    tenant_a: TenantFixture,
) -> None:
    campaign_id = approved(tenant_a)
    owner = operator(tenant_a.tenant_id, "owner", request_id="r1")
    sfn = boto3.client("stepfunctions")
    with Stubber(sfn) as stub:
        stub.add_client_error("start_execution", "ThrottlingException", http_status_code=400)
        with pytest.raises(Unavailable):
            runs.start_run(tenant_a.scope, owner, campaign_id, sfn=sfn)
    campaign = tenant_a.scope.require(Campaign, campaign_id)
    assert (campaign.status, campaign.history[-1].reason) == (CampaignStatus.PAUSED, "run_not_started")
    (run,) = runs.list_runs(tenant_a.scope, campaign_id)
    assert run.status is runs.RunStatus.NOT_STARTED


def test_only_gatehouse_completes_a_campaign(tenant_a: TenantFixture) -> None:
    campaign_id = approved(tenant_a)
    owner = operator(tenant_a.tenant_id, "owner", request_id="r1")
    lifecycle.transition(tenant_a.scope, owner, campaign_id, "start")
    with pytest.raises(Forbidden):
        lifecycle.transition(tenant_a.scope, owner, campaign_id, "complete")
    done = lifecycle.transition(
        tenant_a.scope, system(tenant_a.tenant_id, "dispatch"), campaign_id, "complete"
    )
    assert done.status is CampaignStatus.COMPLETED


# ------------------------------------------------------------------ gate 1 for the run
def test_gate_one_admits_only_a_running_campaign_of_an_active_tenant(tenant_a: TenantFixture) -> None:
    campaign_id = approved(tenant_a)
    with pytest.raises(Conflict):  # approved, not running
        runs.check_run(run_input(tenant_a, campaign_id))
    lifecycle.transition(
        tenant_a.scope, operator(tenant_a.tenant_id, "o", request_id="r"), campaign_id, "start"
    )
    assert runs.check_run(run_input(tenant_a, campaign_id)).status == "running"
    directory = get_directory()
    entry = directory.get(TenantEntry, tenant_a.tenant_id, "PROFILE")
    directory.save(entry.model_copy(update={"status": TenantStatus.SUSPENDED}))
    with pytest.raises(TenantNotActive):
        runs.check_run(run_input(tenant_a, campaign_id))


def test_gate_one_refuses_a_campaign_of_another_tenant(
    tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:
    campaign_id = approved(tenant_a)
    lifecycle.transition(
        tenant_a.scope, operator(tenant_a.tenant_id, "o", request_id="r"), campaign_id, "start"
    )
    with pytest.raises(Conflict):
        runs.check_run(run_input(tenant_b, campaign_id))


# ------------------------------------------------------------------ paging the audience
def test_an_explicit_audience_is_paged_in_batches_of_500_and_a_page_of_2000(tenant_a: TenantFixture) -> None:
    audience = ids_of(4350)
    campaign_id = approved(tenant_a, {**SPEC, "audience": {"contact_ids": audience}})
    lifecycle.transition(
        tenant_a.scope, operator(tenant_a.tenant_id, "o", request_id="r"), campaign_id, "start"
    )
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = runs.plan_page(runs.PageInput(**run_input(tenant_a, campaign_id).model_dump(), cursor=cursor))
        pages += 1
        assert all(1 <= len(b) <= runs.BATCH_SIZE for b in page.batches)
        assert len(page.batches) <= runs.PAGE_BATCHES
        assert not page.contiguous  # a list is in its own order: its batches are read by key
        seen.extend(cid for b in page.batches for cid in b)
        cursor = page.cursor
        if cursor is None:
            break
    assert (seen, pages) == (audience, 3)


def test_a_filtered_audience_lists_only_matching_live_contacts(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    scope = world["scope"]
    tagged = [world["ids"]["ann"], world["ids"]["bo"]]
    for cid in tagged:
        contact = scope.require(Contact, cid)
        scope.save(contact.model_copy(update={"tags": ["vip"]}))
    page = runs.plan_page(runs.PageInput(**run_input(tenant_a, world["campaign_id"]).model_dump()))
    assert sorted(cid for b in page.batches for cid in b) == sorted(tagged)
    assert page.cursor is None


def test_a_campaign_that_stopped_running_plans_no_more_batches(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    lifecycle.transition(world["scope"], world["ops"], world["campaign_id"], "pause")
    page = runs.plan_page(
        runs.PageInput(**run_input(tenant_a, world["campaign_id"]).model_dump(), cursor="x")
    )
    assert (page.batches, page.cursor) == ([], None)


# ------------------------------------------------------------------ a failed batch
def test_a_failed_batch_is_accounted_for_without_sending(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    scope, ids = world["scope"], world["ids"]
    run_id = "run_" + "c" * 26
    claim(scope, world["campaign_id"], run_id, [(ids["ann"], 1)], NOW)  # claimed, then the task died
    batch = runs.BatchInput(
        **run_input(tenant_a, world["campaign_id"], run_id).model_dump(), contact_ids=list(ids.values())
    )
    counts = settle.settle_batch(batch, clock=lambda: NOW)
    assert counts == {"send_failed:send_unconfirmed": 1, "deferred:batch_failed": len(ids) - 1}
    ann = outcome_of(scope, f"{world['campaign_id']}#{ids['ann']}")
    assert (ann.status, ann.reason, ann.attempts) == (OutcomeStatus.SEND_FAILED, "send_unconfirmed", 1)
    bo = outcome_of(scope, f"{world['campaign_id']}#{ids['bo']}")
    retry_at = NOW + timedelta(minutes=15)
    assert (bo.status, bo.until, bo.failed_batches) == (OutcomeStatus.DEFERRED, retry_at, 1)
    # settled again (the Catch's task redelivered): nothing changes, never a second send
    assert settle.settle_batch(batch, clock=lambda: NOW + timedelta(minutes=1)) == {}
    assert outcome_of(scope, f"{world['campaign_id']}#{ids['ann']}").reason == "send_unconfirmed"


def test_a_contact_whose_batches_keep_failing_is_tried_again_then_blocked(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    """A passing fault loses no one: deferred 15 then 30 minutes, blocked at the third failed batch."""
    scope, bo = world["scope"], world["ids"]["bo"]
    batch = runs.BatchInput(
        **run_input(tenant_a, world["campaign_id"], "run_" + "d" * 26).model_dump(), contact_ids=[bo]
    )
    key = f"{world['campaign_id']}#{bo}"
    at = NOW
    seen = []
    for _ in range(3):
        settle.settle_batch(batch, clock=lambda at=at: at)  # type: ignore[misc]
        outcome = outcome_of(scope, key)
        seen.append((outcome.status, outcome.until))
        at = outcome.until or at  # the deferred run tries it when it falls due, and fails again
    assert seen == [
        (OutcomeStatus.DEFERRED, NOW + timedelta(minutes=15)),
        (OutcomeStatus.DEFERRED, NOW + timedelta(minutes=45)),
        (OutcomeStatus.BLOCKED, None),
    ]
    assert outcome_of(scope, key).reason == "batch_failed"


def test_a_failed_batch_leaves_earlier_sends_as_they_were(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    first = batch_tests.run(world, run_id="run_" + "d" * 26)
    assert world["ids"]["ann"] in first.sent
    batch = runs.BatchInput(
        **run_input(tenant_a, world["campaign_id"], "run_" + "e" * 26).model_dump(),
        contact_ids=[world["ids"]["ann"]],
    )
    assert settle.settle_batch(batch) == {}
    ann = outcome_of(world["scope"], f"{world['campaign_id']}#{world['ids']['ann']}")
    assert ann.status is OutcomeStatus.SENT


# ------------------------------------------------------------------ the run's end
def test_the_end_of_a_run_records_counts_and_completes_a_campaign_with_nothing_deferred(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    scope, campaign_id = world["scope"], world["campaign_id"]
    record = scope.save(
        runs.DispatchRun(
            run_id="run_" + "f" * 26,
            campaign_id=campaign_id,
            status=runs.RunStatus.STARTED,
            started_at=NOW,
            started_by="user:x",
        )
    )
    batch_tests.run(world, run_id=record.run_id)
    end = settle.finish_run(run_input(tenant_a, campaign_id, record.run_id), clock=lambda: NOW)
    assert end.status is runs.RunStatus.FINISHED
    assert (end.counts["sent"], end.counts["blocked"]) == (1, len(batch_tests.EXPECTED_BLOCKED))
    assert end.campaign_status == "completed"
    stored = scope.require(runs.DispatchRun, f"{campaign_id}#{record.run_id}")
    assert (stored.status, stored.counts) == (runs.RunStatus.FINISHED, end.counts)
    # a redelivered end changes nothing
    again = settle.finish_run(
        run_input(tenant_a, campaign_id, record.run_id), clock=lambda: NOW + timedelta(hours=1)
    )
    assert again == end
    assert scope.require(runs.DispatchRun, f"{campaign_id}#{record.run_id}").finished_at == NOW


def test_a_run_that_deferred_contacts_leaves_the_campaign_running(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    night = datetime(2026, 3, 11, 3, 0, tzinfo=UTC)  # 23:00 in New York
    batch_tests.run(world, run_id="run_" + "g" * 26, now=night)
    end = settle.finish_run(run_input(tenant_a, world["campaign_id"], "run_" + "g" * 26), clock=lambda: night)
    assert end.counts["deferred"] == 1
    assert end.campaign_status == "running"


def test_a_blocked_run_is_recorded_and_the_campaign_left_as_it_is(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    scope, campaign_id = world["scope"], world["campaign_id"]
    run_id = "run_" + "h" * 26
    scope.save(
        runs.DispatchRun(
            run_id=run_id,
            campaign_id=campaign_id,
            status=runs.RunStatus.STARTED,
            started_at=NOW,
            started_by="user:x",
        )
    )
    end = settle.finish_run(run_input(tenant_a, campaign_id, run_id), blocked=True, clock=lambda: NOW)
    assert end.status is runs.RunStatus.BLOCKED
    assert end.campaign_status == "running"
    assert scope.require(runs.DispatchRun, f"{campaign_id}#{run_id}").reason == "run_gate_refused"


# ------------------------------------------------------------------ deferred attempts
def test_deferred_contacts_get_a_run_of_their_own_when_their_window_opens(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    from gatehouse.jobs.dispatch_deferred import run_dispatch_deferred
    from gatehouse.jobs.tenants import Deadline

    scope, campaign_id, ann = world["scope"], world["campaign_id"], world["ids"]["ann"]
    night = datetime(2026, 3, 11, 3, 0, tzinfo=UTC)  # 23:00 in New York: Ann is deferred
    first = batch_tests.run(world, run_id="run_" + "j" * 26, now=night)
    opens = first.deferred[ann]
    sfn = boto3.client("stepfunctions")
    machine = get_settings().dispatch_state_machine_arn

    before_window = runs.start_deferred_runs(scope, now=opens - timedelta(minutes=1))
    assert before_window == {"due_campaigns": 0, "started": 0, "waiting": 0}
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []

    run_dispatch_deferred(deadline=Deadline.unlimited(), clock=lambda: opens + timedelta(seconds=1))
    (execution,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    run_id = deferred_run_id_of(execution)
    record = scope.require(runs.DispatchRun, f"{campaign_id}#{run_id}")
    assert (record.kind, record.started_by) == (runs.RunKind.DEFERRED, "system:dispatch-deferred")
    # the run's pages hold exactly the contacts that fell due
    page = runs.plan_page(runs.PageInput(**run_input(tenant_a, campaign_id, run_id).model_dump()))
    assert page.batches == [[ann]]

    # the same tick again, and the next tick while that run still goes: nothing more starts
    again = runs.start_deferred_runs(scope, now=opens + timedelta(seconds=2))
    later = runs.start_deferred_runs(scope, now=opens + timedelta(minutes=6))
    assert (again["started"], later["started"]) == (0, 0)
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1

    # the deferred run sends her once; her outcome leaves the index, so no tick finds her again
    sent = batch_tests.run(world, run_id=run_id, now=opens + timedelta(minutes=1))
    assert ann in sent.sent
    settle.finish_run(run_input(tenant_a, campaign_id, run_id), clock=lambda: opens + timedelta(minutes=2))
    assert runs.start_deferred_runs(scope, now=opens + timedelta(hours=1))["due_campaigns"] == 0


def test_deferred_contacts_of_a_paused_campaign_wait_for_its_resume(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    scope, ann = world["scope"], world["ids"]["ann"]
    night = datetime(2026, 3, 11, 3, 0, tzinfo=UTC)
    opens = batch_tests.run(world, run_id="run_" + "k" * 26, now=night).deferred[ann]
    lifecycle.transition(scope, world["ops"], world["campaign_id"], "pause")
    assert runs.start_deferred_runs(scope, now=opens + timedelta(minutes=1)) == {
        "due_campaigns": 1,
        "started": 0,
        "waiting": 1,
    }


def deferred_run_id_of(execution: dict[str, Any]) -> str:
    return str(execution["name"])


def test_a_tenant_whose_deferred_pickup_fails_leaves_the_others_started(
    world: dict[str, Any], tenant_a: TenantFixture, tenant_b: TenantFixture
) -> None:
    from gatehouse.contacts import checks
    from gatehouse.contacts.records import ContactInput
    from gatehouse.contacts.service import create
    from gatehouse.jobs.dispatch_deferred import run_dispatch_deferred
    from gatehouse.jobs.tenants import Deadline, JobFailed
    from gatehouse.vault import Provider, connect

    night = datetime(2026, 3, 11, 3, 0, tzinfo=UTC)
    opens = batch_tests.run(world, run_id="run_" + "m" * 26, now=night).deferred[world["ids"]["ann"]]
    # tenant B: one contact deferred by its own running campaign
    ops_b = operator(tenant_b.tenant_id, "fixtures", request_id="fixtures")
    connect(
        tenant_b.scope,
        ops_b,
        Provider.DNC,
        {"provider_name": "sandbox-dnc", "api_key": "sandbox-dnc-key-0123456789"},
    )
    connect(tenant_b.scope, ops_b, Provider.TWILIO, batch_tests.TWILIO)
    person = ContactInput.model_validate(batch_tests.PEOPLE["ann"])
    contact = create(
        tenant_b.scope, ops_b, person, suppressed=checks.suppressed, scrub=checks.scrub, clock=lambda: night
    )
    campaign_b = approved(tenant_b, {**SPEC, "audience": {"contact_ids": [contact.contact_id]}})
    lifecycle.transition(tenant_b.scope, ops_b, campaign_b, "start")
    from gatehouse.dispatch.batch import run_batch

    run_batch(
        tenant_b.scope,
        campaign_b,
        "run_" + "n" * 26,
        [contact.contact_id],
        now=night,
        suppressed=checks.suppressed,
        scrub=checks.scrub,
        billing=batch_tests.good_standing,
    )
    # tenant A's campaign record is unreadable (a broken item): its pickup fails
    table = boto3.resource("dynamodb").Table(get_settings().main_table)
    table.put_item(
        Item={
            "pk": f"{tenant_a.tenant_id}#CAMPAIGN",
            "sk": world["campaign_id"],
            "kind": "Campaign",
            "version": 1,
            "data": "{",
        }
    )

    with pytest.raises(JobFailed) as failed:
        run_dispatch_deferred(deadline=Deadline.unlimited(), clock=lambda: opens + timedelta(seconds=1))
    assert [r.tenant_id for r in failed.value.run.failures] == [tenant_a.tenant_id]
    (run_b,) = [r for r in runs.list_runs(tenant_b.scope, campaign_b) if r.kind is runs.RunKind.DEFERRED]
    assert run_b.status is runs.RunStatus.STARTED
