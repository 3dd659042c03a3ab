"""Campaigns scheduled ahead, against moto's EventBridge Scheduler and DynamoDB Local.

Issue 20, "Scheduled campaigns": a start before ``start_at`` creates a one-time schedule
(``at()``, flexible window off, deleted after it fires) whose input names only the tenant
and the campaign; starting again moves it (UpdateSchedule), cancelling or editing deletes
it (a missing one is fine); the scheduled start asks everything again, so a schedule left
behind never starts a cancelled or edited campaign; past ``end_at`` the planner plans
nothing and the run's end blocks the contacts never reached as ``window_closed``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from gatehouse import audit
from gatehouse.campaigns import lifecycle, schedules, timing
from gatehouse.campaigns.records import Campaign, CampaignSpec, CampaignStatus
from gatehouse.config import get_settings
from gatehouse.dispatch import run as runs
from gatehouse.dispatch import scheduled, settle
from gatehouse.dispatch.outcomes import ContactOutcome, OutcomeStatus, find
from gatehouse.errors import Conflict, Forbidden, Unavailable
from gatehouse.identity.caller import operator
from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture
from tests.integration.test_dispatch_batch import NOW, SPEC

GROUP = "gatehouse-test-campaign-starts"
TARGET = "arn:aws:lambda:us-east-1:123456789012:function:gatehouse-test-scheduler:live"
ROLE = "arn:aws:iam::123456789012:role/gatehouse-test-campaign-schedule"
DLQ = "arn:aws:sqs:us-east-1:123456789012:gatehouse-test-scheduler-dlq"
START = NOW + timedelta(hours=1)
SETTINGS = {
    "GATEHOUSE_CAMPAIGN_SCHEDULE_GROUP": GROUP,
    "GATEHOUSE_CAMPAIGN_SCHEDULE_TARGET_ARN": TARGET,
    "GATEHOUSE_CAMPAIGN_SCHEDULE_ROLE_ARN": ROLE,
    "GATEHOUSE_CAMPAIGN_SCHEDULE_DLQ_ARN": DLQ,
}


def at(moment: Any) -> Any:
    return lambda: moment


@pytest.fixture
def group(aws: None) -> Iterator[Any]:
    client = boto3.client("scheduler")
    client.create_schedule_group(Name=GROUP)
    os.environ.update(SETTINGS)
    get_settings.cache_clear()
    try:
        yield client
    finally:
        for name in SETTINGS:
            os.environ.pop(name, None)
        get_settings.cache_clear()


def approved(tenant: TenantFixture, **timing_: Any) -> str:
    """A campaign approved at NOW, with the given start_at / end_at."""
    ops = operator(tenant.tenant_id, "fixtures", request_id="fixtures")
    spec = CampaignSpec.model_validate({**SPEC, **timing_})
    campaign = lifecycle.create(tenant.scope, ops, spec, clock=at(NOW))
    for action in ("submit", "approve"):
        lifecycle.transition(tenant.scope, ops, campaign.campaign_id, action, clock=at(NOW))
    return campaign.campaign_id


def owner(tenant: TenantFixture) -> Any:
    return operator(tenant.tenant_id, "owner", request_id="r1")


def schedule_of(client: Any, campaign_id: str) -> dict[str, Any]:
    return client.get_schedule(GroupName=GROUP, Name=timing.schedule_name(campaign_id))  # type: ignore[no-any-return]


def names(client: Any) -> list[str]:
    return [s["Name"] for s in client.list_schedules(GroupName=GROUP)["Schedules"]]


def executions() -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions")
    return sfn.list_executions(stateMachineArn=get_settings().dispatch_state_machine_arn)["executions"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------ the schedule itself
def test_a_schedule_is_created_once_per_campaign_moved_by_a_second_put_and_deleted_idempotently(
    group: Any,
) -> None:
    tenant_id, campaign_id = "tnt_" + "a" * 26, "cmp_" + "b" * 26
    schedules.put_start(tenant_id, campaign_id, START)
    made = schedule_of(group, campaign_id)
    assert made["ScheduleExpression"] == timing.at_expression(START)
    assert made["ScheduleExpressionTimezone"] == "UTC"
    assert made["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert made["ActionAfterCompletion"] == "DELETE"
    assert (made["Target"]["Arn"], made["Target"]["RoleArn"]) == (TARGET, ROLE)
    assert made["Target"]["DeadLetterConfig"] == {"Arn": DLQ}
    # ids only: nothing about contacts, nothing secret
    assert json.loads(made["Target"]["Input"]) == {
        "job": "campaign_start",
        "tenant_id": tenant_id,
        "campaign_id": campaign_id,
    }
    later = START + timedelta(days=1)
    schedules.put_start(tenant_id, campaign_id, later)  # the same name: moved, not a second one
    assert schedule_of(group, campaign_id)["ScheduleExpression"] == timing.at_expression(later)
    assert names(group) == [timing.schedule_name(campaign_id)]
    assert schedules.delete_start(campaign_id) is True
    assert schedules.delete_start(campaign_id) is False  # already gone (fired, or deleted): fine
    assert names(group) == []


# ------------------------------------------------------------------ start: now or scheduled
def test_a_start_before_start_at_schedules_the_campaign_and_starts_no_run(
    tenant_a: TenantFixture, group: Any
) -> None:
    campaign_id = approved(tenant_a, start_at=START)
    found = scheduled.start(tenant_a.scope, owner(tenant_a), campaign_id, clock=at(NOW))
    assert (found.campaign.status, found.run, found.scheduled_for) == (CampaignStatus.SCHEDULED, None, START)
    assert schedule_of(group, campaign_id)["ScheduleExpression"] == timing.at_expression(START)
    assert executions() == []
    assert runs.list_runs(tenant_a.scope, campaign_id) == []
    actions = [e.action for e in audit.list_entries(tenant_a.tenant_id, limit=100).items]
    assert "campaign.scheduled" in actions
    assert "dispatch_run.started" not in actions
    # Started early again: still scheduled, one schedule, no second transition.
    again = scheduled.start(tenant_a.scope, owner(tenant_a), campaign_id, clock=at(NOW))
    assert again.campaign.version == found.campaign.version
    assert names(group) == [timing.schedule_name(campaign_id)]


def test_a_campaign_without_start_at_or_started_after_it_runs_now(
    tenant_a: TenantFixture, group: Any
) -> None:
    for spec in ({}, {"start_at": START}):
        campaign_id = approved(tenant_a, **spec)
        found = scheduled.start(tenant_a.scope, owner(tenant_a), campaign_id, clock=at(START))
        assert found.campaign.status is CampaignStatus.RUNNING
        assert found.run is not None
    assert names(group) == []
    assert len(executions()) == 2


def test_a_schedule_that_cannot_be_created_leaves_the_campaign_approved(
    tenant_a: TenantFixture, group: Any
) -> None:
    campaign_id = approved(tenant_a, start_at=START)
    client = boto3.client("scheduler")
    with Stubber(client) as stub:
        stub.add_client_error("create_schedule", "ThrottlingException", http_status_code=400)
        with pytest.raises(Unavailable):
            scheduled.start(tenant_a.scope, owner(tenant_a), campaign_id, clock=at(NOW), scheduler=client)
    campaign = tenant_a.scope.require(Campaign, campaign_id)
    assert (campaign.status, campaign.history[-1].reason) == (CampaignStatus.APPROVED, "schedule_not_created")


def test_a_member_cannot_schedule_nor_start_on_the_schedules_behalf(
    tenant_a: TenantFixture, group: Any
) -> None:
    campaign_id = approved(tenant_a, start_at=START)
    member = dataclasses.replace(owner(tenant_a), role=Role.MEMBER)
    with pytest.raises(Forbidden):
        scheduled.start(tenant_a.scope, member, campaign_id, clock=at(NOW))
    scheduled.start(tenant_a.scope, owner(tenant_a), campaign_id, clock=at(NOW))
    with pytest.raises(Forbidden):  # only Gatehouse starts on schedule
        lifecycle.transition(tenant_a.scope, owner(tenant_a), campaign_id, "start_scheduled", clock=at(START))


# ------------------------------------------------------------------ the schedule fires
def test_the_scheduled_start_runs_the_campaign_only_once_start_at_has_come(
    tenant_a: TenantFixture, group: Any
) -> None:
    campaign_id = approved(tenant_a, start_at=START)
    scheduled.start(tenant_a.scope, owner(tenant_a), campaign_id, clock=at(NOW))
    fired = schedules.ScheduledStart(tenant_id=tenant_a.tenant_id, campaign_id=campaign_id)
    early = scheduled.start_due(fired, clock=at(START - timedelta(seconds=1)))
    assert (early.started, early.refused) == (False, "start_not_reached")
    assert tenant_a.scope.require(Campaign, campaign_id).status is CampaignStatus.SCHEDULED
    due = scheduled.start_due(fired, clock=at(START))
    assert due.started
    assert due.run_id is not None
    campaign = tenant_a.scope.require(Campaign, campaign_id)
    assert campaign.status is CampaignStatus.RUNNING
    assert campaign.history[-1].by == "system:campaign-schedule"
    (execution,) = executions()
    assert execution["name"] == due.run_id
    # Delivered twice (the scheduler's at-least-once): the second finds it running and starts nothing.
    assert scheduled.start_due(fired, clock=at(START)).refused == "not_scheduled"
    assert len(executions()) == 1


def test_cancelling_deletes_the_schedule_and_a_schedule_left_behind_never_starts_it(
    tenant_a: TenantFixture, group: Any
) -> None:
    campaign_id = approved(tenant_a, start_at=START)
    scheduled.start(tenant_a.scope, owner(tenant_a), campaign_id, clock=at(NOW))
    lifecycle.transition(tenant_a.scope, owner(tenant_a), campaign_id, "cancel", clock=at(NOW))
    assert names(group) == []
    fired = schedules.ScheduledStart(tenant_id=tenant_a.tenant_id, campaign_id=campaign_id)
    assert scheduled.start_due(fired, clock=at(START)).refused == "not_scheduled"
    assert tenant_a.scope.require(Campaign, campaign_id).status is CampaignStatus.CANCELLED
    assert executions() == []


def test_editing_a_scheduled_campaign_sends_it_back_to_draft_and_deletes_its_schedule(
    tenant_a: TenantFixture, group: Any
) -> None:
    campaign_id = approved(tenant_a, start_at=START)
    scheduled.start(tenant_a.scope, owner(tenant_a), campaign_id, clock=at(NOW))
    moved = CampaignSpec.model_validate({**SPEC, "start_at": START + timedelta(hours=2)})
    edited = lifecycle.edit(tenant_a.scope, owner(tenant_a), campaign_id, moved, clock=at(NOW))
    assert (edited.status, edited.approved_by) == (CampaignStatus.DRAFT, None)
    assert names(group) == []
    fired = schedules.ScheduledStart(tenant_id=tenant_a.tenant_id, campaign_id=campaign_id)
    assert scheduled.start_due(fired, clock=at(START + timedelta(hours=3))).refused == "not_scheduled"
    with pytest.raises(Conflict):  # a draft is approved again before it can be scheduled
        scheduled.start(tenant_a.scope, owner(tenant_a), campaign_id, clock=at(NOW))


def test_a_start_already_past_is_refused_at_approval_on_its_field(
    tenant_a: TenantFixture, group: Any
) -> None:
    ops = operator(tenant_a.tenant_id, "fixtures", request_id="fixtures")
    spec = CampaignSpec.model_validate({**SPEC, "start_at": START})
    campaign = lifecycle.create(tenant_a.scope, ops, spec, clock=at(NOW))
    lifecycle.transition(tenant_a.scope, ops, campaign.campaign_id, "submit", clock=at(NOW))
    with pytest.raises(timing.TimingInvalid) as refused:
        lifecycle.transition(tenant_a.scope, ops, campaign.campaign_id, "approve", clock=at(START))
    assert refused.value.details == [
        {"field": "campaign.start_at", "reason": "start_at must be in the future"}
    ]
    assert tenant_a.scope.require(Campaign, campaign.campaign_id).status is CampaignStatus.SUBMITTED


# ------------------------------------------------------------------ past end_at
def test_past_end_at_nothing_is_planned_and_the_contacts_never_reached_are_window_closed(
    tenant_a: TenantFixture, group: Any
) -> None:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    ids = [f"con_{alphabet[i]}" + "q" * 25 for i in range(4)]
    end = START + timedelta(hours=2)
    spec = {**SPEC, "audience": {"contact_ids": ids}, "start_at": START, "end_at": end}
    campaign_id = approved(tenant_a, **spec)
    scheduled.start(tenant_a.scope, owner(tenant_a), campaign_id, clock=at(NOW))
    fired = schedules.ScheduledStart(tenant_id=tenant_a.tenant_id, campaign_id=campaign_id)
    run_id = scheduled.start_due(fired, clock=at(START)).run_id
    assert run_id is not None
    page = runs.PageInput(tenant_id=tenant_a.tenant_id, campaign_id=campaign_id, run_id=run_id)
    assert runs.plan_page(page, clock=at(START)).contacts == 4
    # What the run reached before its end: one sent, one blocked, one deferred; one never reached.
    reached = {
        ids[0]: ContactOutcome(
            campaign_id=campaign_id, contact_id=ids[0], status=OutcomeStatus.SENT, updated_at=START
        ),
        ids[1]: ContactOutcome(
            campaign_id=campaign_id,
            contact_id=ids[1],
            status=OutcomeStatus.BLOCKED,
            reason="suppressed",
            updated_at=START,
        ),
        ids[2]: ContactOutcome(
            campaign_id=campaign_id,
            contact_id=ids[2],
            status=OutcomeStatus.DEFERRED,
            reason="state_hours",
            until=end + timedelta(hours=10),
            updated_at=START,
        ),
    }
    tenant_a.scope.batch_save(reached.values())
    assert runs.plan_page(page, clock=at(end)) == runs.PlannedPage(batches=[], cursor=None, contacts=0)
    ended = settle.finish_run(page, clock=at(end + timedelta(minutes=1)))
    outcomes = find(tenant_a.scope, [f"{campaign_id}#{c}" for c in ids])
    assert [(outcomes[f"{campaign_id}#{c}"].status, outcomes[f"{campaign_id}#{c}"].reason) for c in ids] == [
        (OutcomeStatus.SENT, None),
        (OutcomeStatus.BLOCKED, "suppressed"),
        (OutcomeStatus.BLOCKED, "window_closed"),
        (OutcomeStatus.BLOCKED, "window_closed"),
    ]
    assert ended.counts.get("blocked:window_closed") == 2
    assert not ended.counts.get("deferred")
    assert ended.campaign_status == "completed"  # nothing is left to wait for
    # A redelivered end changes nothing.
    assert settle.finish_run(page, clock=at(end + timedelta(minutes=2))).counts == ended.counts
