"""One dispatch batch against DynamoDB and KMS (moto), with the sandbox providers.

Every contact leaves with the outcome the gates must give it; a batch delivered again
sends nothing more; a DNC source failure or revoked credentials pause the campaign
and send nothing.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import holidays
import pytest

from gatehouse.campaigns import lifecycle
from gatehouse.campaigns.records import Campaign, CampaignSpec, CampaignStatus
from gatehouse.compliance.state_rules import Channel
from gatehouse.config import get_settings
from gatehouse.contacts import checks
from gatehouse.contacts.intake import refresh
from gatehouse.contacts.records import Contact, ContactInput, ContactView
from gatehouse.contacts.service import create
from gatehouse.dispatch import batch as batch_module
from gatehouse.dispatch import gates, settle
from gatehouse.dispatch import run as runs
from gatehouse.dispatch.batch import BatchResult, run_batch
from gatehouse.dispatch.claims import claim
from gatehouse.dispatch.delivery import DeliveryStatus, apply_status
from gatehouse.dispatch.export import csv_lines
from gatehouse.dispatch.outcomes import ContactOutcome, OutcomeStatus, find, find_one
from gatehouse.dispatch.report import record, report, tally
from gatehouse.dnc import WORDING, acknowledge
from gatehouse.dnc.stamps import ScrubStatus
from gatehouse.errors import Conflict
from gatehouse.identity.caller import operator
from gatehouse.providers.base import CheckStatus
from gatehouse.providers.sandbox import sandbox
from gatehouse.suppression import SuppressionSource, suppress
from gatehouse.vault import Provider, connect, revoke
from gatehouse.webhooks import inbound_sms
from gatehouse.webhooks.refs import ensure_ref
from tests.conftest import TenantFixture
from tests.support.consent import written
from tests.support.events import FakeLambdaContext
from tests.support.functions import load_function_module
from tests.support.outcomes import outcome_of
from tests.support.webhooks import VOICE_CREDENTIALS

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)  # Tuesday: 14:00 in New York
CONSENT = {
    "type": "express_written",
    "channels": ["sms"],
    "obtained_at": "2026-01-05T10:00:00Z",
    "source": "import",
    "wording": "Yes, text me",
}
PEOPLE = {
    "ann": {
        "phone": "+12125550101",
        "first_name": "Ann",
        "state": "NY",
        "consent": [written(CONSENT, "+12125550101")],
    },
    "bo": {"phone": "+12125550102", "first_name": "Bo", "state": "NY"},
    "di": {
        "phone": "+12125559999",
        "first_name": "Di",
        "state": "NY",
        "consent": [written(CONSENT, "+12125559999")],
    },
    "ed": {
        "phone": "+12125550104",
        "first_name": "Ed",
        "state": "NY",
        "consent": [written(CONSENT, "+12125550104")],
    },
    "kit": {"phone": "+18005550199", "first_name": "Kit", "consent": [written(CONSENT, "+18005550199")]},
    # Prior express consent only: not enough for marketing texts (47 CFR 64.1200(a)(2)).
    "gil": {
        "phone": "+12125550107",
        "first_name": "Gil",
        "state": "NY",
        "consent": [CONSENT | {"type": "express"}],
    },
}
EXPECTED_BLOCKED = {
    "bo": "consent_missing",
    "di": "dnc_listed",
    "ed": "suppressed",
    "kit": "zone_unknown",
    "gil": "consent_not_written",
}
SPEC: dict[str, Any] = {
    "name": "Promo",
    "channel": "sms",
    "audience": {"tag": "vip"},
    "content": {"kind": "sms", "template": "Hi {first_name}, 20% off. Reply STOP to opt out."},
    "senders": {"numbers": ["+14155550100"]},
    "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "10:00", "end": "20:00"}],
}
TWILIO = {"account_sid": "AC" + "1" * 32, "auth_token": "2" * 32, "sender_numbers": ["+14155550100"]}


def good_standing(_: str) -> str:
    return "active"


@pytest.fixture
def world(tenant_a: TenantFixture) -> dict[str, Any]:
    sandbox().reset()
    scope = tenant_a.scope
    ops = operator(tenant_a.tenant_id, "fixtures", request_id="fixtures")
    connect(
        scope, ops, Provider.DNC, {"provider_name": "sandbox-dnc", "api_key": "sandbox-dnc-key-0123456789"}
    )
    connect(scope, ops, Provider.TWILIO, TWILIO)
    suppress(scope, ops, PEOPLE["ed"]["phone"], SuppressionSource.SMS_STOP)
    ids = {
        name: create(
            scope,
            ops,
            ContactInput.model_validate(person),
            suppressed=checks.suppressed,
            scrub=checks.scrub,
            clock=lambda: NOW - timedelta(days=1),
        ).contact_id
        for name, person in PEOPLE.items()
    }
    campaign = lifecycle.create(scope, ops, CampaignSpec.model_validate(SPEC))
    lifecycle.transition(scope, ops, campaign.campaign_id, "submit")
    lifecycle.transition(scope, ops, campaign.campaign_id, "approve")
    approved = scope.require(Campaign, campaign.campaign_id)
    scope.save(approved.model_copy(update={"status": CampaignStatus.RUNNING}))  # what a run's start does
    yield {"scope": scope, "ids": ids, "campaign_id": campaign.campaign_id, "ops": ops}
    sandbox().reset()


def run(world: dict[str, Any], run_id: str = "run-1", now: datetime = NOW):  # type: ignore[no-untyped-def]
    return run_batch(
        world["scope"],
        world["campaign_id"],
        run_id,
        list(world["ids"].values()),
        now=now,
        suppressed=checks.suppressed,
        scrub=lambda scope, numbers: checks.scrub(scope, numbers, clock=lambda: now),  # as the entry does
        billing=good_standing,
    )


def test_a_number_held_for_review_is_blocked_with_its_own_reason_and_a_stop_still_wins(
    world: dict[str, Any],
) -> None:
    """47 CFR 64.1200(a)(10), FCC 24-24: a reply that may revoke consent stops every attempt until read."""
    scope, ids = world["scope"], world["ids"]
    for name in ("ann", "ed"):
        doubtful = inbound_sms.InboundSms(f"SMheld{name}", PEOPLE[name]["phone"], "who gave you my number?")
        inbound_sms.receive(scope, doubtful, request_id="tests")
    result = run(world)
    assert result.blocked[ids["ann"]] == "held_for_review"
    assert result.blocked[ids["ed"]] == "suppressed"
    assert result.sent == {}


def test_each_contact_gets_the_outcome_the_gates_give(world: dict[str, Any]) -> None:
    ids = world["ids"]
    result = run(world)
    assert list(result.sent) == [ids["ann"]]
    assert result.blocked == {ids[name]: reason for name, reason in EXPECTED_BLOCKED.items()}
    (message,) = sandbox().messages()
    assert (message.to, message.body) == ("+12125550101", "Hi Ann, 20% off. Reply STOP to opt out.")
    outcomes = find(world["scope"], [f"{world['campaign_id']}#{i}" for i in ids.values()])
    assert len(outcomes) == len(PEOPLE)
    ann = outcomes[f"{world['campaign_id']}#{ids['ann']}"]
    assert (ann.status, ann.attempts, ann.provider_ref is not None) == (OutcomeStatus.SENT, 1, True)
    page = report(world["scope"], world["campaign_id"])
    assert page.counts == {"sent": 1, **{f"blocked:{reason}": 1 for reason in EXPECTED_BLOCKED.values()}}


def test_the_same_batch_delivered_again_sends_nothing_more(world: dict[str, Any]) -> None:
    run(world)
    again = run(world)  # the same execution's batch, redelivered
    second_run = run(world, run_id="run-2")  # a second execution of the campaign
    later = run(world, run_id="run-3", now=NOW + timedelta(days=1, minutes=1))
    ann = world["ids"]["ann"]
    for result in (again, second_run, later):
        # her one attempt is spent: she is left as she was, neither re-sent nor re-decided
        assert result.sent == {}
        assert ann in result.settled
        assert ann not in result.deferred
        assert ann not in result.blocked
    outcome = find_one(world["scope"], f"{world['campaign_id']}#{ann}")
    assert (outcome.status, outcome.attempts) == (OutcomeStatus.SENT, 1)
    assert len(sandbox().messages()) == 1


def test_a_person_texted_is_not_texted_again_by_a_resume_or_a_later_run(world: dict[str, Any]) -> None:
    """A campaign allowed three attempts a person reaches once: a pause and resume (as a DNC
    failure's automatic pause) and a later run find her settled, never texted twice."""
    scope, ops, campaign_id, ann = world["scope"], world["ops"], world["campaign_id"], world["ids"]["ann"]
    campaign = scope.require(Campaign, campaign_id)
    spec = CampaignSpec.model_validate({**SPEC, "max_attempts_per_contact": 3})
    scope.save(campaign.model_copy(update={"spec": spec}))
    first = run(world)
    lifecycle.transition(scope, ops, campaign_id, "pause", reason="dnc_source_failed")
    lifecycle.transition(scope, ops, campaign_id, "resume")
    resumed = run(world, run_id="run-2", now=NOW + timedelta(minutes=5))
    later = run(world, run_id="run-3", now=NOW + timedelta(days=1, minutes=1))
    assert list(first.sent) == [ann]
    for result in (resumed, later):
        assert result.sent == {}
        assert ann in result.settled
    outcome = outcome_of(scope, f"{campaign_id}#{ann}")
    assert (outcome.status, outcome.attempts) == (OutcomeStatus.SENT, 1)
    assert len(sandbox().messages()) == 1


def test_a_pause_while_the_batch_runs_stops_it_before_the_claims(world: dict[str, Any]) -> None:
    """The owner pauses while the batch waits on the DNC re-scrub: nothing is claimed nor sent,
    and the resumed run decides the contacts again and sends."""
    scope, ops, campaign_id, ann = world["scope"], world["ops"], world["campaign_id"], world["ids"]["ann"]
    scope.save(scope.require(Contact, ann).model_copy(update={"dnc": None}))  # she needs a re-scrub

    def scrub_while_the_owner_pauses(s: Any, numbers: list[str]) -> dict[str, Any]:
        lifecycle.transition(s, ops, campaign_id, "pause", reason="manual")
        return checks.scrub(s, numbers, clock=lambda: NOW)

    paused = run_batch(
        scope, campaign_id, "run-1", list(world["ids"].values()), now=NOW,
        suppressed=checks.suppressed, scrub=scrub_while_the_owner_pauses, billing=good_standing,
    )  # fmt: skip
    assert (paused.sent, paused.blocked[ann], paused.paused) == ({}, "campaign_paused", "campaign_paused")
    assert sandbox().messages() == []
    outcome = outcome_of(scope, f"{campaign_id}#{ann}")
    assert (outcome.status, outcome.reason, outcome.attempts) == (OutcomeStatus.BLOCKED, "campaign_paused", 0)

    lifecycle.transition(scope, ops, campaign_id, "resume")
    resumed = run(world, run_id="run-2", now=NOW + timedelta(minutes=5))
    assert list(resumed.sent) == [ann]
    assert len(sandbox().messages()) == 1


def test_a_pause_while_a_slow_batch_gathers_its_facts_stops_it_before_the_claims(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that took longer than ``STATUS_FRESH_FOR`` to decide reads the campaign again before
    its claims (no re-scrub here: the owner pauses while the suppression list is read)."""
    scope, ops, campaign_id, ann = world["scope"], world["ops"], world["campaign_id"], world["ids"]["ann"]
    monkeypatch.setattr(batch_module, "STATUS_FRESH_FOR", 0.0)  # every batch is slow at this bound

    def suppressed_while_the_owner_pauses(s: Any, numbers: list[str]) -> set[str]:
        lifecycle.transition(s, ops, campaign_id, "pause", reason="manual")
        return checks.suppressed(s, numbers)

    paused = run_batch(
        scope, campaign_id, "run-1", list(world["ids"].values()), now=NOW,
        suppressed=suppressed_while_the_owner_pauses,
        scrub=lambda s, n: checks.scrub(s, n, clock=lambda: NOW), billing=good_standing,
    )  # fmt: skip
    assert (paused.sent, paused.blocked[ann]) == ({}, "campaign_paused")
    assert sandbox().messages() == []


def test_the_same_batch_delivered_twice_at_once_sends_once(world: dict[str, Any]) -> None:
    """Two executions of one batch at the same moment (a duplicate delivery): one claim, one text."""
    start = threading.Barrier(4)
    results: list[Any] = []

    def deliver(run_id: str) -> None:
        start.wait()
        results.append(run(world, run_id=run_id))

    threads = [threading.Thread(target=deliver, args=(f"run-{n % 2}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ann = world["ids"]["ann"]
    assert [r for r in results if ann in r.sent] == [next(r for r in results if ann in r.sent)]
    assert len(sandbox().messages()) == 1
    # Every other execution saw the claim taken, or read the contact after the sender had recorded
    # its outcome (settled: sent, no attempt left), or (when the ledger kept changing under each of
    # its claim rounds, as four executions at once on a loaded machine can make it) deferred the
    # contact a minute as busy: never dropped, never blocked.
    outcome = outcome_of(world["scope"], f"{world['campaign_id']}#{ann}")
    assert (outcome.status, outcome.attempts) == (OutcomeStatus.SENT, 1)  # whoever recorded last
    for r in results:
        assert (
            ann in r.sent
            or ann in r.skipped
            or ann in r.settled
            or r.deferred_why.get(ann) == "attempt_ledger_busy"
        ), r
        assert ann not in r.blocked, r


def test_an_execution_that_lost_every_claim_round_leaves_the_winners_send_on_the_report(
    world: dict[str, Any],
) -> None:
    """A batch that deferred a contact as busy, recording after the claim's holder sent, changes nothing."""
    scope, campaign_id, ann = world["scope"], world["campaign_id"], world["ids"]["ann"]
    contact = scope.require(Contact, ann)
    loser = BatchResult()
    loser.note(ann, gates.still_contested(NOW))  # read before the winner claimed, contested since
    assert run(world).sent.keys() == {ann}  # the winner: claims, sends, records
    record(scope, campaign_id, {ann: contact}, {}, set(), loser, NOW)  # the loser's outcome, last
    outcome = outcome_of(scope, f"{campaign_id}#{ann}")
    assert (outcome.status, outcome.attempts) == (OutcomeStatus.SENT, 1)
    assert report(scope, campaign_id).counts["sent"] == 1
    # Nothing of the loser's is left for the deferred-attempts job once the run completes the campaign.
    finished = runs.RunInput(tenant_id=scope.tenant_id, campaign_id=campaign_id, run_id="run_" + "a" * 26)
    ended = settle.finish_run(finished, clock=lambda: NOW + timedelta(minutes=1))
    assert ended.campaign_status == "completed"
    later = runs.start_deferred_runs(scope, now=NOW + timedelta(days=1))
    assert later["due_campaigns"] == 0, later


def test_a_busy_deferral_recorded_while_the_winner_sends_is_shadowed_by_the_send_and_then_removed(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loser records its busy deferral after the winner read the outcomes and before the winner's
    mark: the send stands over it (one attempt against none), and the deferred-attempts job removes
    it rather than picking it again every tick."""
    scope, campaign_id, ann = world["scope"], world["campaign_id"], world["ids"]["ann"]
    contact = scope.require(Contact, ann)
    loser = BatchResult()
    loser.note(ann, gates.still_contested(NOW))
    sending = batch_module.send

    def send_after_the_loser_recorded(*args: Any, **kwargs: Any) -> Any:
        record(scope, campaign_id, {ann: contact}, {}, set(), loser, NOW)  # lands before the winner's mark
        return sending(*args, **kwargs)

    monkeypatch.setattr(batch_module, "send", send_after_the_loser_recorded)
    assert run(world).sent.keys() == {ann}
    key = f"{campaign_id}#{ann}"
    beside = scope.get(ContactOutcome, key)
    assert beside is not None
    assert (beside.status, beside.attempts) == (OutcomeStatus.DEFERRED, 0)
    outcome = outcome_of(scope, key)
    assert (outcome.status, outcome.attempts) == (OutcomeStatus.SENT, 1)
    assert report(scope, campaign_id).counts["sent"] == 1
    finished = runs.RunInput(tenant_id=scope.tenant_id, campaign_id=campaign_id, run_id="run_" + "a" * 26)
    assert (
        settle.finish_run(finished, clock=lambda: NOW + timedelta(minutes=1)).campaign_status == "completed"
    )
    later = runs.start_deferred_runs(scope, now=NOW + timedelta(days=1))
    assert later["due_campaigns"] == 0, later
    assert scope.get(ContactOutcome, key) is None
    assert outcome_of(scope, key).status is OutcomeStatus.SENT
    assert len(sandbox().messages()) == 1


def test_a_campaign_edited_while_running_sends_nothing_on_its_old_spec(world: dict[str, Any]) -> None:
    """A running campaign cannot be edited; paused and edited, it is a draft, so batches in flight stop."""
    scope, ops, campaign_id = world["scope"], world["ops"], world["campaign_id"]
    content = {**SPEC["content"], "template": "New offer. Reply STOP to opt out."}
    edited = CampaignSpec.model_validate({**SPEC, "content": content})
    with pytest.raises(Conflict):
        lifecycle.edit(scope, ops, campaign_id, edited)
    lifecycle.transition(scope, ops, campaign_id, "pause", reason="editing")
    lifecycle.edit(scope, ops, campaign_id, edited)
    result = run(world)  # a batch the run had already planned
    assert result.sent == {}
    assert result.blocked[world["ids"]["ann"]] == "campaign_not_approved"
    assert sandbox().messages() == []


def test_a_retry_after_a_crash_between_claim_and_record_sends_nothing(world: dict[str, Any]) -> None:
    ann = world["ids"]["ann"]
    claim(world["scope"], world["campaign_id"], "run-1", [(ann, 1)], NOW)  # the crashed try's claim
    retried = run(world)
    assert (retried.sent, retried.skipped) == ({}, [ann])
    assert sandbox().messages() == []


def test_outside_the_window_a_contact_is_deferred_to_the_next_opening(world: dict[str, Any]) -> None:
    night = datetime(2026, 3, 11, 3, 0, tzinfo=UTC)  # 23:00 in New York
    result = run(world, now=night)
    assert result.sent == {}
    assert result.deferred == {world["ids"]["ann"]: datetime(2026, 3, 11, 14, 0, tzinfo=UTC)}  # 10:00 EDT
    assert sandbox().messages() == []


def test_a_dnc_source_failure_pauses_the_campaign_and_dials_no_one(world: dict[str, Any]) -> None:
    scope = world["scope"]
    ann = scope.require(Contact, world["ids"]["ann"])
    assert ann.dnc is not None
    stale = ann.dnc.model_copy(
        update={"checked_at": NOW - timedelta(days=40), "data_as_of": NOW - timedelta(days=40)}
    )
    scope.save(ann.model_copy(update={"dnc": stale}))
    sandbox().answer(Provider.DNC, CheckStatus.UNREACHABLE)
    result = run(world)
    assert (result.sent, result.paused) == ({}, "dnc_source_failed")
    assert scope.require(Campaign, world["campaign_id"]).status is CampaignStatus.PAUSED
    assert scope.require(Contact, world["ids"]["ann"]).dnc.status is ScrubStatus.ERROR  # type: ignore[union-attr]
    assert sandbox().messages() == []


def test_credentials_revoked_mid_run_pause_the_campaign(world: dict[str, Any]) -> None:
    revoke(world["scope"], world["ops"], Provider.TWILIO)
    result = run(world)
    assert result.sent == {}
    # Opened before the claim: blocked, no attempt used, so a resumed run decides again.
    assert result.blocked[world["ids"]["ann"]] == "provider_credentials_unavailable"
    assert result.failed == {}
    assert result.paused is not None
    assert world["scope"].require(Campaign, world["campaign_id"]).status is CampaignStatus.PAUSED
    assert sandbox().messages() == []


def test_without_a_paid_subscription_nothing_is_sent(world: dict[str, Any]) -> None:
    result = run_batch(
        world["scope"],
        world["campaign_id"],
        "run-1",
        list(world["ids"].values()),
        now=NOW,
        suppressed=checks.suppressed,
        scrub=checks.scrub,
    )  # the tenant's Stripe standing: no subscription yet
    assert result.sent == {}
    assert set(result.blocked.values()) == {"billing_not_in_good_standing"}


def test_a_paused_campaign_sends_nothing(world: dict[str, Any]) -> None:
    lifecycle.transition(world["scope"], world["ops"], world["campaign_id"], "pause", reason="manual")
    result = run(world)
    assert result.sent == {}
    assert set(result.blocked.values()) == {"campaign_not_running"}


# ---------------------------------------------------------------- status callbacks and voice

PUBLIC = "https://api.gatehouse.test"


@pytest.fixture
def public_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("GATEHOUSE_PUBLIC_BASE_URL", PUBLIC)
    get_settings.cache_clear()
    yield PUBLIC
    get_settings.cache_clear()


def test_every_text_names_the_tenants_status_callback_and_the_report_shows_delivery(  # type: ignore[no-untyped-def]
    world: dict[str, Any], public_url: str
) -> None:
    scope = world["scope"]
    result = run(world)
    (message,) = sandbox().messages()
    assert message.status_callback == f"{public_url}/webhooks/twilio/{ensure_ref(scope)}/message-status"
    ann = world["ids"]["ann"]
    apply_status(scope, result.sent[ann], DeliveryStatus.UNDELIVERED, error_code="30006")
    page = report(scope, world["campaign_id"])
    (shown,) = [o for o in page.outcomes if o.contact_id == ann]
    assert (shown.status, shown.delivery_status, shown.error_code) == (
        OutcomeStatus.SENT,
        DeliveryStatus.UNDELIVERED,
        "30006",
    )
    assert page.counts["delivery:undelivered:30006"] == 1


# 47 CFR 64.1200(b)(1)-(2): the opening names the business, and the call offers an automated opt-out.
DISCLOSED: dict[str, Any] = {
    "seller": "Acme Solar",
    "opening": "Hi, this is Ava, an automated assistant calling for Acme Solar.",
    "opt_out": {"key": "9", "phrase": "say stop calling"},
}
SAID = {"opening": DISCLOSED["opening"], "opt_out_key": "9", "opt_out_phrase": "say stop calling"}


def voice_campaign(world: dict[str, Any], content: dict[str, Any]) -> str:
    scope, ops = world["scope"], world["ops"]
    for person in ("ann", "kit"):
        contact = scope.require(Contact, world["ids"][person])
        consent = [c.model_copy(update={"channels": [Channel.SMS, Channel.VOICE]}) for c in contact.consent]
        scope.save(refresh(contact.model_copy(update={"consent": consent})))
    spec = {**SPEC, "channel": "voice", "content": {"kind": "voice", **DISCLOSED, **content}}
    spec["senders"] = {"numbers": ["+14155550100", "+14155550101"]}
    campaign = lifecycle.create(scope, ops, CampaignSpec.model_validate(spec))
    lifecycle.transition(scope, ops, campaign.campaign_id, "submit")
    lifecycle.transition(scope, ops, campaign.campaign_id, "approve")
    approved = scope.require(Campaign, campaign.campaign_id)
    scope.save(approved.model_copy(update={"status": CampaignStatus.RUNNING}))
    return campaign.campaign_id


def test_a_voice_campaign_places_calls_through_the_voice_agent(  # type: ignore[no-untyped-def]
    world: dict[str, Any], public_url: str
) -> None:
    scope = world["scope"]
    connect(scope, world["ops"], Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    campaign_id = voice_campaign(world, {"agent_id": "agent_demo"})
    result = run({**world, "campaign_id": campaign_id})
    ann = world["ids"]["ann"]
    assert list(result.sent) == [ann]
    assert sandbox().messages() == []
    (placed,) = sandbox().placed_calls()
    assert (placed.placed_by, placed.call_id) == (Provider.VOICE_AGENT, result.sent[ann])
    assert placed.call.to == "+12125550101"
    assert placed.call.caller_id == "+14155550100"
    assert placed.call.agent_id == "agent_demo"
    assert placed.call.metadata == {"campaign_id": campaign_id, "contact_id": ann, **SAID}
    assert placed.call.variables == SAID  # the agent speaks them (47 CFR 64.1200(b)(1)-(2))
    assert placed.call.status_callback == f"{public_url}/webhooks/voice-agent/{ensure_ref(scope)}"
    outcome = outcome_of(scope, f"{campaign_id}#{ann}")
    assert (outcome.status, outcome.provider_ref) == (OutcomeStatus.SENT, placed.call_id)


def test_a_voice_campaign_can_have_twilio_dial_the_agent(world: dict[str, Any], public_url: str) -> None:
    scope = world["scope"]
    content = {"agent_id": "agent_demo", "placed_by": "twilio", "agent_sip_uri": "sip:agent_demo@sip.example"}
    campaign_id = voice_campaign(world, content)
    result = run({**world, "campaign_id": campaign_id})
    (placed,) = sandbox().placed_calls()
    assert placed.placed_by is Provider.TWILIO
    assert placed.call.dial == "sip:agent_demo@sip.example"
    assert placed.call.status_callback == f"{public_url}/webhooks/twilio/{ensure_ref(scope)}/call-status"
    assert result.sent == {world["ids"]["ann"]: placed.call_id}


def test_a_voice_campaign_without_the_voice_agent_pauses_and_calls_no_one(world: dict[str, Any]) -> None:
    campaign_id = voice_campaign(world, {"agent_id": "agent_demo"})
    result = run({**world, "campaign_id": campaign_id})
    assert result.sent == {}
    # Opened before the claim: blocked, no attempt used, so a resumed run decides again.
    assert result.blocked[world["ids"]["ann"]] == "provider_credentials_unavailable"
    assert result.failed == {}
    assert world["scope"].require(Campaign, campaign_id).status is CampaignStatus.PAUSED
    assert sandbox().placed_calls() == []


def test_a_refused_call_is_send_failed_with_the_providers_fixed_code(world: dict[str, Any]) -> None:
    connect(world["scope"], world["ops"], Provider.VOICE_AGENT, dict(VOICE_CREDENTIALS))
    campaign_id = voice_campaign(world, {"agent_id": "agent_demo"})
    sandbox().answer(Provider.VOICE_AGENT, CheckStatus.UNREACHABLE)
    result = run({**world, "campaign_id": campaign_id})
    assert result.failed == {world["ids"]["ann"]: "sandbox_unreachable"}
    outcome = outcome_of(world["scope"], f"{campaign_id}#{world['ids']['ann']}")
    assert (outcome.status, outcome.reason) == (OutcomeStatus.SEND_FAILED, "sandbox_unreachable")


def test_an_attempt_by_another_campaign_meanwhile_is_counted_before_the_claim(world: dict[str, Any]) -> None:
    """The claim is conditional on the ledger the gates read: an attempt made in between is seen.

    Another campaign attempts Ann after this batch read her ledger; the claim's write loses,
    the gates decide again with that attempt counted (the campaign allows one a day), and
    she is deferred instead of attempted twice in a day; the other attempt stays counted.
    """
    from gatehouse.dispatch.claims import AttemptLedger, claim_key

    scope, ann = world["scope"], world["ids"]["ann"]
    contact = scope.require(Contact, ann)
    scope.save(contact.model_copy(update={"dnc": None}))  # so the batch scrubs her after reading ledgers
    elsewhere = NOW - timedelta(hours=1)
    other = AttemptLedger(contact_id=ann, times=[elsewhere])

    def scrub_while_another_campaign_attempts(scope_: Any, numbers: list[str]) -> Any:
        scope_.save(other)  # the other campaign's attempt
        return checks.scrub(scope_, numbers)

    result = run_batch(
        scope,
        world["campaign_id"],
        "run-1",
        [ann],
        now=NOW,
        suppressed=checks.suppressed,
        scrub=scrub_while_another_campaign_attempts,
        billing=good_standing,
    )
    assert ann not in result.sent
    assert result.deferred_why[ann] == "campaign_attempt_cap"
    assert result.deferred[ann] == elsewhere + timedelta(hours=24)
    ledger = scope.require(AttemptLedger, ann)
    assert ledger.times == [elsewhere]
    assert claim_key(world["campaign_id"], 1) not in ledger.claims
    assert sandbox().messages() == []


def test_each_blocked_reason_is_counted_for_the_operators_dashboard(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    run(world)
    figures = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    by_reason = {f["reason"]: f["DispatchBlockedByReason"] for f in figures if "DispatchBlockedByReason" in f}
    assert by_reason == {reason: [1.0] for reason in EXPECTED_BLOCKED.values()}
    [declared] = next(f for f in figures if "DispatchBlockedByReason" in f)["_aws"]["CloudWatchMetrics"]
    assert (declared["Namespace"], sorted(declared["Dimensions"][0])) == ("Gatehouse", ["reason", "service"])


def test_sends_beyond_the_senders_throughput_wait_for_the_next_minute(world: dict[str, Any]) -> None:
    """Gate 6: one sender allowed one text a minute; the second contact is deferred, then sent."""
    scope, ann = world["scope"], world["ids"]["ann"]
    fay = create(
        scope,
        world["ops"],
        ContactInput.model_validate(
            {
                "phone": "+12125550106",
                "first_name": "Fay",
                "state": "NY",
                "consent": [written(CONSENT, "+12125550106")],
            }
        ),
        suppressed=checks.suppressed,
        scrub=checks.scrub,
        clock=lambda: NOW - timedelta(days=1),
    ).contact_id
    campaign = scope.require(Campaign, world["campaign_id"])
    scope.save(
        campaign.model_copy(
            update={"spec": campaign.spec.model_copy(update={"throughput_per_sender_per_minute": 1})}
        )
    )

    def batch(run_id: str, now: datetime) -> Any:
        return run_batch(
            scope,
            world["campaign_id"],
            run_id,
            [ann, fay],
            now=now,
            suppressed=checks.suppressed,
            scrub=checks.scrub,
            billing=good_standing,
        )

    first = batch("run-1", NOW)
    assert len(first.sent) == 1
    (waiting,) = first.deferred
    assert first.deferred[waiting] == NOW.replace(second=0) + timedelta(minutes=1)
    assert first.deferred_why[waiting] == "sender_throughput"
    assert batch("run-2", NOW + timedelta(seconds=30)).sent == {}  # the same minute: nothing left
    later = batch("run-3", NOW + timedelta(minutes=1))
    assert list(later.sent) == [waiting]
    assert sorted(m.to for m in sandbox().messages()) == ["+12125550101", "+12125550106"]


POOL = ["+14155550111", "+14155550112", "+14155550113"]


def with_senders(world: dict[str, Any], senders: dict[str, Any], per_minute: int = 60) -> None:
    scope = world["scope"]
    campaign = scope.require(Campaign, world["campaign_id"])
    spec = CampaignSpec.model_validate(
        {**SPEC, "senders": senders, "throughput_per_sender_per_minute": per_minute}
    )
    scope.save(campaign.model_copy(update={"spec": spec}))


def texted(world: dict[str, Any], phones: list[str]) -> list[str]:
    """More people the campaign may text (written consent, New York): their contact ids."""
    people = [
        ContactInput.model_validate({"phone": p, "state": "NY", "consent": [written(CONSENT, p)]})
        for p in phones
    ]
    return [
        create(
            world["scope"], world["ops"], person,
            suppressed=checks.suppressed, scrub=checks.scrub, clock=lambda: NOW - timedelta(days=1),
        ).contact_id
        for person in people
    ]  # fmt: skip


def test_texts_go_from_the_campaigns_own_numbers_each_at_its_own_rate(world: dict[str, Any]) -> None:
    """Gate 6 per sender: three approved numbers at one text a minute carry three texts in a minute,
    one each, even over two batches; never a number outside the campaign's pool (the integration's
    own number is not one of them)."""
    scope, campaign_id, ann = world["scope"], world["campaign_id"], world["ids"]["ann"]
    with_senders(world, {"numbers": POOL}, per_minute=1)
    others = texted(world, ["+12125550106", "+12125550108", "+12125550109"])

    def batch(run_id: str, ids: list[str], now: datetime) -> BatchResult:
        return run_batch(
            scope, campaign_id, run_id, ids, now=now,
            suppressed=checks.suppressed, scrub=checks.scrub, billing=good_standing,
        )  # fmt: skip

    first = batch("run-1", [ann], NOW)
    second = batch("run-1", others, NOW + timedelta(seconds=10))
    assert len(first.sent) + len(second.sent) == 3
    (waiting,) = second.deferred
    assert second.deferred_why == {waiting: "sender_throughput"}
    assert sorted(m.sender or "" for m in sandbox().messages()) == POOL  # one each
    later = batch("run-1", [waiting], NOW + timedelta(minutes=1))
    assert list(later.sent) == [waiting]
    senders = [m.sender for m in sandbox().messages()]
    assert len(senders) == 4
    assert set(senders) <= set(POOL)


def test_a_campaign_that_names_only_a_messaging_service_texts_through_it(world: dict[str, Any]) -> None:
    service = "MG" + "a" * 32
    with_senders(world, {"messaging_service_sid": service})
    result = run(world)
    assert list(result.sent) == [world["ids"]["ann"]]
    (message,) = sandbox().messages()
    (call,) = [c for c in sandbox().calls() if c.operation == "send_sms"]
    assert (message.sender, call.credentials.messaging_service_sid) == (None, service)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the version of the DNC data


def test_an_answer_from_registry_data_32_days_old_on_the_day_is_rescrubbed_before_the_send(
    world: dict[str, Any],
) -> None:
    """16 CFR 310.4(b)(3)(iv): scrubbed yesterday against data then 31 days old is no answer today."""
    scope, ann_id = world["scope"], world["ids"]["ann"]
    ann = scope.require(Contact, ann_id)
    assert ann.dnc is not None
    old_data = ann.dnc.model_copy(
        update={"checked_at": NOW - timedelta(days=1), "data_as_of": NOW - timedelta(days=32)}
    )
    scope.save(ann.model_copy(update={"dnc": old_data}))
    result = run(world)
    assert list(result.sent) == [ann_id]
    fresh = scope.require(Contact, ann_id).dnc
    assert fresh is not None
    assert (fresh.checked_at, fresh.data_as_of) == (NOW, NOW)


def test_a_stamp_stored_before_versions_were_recorded_is_rescrubbed_never_trusted(
    world: dict[str, Any],
) -> None:
    scope, ann_id = world["scope"], world["ids"]["ann"]
    ann = scope.require(Contact, ann_id)
    assert ann.dnc is not None
    scope.save(ann.model_copy(update={"dnc": ann.dnc.model_copy(update={"data_as_of": None})}))
    sandbox().answer(Provider.DNC, CheckStatus.UNREACHABLE)
    result = run(world)
    assert (result.sent, result.paused) == ({}, "dnc_source_failed")
    assert sandbox().messages() == []


def later_weekday_afternoon() -> datetime:
    """A Tuesday, 18:00 UTC (afternoon in New York), more than 40 days after the real clock."""
    day = (datetime.now(UTC) + timedelta(days=41)).date()
    while day.weekday() != 1 or day in holidays.US(subdiv="NY", years=day.year):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 18, tzinfo=UTC)


def test_the_dispatch_function_dates_its_rescrub_by_the_gates_pinned_clock(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DESIGN.md §3: a rule that depends on "now" takes the clock tests set; the DNC stamp too."""
    later = later_weekday_afternoon()
    function = load_function_module("DispatchBatchFunction")
    monkeypatch.setattr(function, "clock", lambda: later)
    monkeypatch.setattr(batch_module, "_stripe_standing", good_standing)
    scope, ann_id = world["scope"], world["ids"]["ann"]
    event = {
        "tenant_id": scope.tenant_id,
        "campaign_id": world["campaign_id"],
        "run_id": "run_" + "a" * 26,
        "contact_ids": [ann_id],
    }
    out = function.send_batch(event, FakeLambdaContext())
    assert out["counts"]["sent"] == 1, out
    stamp = scope.require(Contact, ann_id).dnc
    assert stamp is not None
    assert (stamp.checked_at, stamp.data_as_of) == (later, later)


# ---------------------------------------------------------------- reported unscrubbed


def test_contacts_reached_without_a_provider_are_reported_unscrubbed_everywhere(
    world: dict[str, Any],
) -> None:
    """DESIGN.md §6 gate 4: running without a provider is the owner's acknowledged choice, never "checked"."""
    scope, ops, ann_id = world["scope"], world["ops"], world["ids"]["ann"]
    revoke(scope, ops, Provider.DNC)
    acknowledge(scope, ops, WORDING)
    ann = scope.require(Contact, ann_id)
    scope.save(ann.model_copy(update={"dnc": None}))  # scrubbed again at the attempt: unscrubbed
    result = run(world)
    assert list(result.sent) == [ann_id]
    page = report(scope, world["campaign_id"])
    by_id = {o.contact_id: o for o in page.outcomes}
    assert by_id[ann_id].dnc_status == "unscrubbed"
    assert by_id[world["ids"]["bo"]].dnc_status == "clear"
    assert page.counts["dnc:unscrubbed"] == 1
    assert tally(scope, world["campaign_id"])["dnc:unscrubbed"] == 1
    rows = list(csv.DictReader(io.StringIO("".join(csv_lines(page.outcomes, header=True)))))
    assert {r["contact_id"]: r["dnc_status"] for r in rows}[ann_id] == "unscrubbed"
    view = ContactView.of(scope.require(Contact, ann_id))
    assert view.dnc_status == "unscrubbed"


def test_a_number_stamped_unscrubbed_is_scrubbed_again_once_a_provider_is_connected(
    world: dict[str, Any],
) -> None:
    """16 CFR 310.4(b)(3)(iv), DESIGN.md §6 gate 4: an ``unscrubbed`` stamp stands on the owner's word
    that the tenant runs without a provider. Once a provider is connected that word no longer
    stands: a day-old stamp is not relied on, the number is asked of the provider at the attempt,
    and a number on the registry is not texted."""
    scope, ops, ids = world["scope"], world["ops"], world["ids"]
    revoke(scope, ops, Provider.DNC)
    acknowledge(scope, ops, WORDING)
    for name in ("ann", "di"):
        person = scope.require(Contact, ids[name])
        stamp = checks.scrub(scope, [person.e164], clock=lambda: NOW - timedelta(days=1))[person.e164]
        assert stamp.status is ScrubStatus.UNSCRUBBED
        scope.save(refresh(person.model_copy(update={"dnc": stamp})))
    connect(
        scope, ops, Provider.DNC, {"provider_name": "sandbox-dnc", "api_key": "sandbox-dnc-key-0123456789"}
    )
    result = run(world)
    assert ids["di"] not in result.sent
    assert result.blocked[ids["di"]] == "dnc_listed"
    assert list(result.sent) == [ids["ann"]]
    for name, status in (("ann", ScrubStatus.CLEAR), ("di", ScrubStatus.LISTED)):
        stamp = scope.require(Contact, ids[name]).dnc
        assert stamp is not None
        assert (stamp.status, stamp.checked_at) == (status, NOW)
