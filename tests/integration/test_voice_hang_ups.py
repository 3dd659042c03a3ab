"""No recorded call again to a person in Nevada who hung up on one (NRS 597.814).

Calling-rules reference, NV row: "no re-call after hang-up on a recorded call" (low confidence,
applied strictly). The vendor's signed call-ended event, as its webhook receives it, keeps the
hang-up on the contact's attempt ledger; the next batch of any artificial-voice campaign of the
tenant blocks the person, while a text campaign still reaches them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignSpec, CampaignStatus
from gatehouse.compliance.state_rules import Channel
from gatehouse.contacts.intake import refresh
from gatehouse.contacts.records import Contact
from gatehouse.dispatch.claims import AttemptLedger
from gatehouse.dispatch.gates import Reason
from gatehouse.vault import Provider, connect
from gatehouse.webhooks.refs import ensure_ref
from tests.conftest import TenantFixture
from tests.integration import test_dispatch_batch as batch_tests
from tests.integration import test_voice_retries as retry_tests
from tests.integration.test_dispatch_batch import DISCLOSED, NOW, SPEC
from tests.support.events import Reply
from tests.support.webhooks import VAPI_CREDENTIALS, VOICE_CREDENTIALS, vapi_event, voice_event

world = batch_tests.world  # the tenant, its contacts and providers of the batch tests
ANN = retry_tests.ANN
VAPI_REPORT = Path(__file__).resolve().parents[1] / "fixtures" / "voice" / "vapi" / "end-of-call-report.json"
Hooks = Callable[[dict[str, Any]], Reply]


def in_nevada(world: dict[str, Any]) -> None:
    """Ann, her New York number kept, lives in Nevada now: both states' rules reach her."""
    scope = world["scope"]
    contact = scope.require(Contact, world["ids"]["ann"])
    scope.save(refresh(contact.model_copy(update={"state": "NV"})))
    assert sorted(scope.require(Contact, world["ids"]["ann"]).states) == ["NV", "NY"]


def running_voice_campaign(world: dict[str, Any]) -> str:
    """Another approved artificial-voice campaign to Ann, running."""
    campaign_id = retry_tests.voice_campaign(world)
    campaign = world["scope"].require(Campaign, campaign_id)
    world["scope"].save(campaign.model_copy(update={"status": CampaignStatus.RUNNING}))
    return campaign_id


def next_batch(world: dict[str, Any], campaign_id: str) -> Any:
    return batch_tests.run(
        {**world, "campaign_id": campaign_id}, run_id="run-later", now=NOW + timedelta(days=1)
    )


def retell_call_ended(
    world: dict[str, Any], campaign_id: str, call_id: str, ended: datetime, reason: str
) -> bytes:
    """Retell's call_ended event for Ann's call, a minute long, ended for ``reason``."""
    call = {
        "call_id": call_id,
        "direction": "outbound",
        "from_number": "+14155550100",
        "to_number": ANN,
        "call_status": "ended",
        "start_timestamp": int((ended - timedelta(minutes=1)).timestamp() * 1000),
        "end_timestamp": int(ended.timestamp() * 1000),
        "disconnection_reason": reason,
        "metadata": {"campaign_id": campaign_id, "contact_id": world["ids"]["ann"]},
    }
    return json.dumps({"event": "call_ended", "call": call}).encode()


def test_after_a_retell_user_hangup_no_voice_campaign_calls_a_nevadan_again_nrs_597_814(
    hooks: Hooks, world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    """NRS 597.814: Retell's call_ended says ``user_hangup``; every later artificial-voice batch
    blocks Ann (``hung_up_on_recorded_call``), and a text campaign still reaches her."""
    scope = world["scope"]
    connect(scope, world["ops"], Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    first = retry_tests.voice_campaign(world)
    in_nevada(world)
    call_id = retry_tests.first_run(world, tenant_a, first)

    ended = NOW + timedelta(minutes=3)
    raw = retell_call_ended(world, first, call_id, ended, "user_hangup")
    assert hooks(voice_event(ensure_ref(scope), raw)).status == 200
    assert scope.require(AttemptLedger, world["ids"]["ann"]).hung_up_at == ended
    assert hooks(voice_event(ensure_ref(scope), raw)).status == 200  # a repeat changes nothing
    assert scope.require(AttemptLedger, world["ids"]["ann"]).hung_up_at == ended

    later = next_batch(world, running_voice_campaign(world))
    assert later.blocked[world["ids"]["ann"]] == Reason.HUNG_UP_ON_RECORDED_CALL.value
    assert later.sent == {}
    texts = batch_tests.run(world, run_id="run-texts", now=NOW + timedelta(days=1))
    assert world["ids"]["ann"] in texts.sent  # texts are not recorded calls


def test_after_a_vapi_customer_ended_call_no_voice_campaign_calls_a_nevadan_again_nrs_597_814(
    hooks: Hooks, world: dict[str, Any]
) -> None:
    """NRS 597.814: Vapi's published end-of-call report says ``customer-ended-call``; a call whose
    campaign is not named counts as spoken by the agent's artificial voice, and the next batch blocks."""
    scope = world["scope"]
    connect(scope, world["ops"], Provider.VOICE_AGENT, dict(VAPI_CREDENTIALS))
    in_nevada(world)
    body = json.loads(VAPI_REPORT.read_bytes())
    message = body["message"]
    message["customer"] = message["call"]["customer"] = {"number": ANN}
    message["artifact"].pop("recordingUrl")  # Vapi's storage is out of reach here
    message["artifact"].pop("stereoRecordingUrl")
    assert message["endedReason"] == "customer-ended-call"
    reply = hooks(vapi_event(ensure_ref(scope), json.dumps(body).encode()))
    assert reply.status == 200, reply.body
    assert scope.require(AttemptLedger, world["ids"]["ann"]).hung_up_at is not None

    later = next_batch(world, running_voice_campaign(world))
    assert later.blocked[world["ids"]["ann"]] == Reason.HUNG_UP_ON_RECORDED_CALL.value


def test_a_call_the_agent_ended_leaves_a_nevadan_callable_nrs_597_814(
    hooks: Hooks, world: dict[str, Any], tenant_a: TenantFixture
) -> None:
    """NRS 597.814 bars a call after the person hung up, not after the agent did (``agent_hangup``)."""
    scope = world["scope"]
    connect(scope, world["ops"], Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    first = retry_tests.voice_campaign(world)
    in_nevada(world)
    call_id = retry_tests.first_run(world, tenant_a, first)
    raw = retell_call_ended(world, first, call_id, NOW + timedelta(minutes=3), "agent_hangup")
    assert hooks(voice_event(ensure_ref(scope), raw)).status == 200
    assert scope.require(AttemptLedger, world["ids"]["ann"]).hung_up_at is None

    later = next_batch(world, running_voice_campaign(world))
    assert world["ids"]["ann"] in later.sent


def twilio_placed_campaign(world: dict[str, Any], technology: str) -> str:
    """An approved campaign whose calls Twilio places, connecting a recording or a person to Ann."""
    scope, ops = world["scope"], world["ops"]
    contact = scope.require(Contact, world["ids"]["ann"])
    consent = [c.model_copy(update={"channels": [Channel.SMS, Channel.VOICE]}) for c in contact.consent]
    scope.save(refresh(contact.model_copy(update={"consent": consent})))
    content = {
        "kind": "voice",
        "agent_id": "agent_demo",
        "placed_by": "twilio",
        "agent_number": "+14155550111",
    }
    spec = {
        **SPEC,
        "channel": "voice",
        "technology": technology,
        "audience": {"contact_ids": [world["ids"]["ann"]]},
        "content": {**content, **DISCLOSED},
    }
    campaign = lifecycle.create(scope, ops, CampaignSpec.model_validate(spec))
    lifecycle.transition(scope, ops, campaign.campaign_id, "submit")
    lifecycle.transition(scope, ops, campaign.campaign_id, "approve")
    return campaign.campaign_id


@pytest.mark.parametrize(("technology", "kept"), [("prerecorded", True), ("live", False)])
def test_twilio_names_no_ender_so_an_answered_recorded_call_counts_as_a_hang_up_nrs_597_814(
    hooks: Hooks, world: dict[str, Any], tenant_a: TenantFixture, technology: str, kept: bool
) -> None:
    """NRS 597.814, applied strictly: Twilio's status callback for an answered call names no ender,
    so a prerecorded campaign's call counts as a possible hang-up; a live campaign's call is no
    recorded call, and Ann stays callable."""
    scope = world["scope"]
    campaign_id = twilio_placed_campaign(world, technology)
    in_nevada(world)
    sid = retry_tests.first_run(world, tenant_a, campaign_id)
    reply = retry_tests.twilio_call_completed(hooks, world, sid, answered_by="human")
    assert reply.status == 200, reply.body
    assert (scope.require(AttemptLedger, world["ids"]["ann"]).hung_up_at is not None) is kept
