"""Properties of the dispatch gates over generated contacts, campaigns, facts and instants.

An oracle written here, independently of the gates, reads DESIGN.md §6 literally for one
instant; the gates must agree with it: nothing passes that the oracle refuses, the first
gate that refuses is the one that decides, and a deferral waits for an instant that
passes. Instants lean on DST changes and the state holidays of the rule book.

Example counts come from the ``gates`` settings profile (``GATEHOUSE_PROPERTY_EXAMPLES``
raises them for a longer run).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatehouse.campaigns.records import CampaignSpec, CampaignStatus
from gatehouse.compliance import caps, hours
from gatehouse.compliance.holiday_sources import WEEKDAYS
from gatehouse.compliance.hours import HORIZON
from gatehouse.compliance.state_rules import RECIPIENT, RULES, Channel
from gatehouse.compliance.zones import AREA_CODES, STATE_ZONES, candidate_zones, number_place, states_for
from gatehouse.contacts.intake import refresh
from gatehouse.contacts.records import ConsentEvidence, Contact, InvalidPhone, normalize_phone
from gatehouse.dispatch.gates import (
    GOOD_BILLING,
    CampaignFacts,
    ContactFacts,
    Outcome,
    TenantFacts,
    evaluate,
    gate_caps,
    gate_hours,
)
from gatehouse.dnc.stamps import (
    DATA_VALID_FOR,
    ScrubReason,
    ScrubSource,
    ScrubStamp,
    ScrubStatus,
    StateListAnswer,
)
from tests.support.consent import WRITTEN_ELEMENTS

settings.register_profile(
    "gates",
    max_examples=int(os.environ.get("GATEHOUSE_PROPERTY_EXAMPLES", "100")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
GATES = settings.get_profile("gates")

# ---------------------------------------------------------------- instants

DST_CHANGES = [
    datetime(2026, 3, 8, tzinfo=UTC),
    datetime(2026, 11, 1, tzinfo=UTC),
    datetime(2027, 3, 14, tzinfo=UTC),
]
# Rows whose holidays ban the day (NE's prerecorded row only narrows its holidays' hours).
BANNING = [r for r in RULES.rules if r.holiday_hours is None]
HOLIDAY_STATES = sorted(r.state for r in BANNING if r.holidays is not None or r.banned_dates)
HOLIDAYS = sorted(
    (rule.state, day)
    for rule in BANNING
    for year in (2026, 2027)
    for day in (rule.holidays.dates(year) if rule.holidays else frozenset()) | rule.banned_dates
)


@st.composite
def holiday_instants(draw: st.DrawFn) -> datetime:
    """A wall-clock time between 7am and 10pm on one of a state's holidays, in one of its zones."""
    state, day = draw(st.sampled_from(HOLIDAYS))
    zone = draw(st.sampled_from(sorted(STATE_ZONES.states[state].zones)))
    at = time(draw(st.integers(7, 21)), draw(st.sampled_from([0, 1, 29, 59])))
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


instants = st.one_of(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.builds(lambda d, s: d + timedelta(seconds=s), st.sampled_from(DST_CHANGES), st.integers(0, 2 * 86400)),
    holiday_instants(),
)

# ---------------------------------------------------------------- contacts

AREA_CODE_POOL = sorted(AREA_CODES.area_codes)
STATE_POOL = sorted(STATE_ZONES.states)
ZONE_POOL = sorted({z for row in STATE_ZONES.states.values() for z in row.zones})


def _phone(area_code: str, exchange: int, line: int) -> str:
    return f"+1{area_code}{exchange}{line:04d}"


phones = st.one_of(
    st.builds(_phone, st.sampled_from(AREA_CODE_POOL), st.integers(200, 999), st.integers(0, 9999)),
    st.sampled_from(["+18005550199", "+15005550006", "+19005550100", "+442071838750"]),
)
channels = st.sampled_from(list(Channel))


# Written consent as given: complete, or missing one (f)(9) element, or prior express consent only.
CONSENT_FORMS: dict[str, dict[str, Any]] = {
    "written": {},
    "no_seller": {"seller": None},
    "other_number": {"number": "+12125550199"},
    "unsigned": {"signature_ref": None},
    "a_condition": {"not_condition_of_purchase": False},
    "express": {"type": "express"},
}


def _consent(
    covered: Sequence[Channel], now: datetime, phone: str, form: str = "written"
) -> list[ConsentEvidence]:
    if not covered:
        return []
    fields: dict[str, Any] = {
        "type": "express_written",
        "channels": list(covered),
        "obtained_at": now - timedelta(days=40),
        "source": "import",
        "wording": "Yes, contact me",
        **WRITTEN_ELEMENTS,
        "number": _named(phone),
        **CONSENT_FORMS[form],
    }
    return [ConsentEvidence.model_validate(fields)]


def _named(phone: str) -> str | None:
    """The number as written consent can name it (None: not a valid US number, so it names none)."""
    try:
        return normalize_phone(phone)
    except InvalidPhone:
        return None


def written_in_full(evidence: ConsentEvidence, phone: str) -> bool:
    """47 CFR 64.1200(f)(9), read on its own: seller, number, signature (E-SIGN), not a condition."""
    signed = evidence.signature_ref is not None or (
        evidence.ip is not None and (evidence.source_url is not None or evidence.recording_ref is not None)
    )
    return (
        evidence.type == "express_written"
        and bool(evidence.seller)
        and evidence.number == phone
        and signed
        and evidence.not_condition_of_purchase
    )


def mostly(allowed: Any, other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``allowed`` most of the time, else a draw from ``other``.

    Each fact is drawn mostly "allowed", so that many examples get past the earlier gates
    and every gate gets to decide some of them. (The odd one out is a middle value:
    hypothesis favours the ends of a range.)
    """
    return st.integers(0, 11).flatmap(lambda n: other if n == 5 else st.just(allowed))


@st.composite
def stamps(draw: st.DrawFn, now: datetime) -> ScrubStamp | None:
    if draw(st.integers(0, 15)) == 0:
        return None
    status = draw(mostly(ScrubStatus.CLEAR, st.sampled_from(list(ScrubStatus))))
    reason = draw(st.sampled_from(list(ScrubReason))) if status is ScrubStatus.ERROR else None
    age = timedelta(hours=draw(mostly(24, st.integers(-2, 24 * 45))))  # some stale, some from a clock ahead
    # How old the data was at the scrub (None: a stamp stored before versions were recorded).
    data_age = draw(mostly(timedelta(0), st.one_of(st.none(), st.integers(0, 24 * 40).map(hours_))))
    answer = status in {ScrubStatus.CLEAR, ScrubStatus.LISTED}
    lists = {
        state: StateListAnswer(listed=listed, as_of=now - hours_(list_age))
        for state, (listed, list_age) in draw(
            st.dictionaries(
                st.sampled_from(["TX", "FL", "IN", "PA", "CA"]),
                st.tuples(mostly(False, st.booleans()), mostly(24, st.integers(0, 24 * 40))),
            )
        ).items()
    }
    return ScrubStamp(
        status=status,
        checked_at=now - age,
        source=ScrubSource.SANDBOX,
        reason=reason,
        data_as_of=now - age - data_age if answer and data_age is not None else None,
        state_lists=lists if answer else {},
    )


def hours_(count: int) -> timedelta:
    return timedelta(hours=count)


@st.composite
def contacts(draw: st.DrawFn, now: datetime) -> Contact:
    """Resolved through the real zone resolver, or carrying an arbitrary zone and state set."""
    phone = draw(phones)
    covered = draw(mostly(list(Channel), st.lists(channels, max_size=2, unique=True)))
    form = draw(mostly("written", st.sampled_from(sorted(CONSENT_FORMS))))
    fields: dict[str, Any] = {
        "contact_id": "con_" + "a" * 26,
        "e164": phone,
        "state": draw(st.one_of(st.none(), st.sampled_from(STATE_POOL))),
        "consent": _consent(covered, now, phone, form),
        "dnc": draw(stamps(now)),
        "created_at": now - timedelta(days=60),
        "created_by": "api_key:key_x",
        "deleted_at": draw(mostly(None, st.just(now - timedelta(days=1)))),
    }
    contact = refresh(Contact(**fields))
    if draw(st.integers(0, 3)) != 2:
        return contact
    zones = draw(st.lists(st.sampled_from(ZONE_POOL), max_size=2, unique=True))
    states = draw(
        st.lists(
            st.sampled_from([*HOLIDAY_STATES, "FL", "MD", "OK", "NY", "TX", "NV"]), max_size=3, unique=True
        )
    )
    return contact.model_copy(update={"zones": zones, "states": states})


# ---------------------------------------------------------------- campaigns and facts


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


ALL_WEEK = [{"days": list(WEEKDAYS), "start": "00:00", "end": "24:00"}]
# 47 CFR 64.1200(b)(1)-(2): what an artificial-voice marketing call says first and the opt-out it offers.
DISCLOSED: dict[str, Any] = {"opening": "This is Ava for Acme", "opt_out": {"key": "9", "phrase": "say stop"}}


@st.composite
def windows(draw: st.DrawFn) -> list[dict[str, Any]]:
    found = []
    for _ in range(draw(st.integers(1, 2))):
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
        start = draw(st.integers(0, 20 * 60))
        end = draw(st.integers(start + 1, 24 * 60))
        found.append({"days": days, "start": _hhmm(start), "end": _hhmm(end)})
    return found


VOICES = st.sampled_from(["prerecorded", "live"])
TWILIO_PLACED = {
    voice: {"placed_by": "twilio", "agent_number": "+14155550111"} for voice in ("prerecorded", "live")
}


@st.composite
def specs(draw: st.DrawFn) -> CampaignSpec:
    channel = draw(channels)
    # Calls: the voice agent's artificial voice, or Twilio connecting a recording or a person.
    technology = None if channel is Channel.SMS else draw(mostly("artificial_voice", VOICES))
    content = (
        {"kind": "sms", "template": "Hi. Reply STOP to opt out."}
        if channel is Channel.SMS
        else {"kind": "voice", "agent_id": "agent_1", **DISCLOSED, **TWILIO_PLACED.get(technology, {})}
    )
    return CampaignSpec.model_validate(
        {
            "name": "Property",
            "channel": channel,
            "technology": technology,
            "audience": {"tag": "all"},
            "content": content,
            "senders": {"numbers": ["+14155550100"]},
            "windows": draw(mostly(ALL_WEEK, windows())),
            "max_attempts_per_contact": draw(st.integers(1, 4)),
            "purpose": draw(mostly("marketing", st.just("informational"))),
        }
    )


campaigns = st.builds(
    CampaignFacts,
    status=mostly(CampaignStatus.RUNNING, st.sampled_from(list(CampaignStatus))),
    approved_by=mostly("user:usr_x", st.none()),
    spec=specs(),
)
tenants = st.builds(
    TenantFacts,
    active=mostly(True, st.just(False)),
    billing_status=mostly("active", st.sampled_from(["trialing", "past_due", "canceled", "unpaid", None])),
)


@st.composite
def contact_facts(draw: st.DrawFn, now: datetime) -> ContactFacts:
    offsets = draw(st.lists(st.integers(-3600, 30 * 3600), max_size=5))
    return ContactFacts(
        suppressed=draw(mostly(False, st.sampled_from([True, None]))),
        attempts_last_day=[now - timedelta(seconds=s) for s in offsets],
        owners_word=draw(st.booleans()),
        hung_up_at=draw(mostly(None, st.just(now - timedelta(days=90)))),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Contact, CampaignFacts, TenantFacts, ContactFacts, datetime]:
    now = draw(instants)
    return draw(contacts(now)), draw(campaigns), draw(tenants), draw(contact_facts(now)), now


# ---------------------------------------------------------------- the oracle


def hours_hold(
    zones: Sequence[str], states: Sequence[str], channel: Channel, spec: CampaignSpec, instant: datetime
) -> bool:
    """8am-9pm, the campaign's windows, and every applicable state's rule, in every candidate zone."""
    if not zones:
        return False
    campaign = [w.window() for w in spec.windows]
    for zone in zones:
        local = instant.astimezone(ZoneInfo(zone))
        if not 8 * 60 <= local.hour * 60 + local.minute < 21 * 60:
            return False
        if not any(window.holds(local) for window in campaign):
            return False
    for rule in RULES.applicable(states, channel, spec.reach):
        clocks = [z for name in rule.clocks for z in (zones if name == RECIPIENT else [name])]
        if any(rule.refuses(instant.astimezone(ZoneInfo(clock))) is not None for clock in clocks):
            return False
    return True


def under_caps(contact: Contact, spec: CampaignSpec, facts: ContactFacts, now: datetime) -> bool:
    limits = [
        *(
            (cap.attempts, cap.window)
            for _, cap in RULES.attempt_caps(contact.states, spec.channel, spec.reach)
        ),
        (spec.max_attempts_per_contact, caps.WINDOW),
    ]
    return all(
        len([a for a in facts.attempts_last_day if a > now - window]) < limit for limit, window in limits
    )


# NRS 597.814 (calling-rules reference, NV, low confidence, applied strictly): the rows that say so.
RECALL_BARRING = {rule.state for rule in RULES.rules if rule.no_recall_after_hang_up}


def may_call_again(contact: Contact, spec: CampaignSpec, facts: ContactFacts) -> bool:
    """After a hang-up on an artificial or prerecorded voice, no such call again to anyone who may be
    in a barring state (or in no known state); texts and live calls are not such calls."""
    recorded_voice = spec.channel is Channel.VOICE and spec.technology in {"artificial_voice", "prerecorded"}
    if facts.hung_up_at is None or not recorded_voice:
        return True
    return bool(contact.states) and not RECALL_BARRING & set(contact.states)


def refusing_gates(
    contact: Contact, campaign: CampaignFacts, tenant: TenantFacts, facts: ContactFacts, now: datetime
) -> list[str]:
    """Every gate DESIGN.md §6 says must stop this attempt now, in the design's order."""
    stamp = contact.dnc
    # 47 CFR 64.1200(a)(2): marketing by autodialed text or artificial/prerecorded voice needs it written.
    needs_written = campaign.spec.purpose == "marketing" and campaign.spec.technology != "live"
    checks = {
        "state": tenant.active
        and tenant.billing_status in GOOD_BILLING
        and campaign.approved_by is not None
        and campaign.status is CampaignStatus.RUNNING,
        "consent": contact.deleted_at is None
        and any(
            campaign.spec.channel in e.channels and (not needs_written or written_in_full(e, contact.e164))
            for e in contact.consent
        ),
        "suppression": facts.suppressed is False,
        "dnc": dnc_holds(
            stamp,
            contact.states,
            now,
            registry_binds=registry_binds(contact, campaign.spec),
            owners_word=facts.owners_word,
        ),
        "hours": hours_hold(contact.zones, contact.states, campaign.spec.channel, campaign.spec, now),
        "caps": under_caps(contact, campaign.spec, facts, now)
        and may_call_again(contact, campaign.spec, facts),
    }
    return [gate for gate, ok in checks.items() if not ok]


# ---------------------------------------------------------------- the whole chain


@GATES
@given(scenarios())
def test_a_contact_passes_only_when_every_gate_would_let_it_and_the_first_refusal_decides(
    scenario: tuple[Contact, CampaignFacts, TenantFacts, ContactFacts, datetime],
) -> None:
    contact, campaign, tenant, facts, now = scenario
    verdict = evaluate(contact, campaign, tenant, facts, now)
    refusing = refusing_gates(contact, campaign, tenant, facts, now)
    if verdict.passed:
        assert refusing == []
    else:
        assert refusing, f"blocked by {verdict.gate} ({verdict.reason}) though every gate holds"
        assert verdict.gate == refusing[0]
    if verdict.gate == "dnc":
        assert verdict.reason == dnc_reason(contact.dnc, now, contact.states)


@GATES
@given(scenarios(), st.sampled_from(["artificial_voice", "prerecorded", "live"]))
def test_a_person_who_may_be_in_nevada_and_hung_up_on_a_recorded_call_gets_no_other_nrs_597_814(
    scenario: tuple[Contact, CampaignFacts, TenantFacts, ContactFacts, datetime], voice: str
) -> None:
    """NRS 597.814 (calling-rules reference, NV, low confidence, applied strictly): the chain agrees
    with the oracle for calls to someone who may be in Nevada and hung up on a recorded voice."""
    contact, campaign, tenant, facts, now = scenario
    contact = contact.model_copy(update={"states": sorted({*contact.states, "NV"})})
    spec = CampaignSpec.model_validate(
        {
            "name": "Calls",
            "channel": "voice",
            "technology": voice,
            "purpose": campaign.spec.purpose,
            "audience": {"tag": "all"},
            "content": {"kind": "voice", "agent_id": "agent_1", **DISCLOSED, **TWILIO_PLACED.get(voice, {})},
            "senders": {"numbers": ["+14155550100"]},
            "windows": [w.model_dump(mode="json") for w in campaign.spec.windows],
            "max_attempts_per_contact": campaign.spec.max_attempts_per_contact,
        }
    )
    calls = CampaignFacts(campaign.status, campaign.approved_by, spec)
    hung_up = replace(facts, hung_up_at=now - timedelta(days=365))
    verdict = evaluate(contact, calls, tenant, hung_up, now)
    refusing = refusing_gates(contact, calls, tenant, hung_up, now)
    assert verdict.passed == (refusing == [])
    if not verdict.passed:
        assert verdict.gate == refusing[0]
    if voice != "live":
        assert not verdict.passed


def registry_binds(contact: Contact, spec: CampaignSpec) -> bool:
    """47 CFR 64.1200(c)(2): a telephone solicitation (marketing), unless (c)(2)(ii) the person signed a
    written agreement: every (f)(9) element, for the campaign's channel."""
    signed = any(spec.channel in e.channels and written_in_full(e, contact.e164) for e in contact.consent)
    return spec.purpose == "marketing" and not signed


def dnc_holds(
    stamp: ScrubStamp | None, states: Sequence[str], now: datetime, *, registry_binds: bool, owners_word: bool
) -> bool:
    """§6 gate 4: registry data (federal, and each list of the person's states that keep one)
    at most 31 days old at the attempt, and not listed; unscrubbed stands on the owner's word
    only where the registry does not bind the attempt, and only while that word stands (acknowledged,
    no provider connected since)."""
    if stamp is None or stamp.status in {ScrubStatus.LISTED, ScrubStatus.ERROR}:
        return False
    if stamp.status is ScrubStatus.UNSCRUBBED:
        return now - stamp.checked_at <= DATA_VALID_FOR and owners_word and not registry_binds
    if stamp.data_as_of is None or now - stamp.data_as_of > DATA_VALID_FOR:
        return False
    for state in states:
        if RULES.keeps_dnc_list(state):
            answer = stamp.state_lists.get(state)
            if answer is None or answer.listed or now - answer.as_of > DATA_VALID_FOR:
                return False
    return True


def dnc_reason(stamp: ScrubStamp | None, now: datetime, states: Sequence[str] = ()) -> str:
    """Why gate 4 refuses: a source failure must say so, since it is what pauses the campaign."""
    if stamp is None:
        return "dnc_unscrubbed"
    if stamp.status is ScrubStatus.LISTED:
        return "dnc_listed"
    if stamp.status is ScrubStatus.ERROR:
        number_only = stamp.reason in {ScrubReason.INVALID_NUMBER, ScrubReason.NOT_COVERED}
        return "dnc_number_error" if number_only else "dnc_source_failed"
    if stamp.status is ScrubStatus.UNSCRUBBED:
        return "dnc_data_stale" if now - stamp.checked_at > DATA_VALID_FOR else "dnc_unscrubbed"
    if stamp.data_as_of is None:
        return "dnc_data_stale"
    if now - stamp.data_as_of > DATA_VALID_FOR:
        return "dnc_data_stale"
    answers = [stamp.state_lists.get(s) for s in states if RULES.keeps_dnc_list(s)]
    if any(a is not None and a.listed for a in answers):
        return "state_dnc_listed"
    if any(a is None for a in answers):
        return "state_dnc_missing"
    return "state_dnc_stale"


@GATES
@given(scenarios())
def test_a_contact_every_gate_lets_through_is_sent(
    scenario: tuple[Contact, CampaignFacts, TenantFacts, ContactFacts, datetime],
) -> None:
    contact, _, _, facts, now = scenario
    willing = CampaignFacts(CampaignStatus.RUNNING, "user:usr_x", _any_spec(contact))
    tenant = TenantFacts(active=True, billing_status="active")
    clean = ContactFacts(suppressed=False, attempts_last_day=facts.attempts_last_day)
    contact = contact.model_copy(
        update={
            "deleted_at": None,
            "consent": _consent(list(Channel), now, contact.e164),
            "dnc": ScrubStamp(
                status=ScrubStatus.CLEAR,
                checked_at=now,
                source=ScrubSource.SANDBOX,
                data_as_of=now,
                state_lists={s: StateListAnswer(listed=False, as_of=now) for s in RULES.dnc_list_states()},
            ),
        }
    )
    verdict = evaluate(contact, willing, tenant, clean, now)
    assert verdict.passed == (refusing_gates(contact, willing, tenant, clean, now) == [])


def _any_spec(contact: Contact) -> CampaignSpec:
    return CampaignSpec.model_validate(
        {
            "name": "Wide",
            "channel": "voice",
            "audience": {"tag": "all"},
            "content": {"kind": "voice", "agent_id": "agent_1", **DISCLOSED},
            "senders": {"numbers": ["+14155550100"]},
            "windows": [{"days": list(WEEKDAYS), "start": "00:00", "end": "24:00"}],
            "max_attempts_per_contact": 3,
        }
    )


@GATES
@given(scenarios())
def test_a_deferral_waits_for_an_instant_at_which_the_deferring_gate_passes(
    scenario: tuple[Contact, CampaignFacts, TenantFacts, ContactFacts, datetime],
) -> None:
    contact, campaign, _, facts, now = scenario
    spec = campaign.spec
    for gate, at in (
        ("hours", lambda t: gate_hours(contact, spec, t)),
        ("caps", lambda t: gate_caps(contact, spec, facts, t)),
    ):
        verdict = at(now)
        if verdict.outcome is Outcome.DEFERRED:
            assert verdict.until is not None
            assert now < verdict.until <= now + HORIZON + caps.WINDOW, gate
            assert at(verdict.until).passed, f"{gate} deferred to {verdict.until}, which it refuses too"
        else:
            assert verdict.until is None


# ---------------------------------------------------------------- calling hours


@GATES
@given(scenarios())
def test_every_calling_hours_pass_is_inside_8am_to_9pm_and_the_state_rules_in_every_zone(
    scenario: tuple[Contact, CampaignFacts, TenantFacts, ContactFacts, datetime],
) -> None:
    contact, campaign, _, _, now = scenario
    verdict = gate_hours(contact, campaign.spec, now)
    assert verdict.passed == hours_hold(
        contact.zones, contact.states, campaign.spec.channel, campaign.spec, now
    )
    if not contact.zones:
        assert (verdict.outcome, verdict.reason) == (Outcome.BLOCKED, "zone_unknown")
    if verdict.outcome is Outcome.DEFERRED:
        assert verdict.until is not None
        assert hours_hold(contact.zones, contact.states, campaign.spec.channel, campaign.spec, verdict.until)
        assert not hours_hold(
            contact.zones,
            contact.states,
            campaign.spec.channel,
            campaign.spec,
            verdict.until - timedelta(seconds=1),
        )


@st.composite
def holidays_in_force(draw: st.DrawFn) -> tuple[str, Channel, datetime]:
    """(state, channel its rule covers, an instant between 7am and 10pm local on its holiday)."""
    state, day = draw(st.sampled_from(HOLIDAYS))
    channel = draw(st.sampled_from([c for c in Channel if RULES.applicable([state], c)]))
    zone = draw(st.sampled_from(sorted(STATE_ZONES.states[state].zones)))
    at = time(draw(st.integers(7, 21)), draw(st.sampled_from([0, 1, 29, 59])))
    return state, channel, datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


@GATES
@given(holidays_in_force())
def test_no_attempt_passes_on_a_holiday_of_a_state_that_applies(
    holiday: tuple[str, Channel, datetime],
) -> None:
    state, channel, now = holiday
    rule = RULES.rule_for(state)
    assert rule is not None
    zones = sorted(STATE_ZONES.states[state].zones)
    decision = hours.evaluate(zones, [state], channel, None, now)
    assert not isinstance(decision, hours.Allowed)
    if isinstance(decision, hours.Deferred):
        assert all(not rule.is_holiday(decision.until_utc.astimezone(ZoneInfo(z)).date()) for z in zones)


# ---------------------------------------------------------------- attempt caps

attempt_offsets = st.lists(st.integers(-2 * 3600, 48 * 3600), max_size=8)


@GATES
@given(
    attempt_offsets,
    instants,
    st.dictionaries(st.sampled_from(["FL", "MD", "OK"]), st.integers(1, 4), max_size=2),
    st.one_of(st.none(), st.integers(1, 5)),
)
def test_the_attempt_cap_allows_only_under_every_limit_and_defers_to_the_first_instant_it_would(
    offsets: list[int], now: datetime, state_caps: dict[str, int], campaign_limit: int | None
) -> None:
    attempts = [now - timedelta(seconds=s) for s in offsets]
    limits = [*state_caps.values(), *([campaign_limit] if campaign_limit else [])]

    def recent(at: datetime) -> int:
        return sum(1 for a in attempts if a > at - caps.WINDOW)

    decision = caps.evaluate(attempts, now, state_caps=state_caps, campaign_limit=campaign_limit)
    if isinstance(decision, caps.CapAllowed):
        assert all(recent(now) < limit for limit in limits)
        assert decision.remaining == (min(limits) - recent(now) if limits else None)
    else:
        assert any(recent(now) >= limit for limit in limits)
        until = decision.until_utc
        assert until > now
        assert all(recent(until) < limit for limit in limits)
        later = caps.evaluate(attempts, until, state_caps=state_caps, campaign_limit=campaign_limit)
        assert isinstance(later, caps.CapAllowed)
        assert any(recent(until - timedelta(microseconds=1)) >= limit for limit in limits)


# ---------------------------------------------------------------- zones

known_states = st.one_of(st.none(), st.sampled_from(STATE_POOL))


@GATES
@given(phones, known_states)
def test_candidate_zones_keep_every_zone_the_number_and_the_state_on_record_bring(
    e164: str, state: str | None
) -> None:
    zones = candidate_zones(e164, state)
    assert number_place(e164).zones <= zones
    if state is not None:
        assert set(STATE_ZONES.states[state].zones) <= zones
        assert state in states_for(e164, state)
    place = number_place(e164)
    if place.state is not None:
        assert place.state in states_for(e164, state)
        assert zones, "a number with a known US area code always has a zone"


@GATES
@given(phones, known_states, scenarios())
def test_the_state_on_record_never_loosens_the_hours_gate(
    e164: str,
    state: str | None,
    scenario: tuple[Contact, CampaignFacts, TenantFacts, ContactFacts, datetime],
) -> None:
    """Knowing more about where someone is can only add clocks and rules, never remove one."""
    _, campaign, _, _, now = scenario
    bare = refresh(_contact(e164, None, now))
    located = refresh(_contact(e164, state, now))
    if gate_hours(located, campaign.spec, now).passed:
        assert gate_hours(bare, campaign.spec, now).passed or not bare.zones


def _contact(e164: str, state: str | None, now: datetime) -> Contact:
    return Contact(
        contact_id="con_" + "b" * 26,
        e164=e164,
        state=state,
        created_at=now - timedelta(days=1),
        created_by="x",
    )


def test_the_generated_scenarios_reach_every_gate_and_a_pass() -> None:
    """The properties above are only as good as what the strategies produce."""
    assert HOLIDAYS, "the rule book lists no state holidays to generate"
    seen: set[str | None] = set()

    @settings(GATES, max_examples=200)
    @given(scenarios())
    def collect(scenario: tuple[Contact, CampaignFacts, TenantFacts, ContactFacts, datetime]) -> None:
        seen.add(evaluate(*scenario).gate)

    collect()
    assert seen == {"state", "consent", "suppression", "dnc", "hours", "caps", None}  # None: passed
