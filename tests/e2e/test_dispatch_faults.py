"""Each external dependency failing in turn during a real campaign run on the local runtime.

One test, one parameter per fault. Each case starts a campaign through the API and lets
moto execute the template's state machine against the real handlers while one dependency
fails, then runs the campaign a second time with the dependency healthy again (a resume
if the campaign paused, otherwise the same run's execution started again, as a duplicate
delivery would). The audience holds people a gate must stop (no consent, suppressed, on
the DNC registry) next to people the gates admit, and the campaign allows one attempt per
contact (the default), so any number a provider is asked to reach twice is a duplicate.
After each run, ``check`` asserts through public behaviour only (the provider's records,
the API's report and campaign):

- no number outside those the gates admit at the run's clock reached a provider;
- no number reached a provider twice;
- every contact of the audience has an outcome in the campaign report;
- the campaign paused, with the reason, where the design says a fault pauses it.

The faults (answered on the wire by ``tests.support.aws_faults``): DynamoDB throttling
the batch's outcome writes (after its sends) or answering the suppression lookup (before
any send) with internal errors; KMS refusing to open the tenant's credentials; Twilio answering 5xx, or taking
longer than the provider timeout while still accepting the text (the live adapters against
a fake Twilio on loopback); the DNC provider failing the re-scrub a voice campaign needs;
and the gates' clock having jumped past 9pm, on an ordinary day and on the day daylight
saving time begins (where the morning's UTC offset would still say 8pm).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import holidays
import pytest

from gatehouse.config import get_settings
from gatehouse.dispatch.gates import BATCH_RETRY_AFTER, Reason
from gatehouse.providers.base import CheckStatus
from gatehouse.providers.sandbox import sandbox
from gatehouse.vault import Provider, envelope
from local.demo import SANDBOX_TWILIO, Client, wait_for
from local.runtime import LocalRuntime
from tests.support import aws_faults
from tests.support.consent import written
from tests.support.fake_provider import FakeProvider, fake_provider

NEW_YORK = ZoneInfo("America/New_York")
CONSENT = {
    "type": "express_written",
    "obtained_at": "2026-01-05T10:00:00Z",
    "source": "import",
    "wording": "Yes, contact me about offers",
}
# name -> (state, area code, last four digits, consent, suppressed)
PEOPLE: dict[str, tuple[str, str, str, bool, bool]] = {
    "ann": ("NY", "212", "0101", True, False),
    "bea": ("NY", "212", "0102", True, False),
    "cy": ("NY", "212", "0103", False, False),  # no consent: blocked at every run
    "dee": ("NY", "212", "0104", True, True),  # suppressed: blocked at every run
    "eli": ("NY", "212", "9999", True, False),  # on the sandbox DNC registry: blocked at every run
    "fay": ("CA", "415", "0106", True, False),  # CA opens at 9am Pacific: deferred in a NY morning
}
GATED = frozenset({"cy", "dee", "eli"})
TWILIO_MESSAGES = f"/2010-04-01/Accounts/{SANDBOX_TWILIO['account_sid']}/Messages.json"
CAMPAIGN: dict[str, Any] = {
    "senders": {"numbers": ["+14155550100"]},
    "windows": [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}
    ],
}
CONTENT = {
    "sms": {"kind": "sms", "template": "Hi {first_name}. Reply STOP to opt out."},
    "voice": {
        "kind": "voice",
        "agent_id": "agent_demo",
        "placed_by": "twilio",
        "agent_sip_uri": "sip:agent_demo@sip.example",
        # 47 CFR 64.1200(b)(1)-(2): an artificial-voice marketing call names its seller, offers an opt-out
        "seller": "Acme Solar",
        "opening": "Hi, this is an automated call from Acme Solar.",
        "opt_out": {"key": "9", "phrase": "say stop calling"},
    },
}


# ---------------------------------------------------------------- the gates' clock
def new_york(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, clock_time(hour, minute), NEW_YORK).astimezone(UTC)


def weekday(at_least_days_ahead: int) -> date:
    """A weekday that is no New York holiday, this many days from today or later."""
    day = datetime.now(UTC).date() + timedelta(days=at_least_days_ahead)
    while day.weekday() >= 5 or day in holidays.country_holidays("US", subdiv="NY", years=day.year):
        day += timedelta(days=1)
    return day


def dst_began() -> date:
    """The last day New York moved its clocks forward (second Sunday of March), today or before.

    In the past, so every DNC answer given at intake (today) is still current at that clock.
    """
    today = datetime.now(UTC).date()
    year = today.year
    while True:
        march = date(year, 3, 8)
        sunday = march + timedelta(days=(6 - march.weekday()) % 7)
        if sunday <= today:
            return sunday
        year -= 1


def morning() -> datetime:
    """10:30 in New York (inside the hours), 7:30 in California (before its 9am): fay waits."""
    return new_york(weekday(1), 10, 30)


def morning_after_a_month() -> datetime:
    """As ``morning``, but every DNC answer given at intake (today) is older than 31 days."""
    return new_york(weekday(35), 10, 30)


def past_nine() -> datetime:
    """The clock jumped from 20:58 to 21:03 in New York: past the federal 9pm; 18:03 in California."""
    return new_york(weekday(1), 21, 3)


def past_nine_as_dst_began() -> datetime:
    """21:03 EDT the day DST began: 20:03 by the offset New York had until 2am that day."""
    day = dst_began()
    at = new_york(day, 21, 3)
    that_morning = datetime.combine(day, clock_time(1), NEW_YORK).utcoffset()
    assert that_morning is not None
    assert (at + that_morning).hour == 20  # a fixed offset would admit it
    return at


OPENS = {"NY": (NEW_YORK, 8), "CA": (ZoneInfo("America/Los_Angeles"), 9)}  # federal 8am; California 9am


def next_opening(state: str, at: datetime) -> datetime:
    zone, hour = OPENS[state]
    opening = datetime.combine(at.astimezone(zone).date(), clock_time(hour), zone)
    return (
        opening
        if opening > at
        else datetime.combine(opening.date() + timedelta(days=1), clock_time(hour), zone)
    )


# ---------------------------------------------------------------- one case's world
@dataclass
class World:
    """The demo tenant on the runtime, one case's people (numbers of their own) and what providers saw."""

    runtime: LocalRuntime
    client: Client
    block: int
    numbers: dict[str, str] = field(default_factory=dict)  # name -> E.164
    ids: dict[str, str] = field(default_factory=dict)  # name -> contact id
    fake_twilio: list[FakeProvider] = field(default_factory=list)

    @property
    def tenant_id(self) -> str:
        assert self.runtime.demo is not None
        return self.runtime.demo.tenant_id

    def received(self) -> list[str]:
        """Every number of this case's people that a provider was asked to text or call, in order."""
        mine = set(self.numbers.values())
        asked = [m.to for m in sandbox().messages(self.tenant_id)]
        asked += [c.call.to for c in sandbox().placed_calls(self.tenant_id)]
        for fake in self.fake_twilio:
            asked += [parse_qs(s.body.decode())["To"][0] for s in fake.seen if s.method == "POST"]
        return [n for n in asked if n in mine]

    def received_by(self) -> set[str]:
        by_number = {n: name for name, n in self.numbers.items()}
        return {by_number[n] for n in self.received()}

    def audience(self, channel: str) -> list[str]:
        for name, (state, area, last4, consents, suppressed) in PEOPLE.items():
            number = f"+1{area}{560 + self.block}{last4}"
            self.numbers[name] = number
            if suppressed:
                self.client.expect(201, "POST", "/suppressions", {"number": number, "reason": "asked"})
            person: dict[str, Any] = {"phone": number, "first_name": name.title(), "state": state}
            if consents:
                person["consent"] = [written({**CONSENT, "channels": [channel]}, number)]
            self.ids[name] = self.client.expect(201, "POST", "/contacts", person)["contact_id"]
        return list(self.ids.values())

    def campaign(self, name: str, channel: str) -> str:
        spec = {
            **CAMPAIGN,
            "name": name,
            "channel": channel,
            "content": CONTENT[channel],
            "audience": {"contact_ids": self.audience(channel)},
        }
        campaign_id: str = self.client.expect(201, "POST", "/campaigns", spec)["campaign_id"]
        self.client.expect(200, "POST", f"/campaigns/{campaign_id}/submit")
        self.client.expect(200, "POST", f"/campaigns/{campaign_id}/approve")
        return campaign_id

    def run(self, campaign_id: str, action: str, at: datetime) -> dict[str, Any]:
        """Start (or resume) the campaign through the API with the gates' clock at ``at``; the ended run."""
        self.runtime.set_clock(lambda: at)
        try:
            run_id = self.client.expect(202, "POST", f"/campaigns/{campaign_id}/{action}")["run"]["run_id"]
            ended: dict[str, Any] = wait_for(lambda: self._ended(campaign_id, run_id), "the run to end")
            return ended
        finally:
            self.runtime.set_clock(None)

    def replay(self, campaign_id: str, run_id: str, at: datetime) -> None:
        """The same run's execution started again (a duplicate delivery), with the gates' clock at ``at``."""
        sfn = self.runtime.client("stepfunctions")
        run = {"tenant_id": self.tenant_id, "campaign_id": campaign_id, "run_id": run_id}
        self.runtime.set_clock(lambda: at)
        try:
            arn = sfn.start_execution(
                stateMachineArn=self.runtime.state_machine_arn, name=f"{run_id}-again", input=json.dumps(run)
            )["executionArn"]
            wait_for(lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING", "the replay")
        finally:
            self.runtime.set_clock(None)

    def _ended(self, campaign_id: str, run_id: str) -> dict[str, Any] | None:
        runs = self.client.expect(200, "GET", f"/campaigns/{campaign_id}/runs")["items"]
        (run,) = [r for r in runs if r["run_id"] == run_id]
        return run if run["status"] != "started" else None

    def report_items(self, campaign_id: str) -> dict[str, dict[str, Any]]:
        """name -> the contact's line of the campaign report, read through the API."""
        items = self.client.expect(200, "GET", f"/campaigns/{campaign_id}/report?limit=100")["items"]
        by_id = {cid: name for name, cid in self.ids.items()}
        lines = {by_id[o["contact_id"]]: o for o in items}
        assert len(lines) == len(items), "a contact reported twice"
        return lines

    def outcomes(self, campaign_id: str) -> dict[str, tuple[str, str | None]]:
        return {name: (o["status"], o["reason"]) for name, o in self.report_items(campaign_id).items()}

    def campaign_state(self, campaign_id: str) -> tuple[str, str | None]:
        campaign = self.client.expect(200, "GET", f"/campaigns/{campaign_id}")
        reason = campaign["history"][-1].get("reason") if campaign["history"] else None
        return campaign["status"], reason

    def check(self, campaign_id: str, may_receive: frozenset[str]) -> None:
        """What every case must show after every run, whatever failed."""
        received = self.received()
        assert self.received_by() <= may_receive, f"a provider reached {self.received_by() - may_receive}"
        assert not self.received_by() & GATED
        assert len(received) == len(set(received)), f"a number reached twice: {received}"
        assert set(self.outcomes(campaign_id)) == set(PEOPLE), "a contact without an outcome"


# ---------------------------------------------------------------- the faults
@contextmanager
def outcome_writes_throttled(world: World) -> Iterator[None]:
    """DynamoDB throttles the batch's writes of its sends' outcomes (its last step), not the settling's."""
    with aws_faults.failing(
        "dynamodb",
        "ProvisionedThroughputExceededException",
        "Rate of requests exceeds the allowed",
        when=lambda operation, body: (
            (operation == "BatchWriteItem" and _writes_a_sent_outcome(body))
            or (operation == "BatchExecuteStatement" and _writes_a_sheet(body))
        ),
    ):
        yield


def _writes_a_sheet(body: dict[str, Any]) -> bool:
    """A write of first sends' marks (``dispatch.outcomes.OutcomeSheet``: one PartiQL statement a sheet)."""
    return any(
        parameter.get("S", "").endswith("#OUTCOME_SHEET")
        for statement in body.get("Statements", [])
        for parameter in statement.get("Parameters", [])
    )


def _writes_a_sent_outcome(body: dict[str, Any]) -> bool:
    for writes in body.get("RequestItems", {}).values():
        for write in writes:
            item = write.get("PutRequest", {}).get("Item", {})
            outcome = "#OUTCOME" in item.get("pk", {}).get("S", "")
            if outcome and json.loads(item.get("body", {}).get("S", "{}")).get("status") == "sent":
                return True
    return False


@contextmanager
def suppression_reads_failing(world: World) -> Iterator[None]:
    """DynamoDB answers every read of the suppression list, its markers included, with a 500."""
    with aws_faults.failing(
        "dynamodb",
        "InternalServerError",
        "Internal server error",
        status=500,
        when=lambda operation, body: (
            operation in {"GetItem", "BatchGetItem", "Query"}
            and any(f'#{name}"' in json.dumps(body) for name in ("SUPPRESSION", "SUPPRESSED"))
        ),
    ):
        yield


@contextmanager
def kms_failing(world: World) -> Iterator[None]:
    """KMS answers every Decrypt with an internal error, in a cold container (no data key cached)."""
    envelope._envelope.cache_clear()
    with aws_faults.failing(
        "kms",
        "KMSInternalException",
        "The request was rejected because of an internal exception",
        when=lambda operation, body: operation == "Decrypt",
    ):
        yield


@contextmanager
def live_twilio(world: World, status: int, delay_seconds: float) -> Iterator[None]:
    """Texts go through the live adapter to a fake Twilio on loopback answering ``status`` after a delay."""
    names = ("GATEHOUSE_PROVIDER_MODE", "GATEHOUSE_TWILIO_BASE_URL", "GATEHOUSE_PROVIDER_TIMEOUT_SECONDS")
    saved = {name: os.environ.get(name) for name in names}
    with fake_provider() as fake:
        world.fake_twilio.append(fake)
        body = (
            {"sid": "SM" + "5e" * 16, "status": "queued"}
            if status < 300
            else {"code": 20500, "status": status}
        )
        fake.reply(TWILIO_MESSAGES, status, body)
        fake.delay_seconds = delay_seconds
        os.environ.update(
            {
                "GATEHOUSE_PROVIDER_MODE": "live",
                "GATEHOUSE_TWILIO_BASE_URL": fake.url,
                "GATEHOUSE_PROVIDER_TIMEOUT_SECONDS": "0.3",
            }
        )
        get_settings.cache_clear()
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            get_settings.cache_clear()


def twilio_5xx(world: World) -> AbstractContextManager[None]:
    return live_twilio(world, 503, 0.0)


def twilio_timeout(world: World) -> AbstractContextManager[None]:
    """Twilio accepts each text but answers after the timeout: the sender cannot know it went."""
    return live_twilio(world, 201, 1.0)


@contextmanager
def dnc_provider_failing(world: World) -> Iterator[None]:
    sandbox().answer(Provider.DNC, CheckStatus.UNREACHABLE)
    try:
        yield
    finally:
        sandbox().answer(Provider.DNC, None)


@contextmanager
def nothing_failing(world: World) -> Iterator[None]:
    """The fault is in the clock the case gives the gates, not in a dependency."""
    yield


# ---------------------------------------------------------------- the cases
@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[World], AbstractContextManager[None]]
    at: Callable[[], datetime]
    may_receive: frozenset[str]  # whom the gates admit at that clock
    first_run: dict[str, tuple[str, str | None]]  # each person's outcome after the failing run
    reached: frozenset[str] = frozenset()  # whom a provider was asked to reach during the failing run
    paused: str | None = None  # the reason the campaign pauses with (a prefix)
    channel: str = "sms"
    reached_in_the_end: frozenset[str] | None = None  # after the healthy second run, when it must send


def each(names: str, outcome: tuple[str, str | None]) -> dict[str, tuple[str, str | None]]:
    return dict.fromkeys(names.split(), outcome)


GATES_STOP = {
    "cy": ("blocked", "consent_missing"),
    "dee": ("blocked", "suppressed"),
    "eli": ("blocked", "dnc_listed"),
}
FAY_WAITS = {"fay": ("deferred", "federal_hours")}  # 7:30 in California
MORNING_ADMITS = frozenset({"ann", "bea"})
FAULTS = [
    Fault(
        "dynamodb_throttles_outcome_writes",
        outcome_writes_throttled,
        morning,
        MORNING_ADMITS,
        # the texts went before the write failed: the failed batch's settling says so
        {
            **each("ann bea", ("send_failed", "send_unconfirmed")),
            **each("cy dee eli fay", ("deferred", "batch_failed")),  # tried again, never lost
        },
        reached=MORNING_ADMITS,
    ),
    Fault(
        "dynamodb_internal_error_on_suppression_reads",
        suppression_reads_failing,
        morning,
        MORNING_ADMITS,
        each("ann bea cy dee eli fay", ("deferred", "batch_failed")),
        # Deferred, not dropped: the same run delivered again with DynamoDB healthy texts them.
        reached_in_the_end=MORNING_ADMITS,
    ),
    Fault(
        "kms_refuses_the_credentials",
        kms_failing,
        morning,
        MORNING_ADMITS,
        {**GATES_STOP, **FAY_WAITS, **each("ann bea", ("blocked", "provider_credentials_unavailable"))},
        paused="provider_credentials_",
        # The credentials open before any claim, so no attempt was used: the resume texts them.
        reached_in_the_end=MORNING_ADMITS,
    ),
    Fault(
        "twilio_answers_5xx",
        twilio_5xx,
        morning,
        MORNING_ADMITS,
        {**GATES_STOP, **FAY_WAITS, **each("ann bea", ("send_failed", "twilio_20500"))},
        reached=MORNING_ADMITS,  # asked, and refused
    ),
    Fault(
        "twilio_times_out",
        twilio_timeout,
        morning,
        MORNING_ADMITS,
        {**GATES_STOP, **FAY_WAITS, **each("ann bea", ("send_failed", "twilio_unreachable"))},
        reached=MORNING_ADMITS,  # accepted, though the sender never heard so
    ),
    Fault(
        "dnc_provider_fails_the_rescrub",
        dnc_provider_failing,
        morning_after_a_month,
        MORNING_ADMITS,
        # eli's intake answer (listed) still stands; the others needed the re-scrub that failed
        {**GATES_STOP, **each("ann bea fay", ("blocked", "dnc_source_failed"))},
        paused="dnc_source_failed",
        channel="voice",
    ),
    Fault(
        "clock_past_9pm",
        nothing_failing,
        past_nine,
        frozenset({"fay"}),  # 18:03 in California
        {**GATES_STOP, "fay": ("sent", None), **each("ann bea", ("deferred", "federal_hours"))},
        reached=frozenset({"fay"}),
    ),
    Fault(
        "clock_past_9pm_as_dst_began",
        nothing_failing,
        past_nine_as_dst_began,
        frozenset({"fay"}),
        {**GATES_STOP, "fay": ("sent", None), **each("ann bea", ("deferred", "federal_hours"))},
        reached=frozenset({"fay"}),
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_a_failing_dependency_sends_nothing_a_gate_stops_and_nothing_twice(
    runtime: LocalRuntime, fault: Fault
) -> None:
    assert runtime.demo is not None
    client = Client(runtime.api_url, runtime.demo.api_key)
    client.call("POST", "/integrations/twilio", SANDBOX_TWILIO)
    world = World(runtime, client, block=FAULTS.index(fault))
    campaign_id = world.campaign(fault.name, fault.channel)
    at = fault.at()

    with fault.inject(world):
        run = world.run(campaign_id, "start", at)

    world.check(campaign_id, fault.may_receive)
    assert world.outcomes(campaign_id) == fault.first_run
    assert world.received_by() == fault.reached
    status, reason = world.campaign_state(campaign_id)
    if fault.paused is not None:
        assert status == "paused"
        assert str(reason).startswith(fault.paused), reason
    else:  # a provider's 5xx or timeout is the contact's send_failed, never the campaign's pause
        assert status in {"running", "completed"}, (status, reason)
    for name, (outcome, why) in fault.first_run.items():
        if outcome == "deferred" and why != "batch_failed":  # waiting for the next opening where they are
            until = world.report_items(campaign_id)[name]["until"]
            assert datetime.fromisoformat(until) == next_opening(PEOPLE[name][0], at)

    # The dependency healthy again: resume what paused, deliver the same run again otherwise. A failed
    # batch's contacts wait for their retry (every run keeps a deferral still ahead): the pass comes then.
    failed_batch = any(why == Reason.BATCH_FAILED for _, why in fault.first_run.values())
    healthy_at = at + BATCH_RETRY_AFTER if failed_batch else at
    if status == "paused":
        world.run(campaign_id, "resume", healthy_at)
    else:
        world.replay(campaign_id, run["run_id"], healthy_at)
    world.check(campaign_id, fault.may_receive)
    if fault.reached_in_the_end is not None:
        assert world.received_by() == fault.reached_in_the_end
