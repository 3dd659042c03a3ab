"""Retries of unanswered campaign calls run, even when the run completed the campaign before the call ended.

The run places the call and completes the campaign; the vendor's call_ended comes later.
An unanswered call's retry reopens the campaign (audited), the deferred-attempts job runs
it when due through every gate, and that run's end completes the campaign again.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from gatehouse import audit
from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignSpec, CampaignStatus
from gatehouse.compliance.state_rules import Channel
from gatehouse.contacts.intake import refresh
from gatehouse.contacts.records import Contact
from gatehouse.dispatch import batch as batch_module
from gatehouse.dispatch import gates, settle
from gatehouse.dispatch import run as runs
from gatehouse.dispatch.claims import AttemptLedger
from gatehouse.dispatch.outcomes import ContactOutcome, OutcomeStatus
from gatehouse.dispatch.report import record
from gatehouse.identity.caller import Caller, operator
from gatehouse.jobs.dispatch_deferred import run_dispatch_deferred
from gatehouse.jobs.tenants import Deadline
from gatehouse.providers.sandbox import sandbox
from gatehouse.vault import Provider, connect
from gatehouse.webhooks import voice_events
from gatehouse.webhooks.refs import ensure_ref
from tests.conftest import TenantFixture
from tests.integration import test_dispatch_batch as batch_tests
from tests.integration.test_dispatch_batch import DISCLOSED, NOW, SPEC, TWILIO
from tests.support.outcomes import busy_deferral
from tests.support.outcomes import outcome_of as stored_outcome
from tests.support.webhooks import VOICE_CREDENTIALS, twilio_event

world = batch_tests.world  # the tenant, its contacts and providers of the batch tests
RETRY = {"attempts": 2, "spacing_minutes": 60}
ANN = "+12125550101"


def voice_campaign(world: dict[str, Any], **content: Any) -> str:
    """An approved voice campaign to Ann (voice consent) that retries an unanswered call once."""
    scope, ops = world["scope"], world["ops"]
    contact = scope.require(Contact, world["ids"]["ann"])
    consent = [c.model_copy(update={"channels": [Channel.SMS, Channel.VOICE]}) for c in contact.consent]
    scope.save(refresh(contact.model_copy(update={"consent": consent})))
    spec = {
        **SPEC,
        "channel": "voice",
        "audience": {"contact_ids": [world["ids"]["ann"]]},
        "content": {"kind": "voice", "agent_id": "agent_demo", **DISCLOSED, "retry": RETRY, **content},
        "max_attempts_per_contact": 2,
    }
    campaign = lifecycle.create(scope, ops, CampaignSpec.model_validate(spec))
    lifecycle.transition(scope, ops, campaign.campaign_id, "submit")
    lifecycle.transition(scope, ops, campaign.campaign_id, "approve")
    return campaign.campaign_id


def first_run(world: dict[str, Any], tenant: TenantFixture, campaign_id: str, at: datetime = NOW) -> str:
    """Started by its owner, one batch calls Ann, and the run's end completes the campaign: her call's id."""
    owner = operator(tenant.tenant_id, "owner", request_id="r1")
    _, run = runs.start_run(world["scope"], owner, campaign_id, clock=lambda: at)
    placed = batch_tests.run({**world, "campaign_id": campaign_id}, run_id=run.run_id, now=at)
    end = settle.finish_run(run_input(tenant, campaign_id, run.run_id), clock=lambda: at)
    assert end.campaign_status == "completed"
    return placed.sent[world["ids"]["ann"]]


def twilio_call_completed(hooks: Any, world: dict[str, Any], sid: str, *, answered_by: str) -> Any:
    """Twilio's signed call-status callback: Ann's call ``sid`` completed, answered by ``answered_by``."""
    pairs = [
        ("CallSid", sid),
        ("AccountSid", TWILIO["account_sid"]),
        ("From", "+14155550100"),
        ("To", ANN),
        ("Direction", "outbound-api"),
        ("CallStatus", "completed"),
        ("AnsweredBy", answered_by),
        ("ApiVersion", "2010-04-01"),
    ]
    ref = ensure_ref(world["scope"])
    return hooks(twilio_event(ref, pairs, token=TWILIO["auth_token"], route="call-status"))


def called_in_a_run(world: dict[str, Any], tenant: TenantFixture, campaign_id: str) -> tuple[Caller, str]:
    """Started by its owner, one batch calls Ann and the run stays open: the owner, and her call's id."""
    owner = operator(tenant.tenant_id, "owner", request_id="r1")
    _, run = runs.start_run(world["scope"], owner, campaign_id, clock=lambda: NOW)
    placed = batch_tests.run({**world, "campaign_id": campaign_id}, run_id=run.run_id)
    return owner, placed.sent[world["ids"]["ann"]]


def run_input(tenant: TenantFixture, campaign_id: str, run_id: str) -> runs.RunInput:
    return runs.RunInput(tenant_id=tenant.tenant_id, campaign_id=campaign_id, run_id=run_id)


def call_ended(world: dict[str, Any], campaign_id: str, call_id: str, ended: datetime, reason: str) -> None:
    """Retell's call_ended for the call, with the ids it was placed with, as the webhook records it."""
    call = {
        "call_id": call_id,
        "direction": "outbound",
        "to_number": ANN,
        "from_number": "+14155550100",
        "call_status": "ended" if reason == "user_hangup" else "not_connected",
        "disconnection_reason": reason,
        "end_timestamp": int(ended.timestamp() * 1000),
        "metadata": {"campaign_id": campaign_id, "contact_id": world["ids"]["ann"]},
    }
    if reason == "user_hangup":
        call["start_timestamp"] = int((ended - timedelta(minutes=2)).timestamp() * 1000)
    event = voice_events.parse(json.dumps({"event": "call_ended", "call": call}).encode())
    voice_events.record_event(world["scope"], event, request_id="vendor", clock=lambda: ended)


def outcome_of(world: dict[str, Any], campaign_id: str) -> ContactOutcome:
    return stored_outcome(world["scope"], f"{campaign_id}#{world['ids']['ann']}")


def status_of(world: dict[str, Any], campaign_id: str) -> CampaignStatus:
    return world["scope"].require(Campaign, campaign_id).status  # type: ignore[no-any-return]


def campaign_actions(tenant: TenantFixture, campaign_id: str) -> list[audit.AuditEntry]:
    entries = audit.list_entries(tenant.tenant_id, limit=200).items
    return [e for e in reversed(entries) if e.target.type == "campaign" and e.target.id == campaign_id]


def test_an_unanswered_call_after_the_run_completed_is_retried_and_the_campaign_completes_again(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    connect(world["scope"], world["ops"], Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    campaign_id = voice_campaign(world)
    first_call = first_run(world, tenant_a, campaign_id)

    ended = NOW + timedelta(minutes=3)
    call_ended(world, campaign_id, first_call, ended, "dial_no_answer")
    assert status_of(world, campaign_id) is CampaignStatus.RUNNING
    deferred = outcome_of(world, campaign_id)
    retry_at = ended + timedelta(minutes=60)
    assert (deferred.status, deferred.reason, deferred.until) == (
        OutcomeStatus.DEFERRED,
        "retry_unanswered",
        retry_at,
    )
    reopened = campaign_actions(tenant_a, campaign_id)[-1]
    assert (reopened.action, reopened.actor.label) == ("campaign.reopened_for_retry", "system:voice-retries")
    assert reopened.changes.before is not None
    assert reopened.changes.after is not None
    assert (reopened.changes.before["status"], reopened.changes.after["status"]) == ("completed", "running")
    assert reopened.changes.after["reason"] == "retry_unanswered"
    assert reopened.changes.after["contact_id"] == world["ids"]["ann"]
    assert ANN not in json.dumps(reopened.fields())  # ids only, never the number

    # Not before it is due; at its time the scheduler's deferred job starts a run of its own.
    assert runs.start_deferred_runs(world["scope"], now=retry_at - timedelta(minutes=1))["started"] == 0
    due = retry_at + timedelta(seconds=1)
    run_dispatch_deferred(deadline=Deadline.unlimited(), clock=lambda: due)
    (retry_run,) = [r for r in runs.list_runs(world["scope"], campaign_id) if r.kind is runs.RunKind.DEFERRED]
    page = runs.plan_page(runs.PageInput(**run_input(tenant_a, campaign_id, retry_run.run_id).model_dump()))
    assert page.batches == [[world["ids"]["ann"]]]
    second = batch_tests.run(
        {**world, "campaign_id": campaign_id, "ids": {"ann": world["ids"]["ann"]}},
        run_id=retry_run.run_id,
        now=due,
    )
    second_call = second.sent[world["ids"]["ann"]]
    assert second_call != first_call
    assert len(sandbox().placed_calls()) == 2
    ledger = world["scope"].require(AttemptLedger, world["ids"]["ann"])
    assert ledger.holder(campaign_id, 2) is not None  # gate 7 claimed attempt 2
    assert outcome_of(world, campaign_id).attempts == 2

    call_ended(world, campaign_id, second_call, retry_at + timedelta(minutes=5), "user_hangup")
    end = settle.finish_run(
        run_input(tenant_a, campaign_id, retry_run.run_id), clock=lambda: retry_at + timedelta(minutes=6)
    )
    assert end.campaign_status == "completed"
    assert outcome_of(world, campaign_id).status is OutcomeStatus.SENT
    assert [e.action for e in campaign_actions(tenant_a, campaign_id)] == [
        "campaign.created",
        "campaign.submitted",
        "campaign.approved",
        "campaign.started",
        "campaign.completed",
        "campaign.reopened_for_retry",
        "campaign.completed",
    ]


def test_a_repeated_call_ended_changes_nothing_the_second_time(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    connect(world["scope"], world["ops"], Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    campaign_id = voice_campaign(world)
    call_id = first_run(world, tenant_a, campaign_id)
    ended = NOW + timedelta(minutes=3)
    call_ended(world, campaign_id, call_id, ended, "voicemail_reached")
    settled = outcome_of(world, campaign_id)
    trail = campaign_actions(tenant_a, campaign_id)
    call_ended(world, campaign_id, call_id, ended + timedelta(minutes=30), "voicemail_reached")
    assert outcome_of(world, campaign_id) == settled
    assert campaign_actions(tenant_a, campaign_id) == trail


@pytest.mark.parametrize("loser_wrote", ["after_the_mark", "before_the_mark"])
def test_an_unanswered_call_is_retried_when_a_losing_execution_deferred_its_contact_as_busy(
    world: dict[str, Any], tenant_a: TenantFixture, loser_wrote: str
) -> None:
    """Another execution of the batch lost every claim round for Ann and recorded her as busy, after
    the winner's call was marked (it then writes nothing) or before (its deferral, no attempt, lies
    under the call's mark): her call, unanswered, still gets its retry, written over that deferral."""
    connect(world["scope"], world["ops"], Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    campaign_id = voice_campaign(world)
    _, call_id = called_in_a_run(world, tenant_a, campaign_id)
    scope, ann = world["scope"], world["ids"]["ann"]
    if loser_wrote == "after_the_mark":
        loser = batch_module.BatchResult()
        loser.note(ann, gates.still_contested(NOW))  # read before the winner claimed, contested since
        record(scope, campaign_id, {ann: scope.require(Contact, ann)}, {}, set(), loser, NOW)
    else:
        scope.save(busy_deferral(campaign_id, ann, NOW))  # what the race's other order leaves
    assert outcome_of(world, campaign_id).provider_ref == call_id  # the call stands on the report

    ended = NOW + timedelta(minutes=3)
    call_ended(world, campaign_id, call_id, ended, "dial_no_answer")
    deferred = outcome_of(world, campaign_id)
    assert (deferred.status, deferred.reason, deferred.until, deferred.attempts) == (
        OutcomeStatus.DEFERRED,
        "retry_unanswered",
        ended + timedelta(minutes=60),
        1,
    )


def test_a_cancelled_campaign_is_never_reopened_and_its_call_settles_as_it_ended(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    connect(world["scope"], world["ops"], Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    campaign_id = voice_campaign(world)
    owner, call_id = called_in_a_run(world, tenant_a, campaign_id)
    lifecycle.transition(world["scope"], owner, campaign_id, "cancel")
    call_ended(world, campaign_id, call_id, NOW + timedelta(minutes=3), "dial_busy")
    assert status_of(world, campaign_id) is CampaignStatus.CANCELLED
    outcome = outcome_of(world, campaign_id)
    assert (outcome.status, outcome.reason, outcome.until) == (OutcomeStatus.SENT, "busy", None)
    assert "campaign.reopened_for_retry" not in [e.action for e in campaign_actions(tenant_a, campaign_id)]


def test_a_call_whose_attempts_are_used_up_leaves_the_campaign_completed(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    """The campaign's retry policy bounds the attempts: the last one unanswered is final, no reopening."""
    connect(world["scope"], world["ops"], Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    campaign_id = voice_campaign(world, retry={"attempts": 1, "spacing_minutes": 60})
    call_id = first_run(world, tenant_a, campaign_id)
    call_ended(world, campaign_id, call_id, NOW + timedelta(minutes=3), "dial_no_answer")
    assert status_of(world, campaign_id) is CampaignStatus.COMPLETED
    outcome = outcome_of(world, campaign_id)
    assert (outcome.status, outcome.reason) == (OutcomeStatus.SENT, "no_answer")


def test_a_retry_that_would_fall_after_calling_hours_waits_for_the_next_window(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    """47 CFR 64.1200(c)(1) (8am-9pm local) and the campaign's window (10:00-20:00): the retry waits.

    Ann is in New York; her call ends at 19:30 there, so ended + 60 minutes is past the
    window: the retry is due when the window opens the next weekday, and the reopened
    campaign's deferred job starts nothing before.
    """
    connect(world["scope"], world["ops"], Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    campaign_id = voice_campaign(world)
    evening = NOW + timedelta(hours=5)  # 23:00 UTC: 19:00 in New York
    call_id = first_run(world, tenant_a, campaign_id, at=evening)
    call_ended(world, campaign_id, call_id, evening + timedelta(minutes=30), "dial_no_answer")
    outcome = outcome_of(world, campaign_id)
    opens = NOW + timedelta(hours=20)  # Wednesday 10:00 in New York
    assert (outcome.status, outcome.until) == (OutcomeStatus.DEFERRED, opens)
    assert status_of(world, campaign_id) is CampaignStatus.RUNNING
    assert runs.start_deferred_runs(world["scope"], now=opens - timedelta(minutes=1))["started"] == 0


def test_a_run_ending_while_the_call_ends_reopens_the_campaign_from_its_recount(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    """The retry deferred after the run's first count, with the campaign still running: the end reopens it."""
    connect(world["scope"], world["ops"], Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    campaign_id = voice_campaign(world)
    owner = operator(tenant_a.tenant_id, "owner", request_id="r1")
    _, run = runs.start_run(world["scope"], owner, campaign_id, clock=lambda: NOW)
    call_id = batch_tests.run({**world, "campaign_id": campaign_id}, run_id=run.run_id).sent[
        world["ids"]["ann"]
    ]
    from gatehouse.dispatch import report

    counted = report.tally

    def count_then_the_call_ends(scope: Any, cid: str) -> dict[str, int]:
        counts = counted(scope, cid)
        if not counts.get("deferred"):  # the first count: the call ends before the campaign completes
            call_ended(world, campaign_id, call_id, NOW + timedelta(minutes=3), "dial_no_answer")
        return counts

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report, "tally", count_then_the_call_ends)
        end = settle.finish_run(run_input(tenant_a, campaign_id, run.run_id), clock=lambda: NOW)
    assert end.campaign_status == "running"
    assert end.counts["deferred:retry_unanswered"] == 1
    actions = [e.action for e in campaign_actions(tenant_a, campaign_id)]
    assert actions[-2:] == ["campaign.completed", "campaign.reopened_for_retry"]


def test_a_call_twilio_placed_that_nobody_answered_is_retried(  # type: ignore[no-untyped-def]
    hooks, world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    """Twilio's call status names no campaign: the call is the one the contact's campaign outcome holds."""
    content = {"placed_by": "twilio", "agent_sip_uri": "sip:agent_demo@sip.example"}
    campaign_id = voice_campaign(world, **content)
    sid = first_run(world, tenant_a, campaign_id)
    reply = twilio_call_completed(hooks, world, sid, answered_by="machine_end_beep")
    assert reply.status == 200, reply.body
    assert status_of(world, campaign_id) is CampaignStatus.RUNNING
    outcome = outcome_of(world, campaign_id)
    assert (outcome.status, outcome.reason, outcome.provider_ref) == (
        OutcomeStatus.DEFERRED,
        "retry_unanswered",
        sid,
    )


def test_a_call_that_ends_unanswered_before_its_batch_records_it_is_still_retried(
    world: dict[str, Any], tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vendor's call_ended comes while the batch still runs: the webhook finds no outcome holding
    the call yet, and the batch, recording it, finds how the call ended and defers the retry."""
    connect(world["scope"], world["ops"], Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    campaign_id = voice_campaign(world)
    owner = operator(tenant_a.tenant_id, "owner", request_id="r1")
    _, run = runs.start_run(world["scope"], owner, campaign_id, clock=lambda: NOW)
    ended = NOW + timedelta(seconds=20)
    placing = batch_module.send

    def place_then_the_call_ends(*args: Any, **kwargs: Any) -> Any:
        sends = placing(*args, **kwargs)
        for call_id in sends.sent.values():
            call_ended(world, campaign_id, call_id, ended, "dial_busy")
        return sends

    monkeypatch.setattr(batch_module, "send", place_then_the_call_ends)
    placed = batch_tests.run({**world, "campaign_id": campaign_id}, run_id=run.run_id, now=NOW)
    outcome = outcome_of(world, campaign_id)
    assert (outcome.status, outcome.reason, outcome.until, outcome.attempts) == (
        OutcomeStatus.DEFERRED,
        "retry_unanswered",
        ended + timedelta(minutes=60),
        1,
    )
    assert outcome.provider_ref == placed.sent[world["ids"]["ann"]]


def test_a_resume_before_the_retry_is_due_does_not_dial_it_early(
    world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    """The retry's spacing holds for every run: a paused campaign resumed meanwhile leaves it deferred."""
    connect(world["scope"], world["ops"], Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    campaign_id = voice_campaign(world)
    owner, call_id = called_in_a_run(world, tenant_a, campaign_id)
    ended = NOW + timedelta(minutes=3)
    call_ended(world, campaign_id, call_id, ended, "dial_no_answer")
    retry_at = ended + timedelta(minutes=60)
    lifecycle.transition(world["scope"], owner, campaign_id, "pause", reason="dnc_source_failed")
    soon = NOW + timedelta(minutes=10)
    _, resumed = runs.start_run(world["scope"], owner, campaign_id, "resume", clock=lambda: soon)
    again = batch_tests.run({**world, "campaign_id": campaign_id}, run_id=resumed.run_id, now=soon)
    assert again.sent == {}
    assert again.deferred == {world["ids"]["ann"]: retry_at}
    assert len(sandbox().placed_calls()) == 1
    outcome = outcome_of(world, campaign_id)
    assert (outcome.status, outcome.reason, outcome.until) == (
        OutcomeStatus.DEFERRED,
        "retry_unanswered",
        retry_at,
    )
