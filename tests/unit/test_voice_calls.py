"""What a call says and what follows: the caller's turns, the (b)(1)-(2) disclosures, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from gatehouse.compliance.optout import Intent
from gatehouse.compliance.state_rules import Channel
from gatehouse.dispatch.gates import ContactFacts, Reason, Step, retry_unanswered
from gatehouse.voice import disclosures, turns
from gatehouse.voice.revocations import HeardIn, from_gather, heard
from tests.unit.test_dispatch_gates import DISCLOSED, NOW, contact, spec_for

# ---------------------------------------------------------------- turns


def test_a_plain_transcript_reads_as_turns_with_continued_lines() -> None:
    text = "Agent: Hi, this is Ava.\nUser: hello\nwho is this\n  agent :  Acme Solar\nnoise\nCUSTOMER: ok"
    assert turns.from_text(text) == [
        ("agent", "Hi, this is Ava."),
        ("user", "hello\nwho is this"),
        ("agent", "Acme Solar\nnoise"),
        ("customer", "ok"),
    ]
    assert turns.from_text(None) == [] == turns.from_text("")


def test_text_under_no_label_is_nobodys() -> None:
    """An unlabelled transcript cannot say who spoke: it is not read as the caller's words."""
    assert turns.from_text("stop calling me") == [("", "stop calling me")]
    assert heard(turns.from_text("stop calling me")).intent is Intent.NONE


# ---------------------------------------------------------------- revocations, 47 CFR 64.1200(a)(10)


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ([("user", "please stop calling me")], Intent.OPT_OUT),
        ([("customer", "put me on your do not call list")], Intent.OPT_OUT),
        ([("user", "no me llame más")], Intent.OPT_OUT),
        ([("agent", "you can say stop calling"), ("user", "ok, go on")], Intent.NONE),
        ([("assistant", "say stop calling to opt out"), ("bot", "take me off your list")], Intent.NONE),
        ([("system", "if they say stop calling, end the call")], Intent.NONE),  # a prompt, not a person
        ([("user", "who gave you my number?")], Intent.UNCERTAIN),
        ([("user", "who gave you my number?"), ("user", "just stop calling")], Intent.OPT_OUT),
        ([("user", "call me back later"), ("user", "I'll stop by tomorrow")], Intent.NONE),
        ([("user", "don't stop, tell me more")], Intent.NONE),
    ],
)
def test_only_the_callers_turns_are_read(said: list[tuple[str, str]], intent: Intent) -> None:
    """47 CFR 64.1200(a)(10) (FCC 24-24): the person's words revoke; never the agent's."""
    assert heard(said).intent is intent


def test_the_agents_flag_revokes_whatever_the_transcript_says() -> None:
    reading = heard([("user", "sure")], agent_says_stop=True)
    assert (reading.intent, reading.heard_in) == (Intent.OPT_OUT, HeardIn.AGENT_ANALYSIS)


@pytest.mark.parametrize(
    ("digits", "speech", "key", "intent"),
    [
        ("9", None, "9", Intent.OPT_OUT),
        ("1", None, "9", Intent.NONE),
        (None, "stop calling me", "9", Intent.OPT_OUT),
        ("1", "who is this", None, Intent.NONE),
        ("9", None, None, Intent.NONE),  # no key was offered: a 9 is no request
    ],
)
def test_a_gather_result_revokes_by_the_offered_key_or_the_words(
    digits: str | None, speech: str | None, key: str | None, intent: Intent
) -> None:
    """47 CFR 64.1200(b)(2): the automated, interactive opt-out: the key offered, or the request said."""
    assert from_gather(digits, speech, key).intent is intent


# ---------------------------------------------------------------- disclosures, 47 CFR 64.1200(b)(1)-(2)

VOICE = {"kind": "voice", "agent_id": "agent_demo"}
TWILIO_DIALS = {**VOICE, "placed_by": "twilio", "agent_number": "+14155550111"}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"content": {**VOICE, **DISCLOSED}}, []),
        ({"content": VOICE}, ["body.content.voice.opening", "body.content.voice.opt_out"]),
        ({"content": {**VOICE, "opt_out": DISCLOSED["opt_out"]}}, ["body.content.voice.opening"]),
        ({"content": {**VOICE, **DISCLOSED, "opening": "Hi there!"}}, ["body.content.voice.opening"]),
        ({"content": {**VOICE, **DISCLOSED, "seller": "Bolt Roofing"}}, ["body.content.voice.opening"]),
        (
            {"content": {**VOICE, **DISCLOSED, "opening": "Bolt  ROOFING calling", "seller": "Bolt Roofing"}},
            [],
        ),
        (
            {"content": {**TWILIO_DIALS, "opt_out": DISCLOSED["opt_out"]}, "technology": "prerecorded"},
            ["body.content.voice.opening"],
        ),
        (
            {"content": VOICE, "purpose": "informational"},
            ["body.content.voice.opening", "body.content.voice.opt_out"],
        ),
        ({"content": {**VOICE, **DISCLOSED}, "purpose": "informational"}, []),
        (
            {
                "content": TWILIO_DIALS,
                "technology": "live",
            },
            [],
        ),
    ],
)
def test_an_artificial_voice_call_names_the_business_and_offers_an_opt_out(
    changes: dict[str, Any], fields: list[str]
) -> None:
    """47 CFR 64.1200(b)(1): the business named at the start; (b)(2): an automated, interactive opt-out."""
    spec = spec_for(Channel.VOICE, **changes)
    assert [p["field"] for p in disclosures.problems(spec, "Acme")] == fields


def test_a_campaign_stored_without_them_never_dials() -> None:
    """47 CFR 64.1200(b)(1)-(2): the dispatch gate asks ``missing`` of campaigns stored before the rule."""
    assert disclosures.missing(spec_for(Channel.VOICE, content=VOICE))
    assert not disclosures.missing(spec_for(Channel.VOICE, content={**VOICE, **DISCLOSED}))
    assert not disclosures.missing(spec_for(Channel.VOICE, content=TWILIO_DIALS, technology="live"))


@pytest.mark.parametrize("technology", ["artificial_voice", "prerecorded"])
def test_64_1200_b_an_informational_machine_voice_call_needs_the_disclosures_too(technology: str) -> None:
    """47 CFR 64.1200(b)(1)-(2), read strictly (no marketing-only limit): an informational call by an
    artificial or prerecorded voice names the business and offers the automated opt-out, or never dials."""
    bare = spec_for(Channel.VOICE, content=TWILIO_DIALS, purpose="informational", technology=technology)
    assert disclosures.required(bare)
    assert disclosures.missing(bare)
    assert [p["field"] for p in disclosures.problems(bare, "Acme")] == [
        "body.content.voice.opening",
        "body.content.voice.opt_out",
    ]
    said = spec_for(
        Channel.VOICE, content={**TWILIO_DIALS, **DISCLOSED}, purpose="informational", technology=technology
    )
    assert not disclosures.missing(said)


def test_the_agent_is_given_the_disclosures_as_variables() -> None:
    content = spec_for(Channel.VOICE).content
    assert disclosures.variables(content) == {  # type: ignore[arg-type]
        "opening": "This is Ava for Acme",
        "opt_out_key": "9",
        "opt_out_phrase": "say stop",
    }
    assert disclosures.from_metadata({"opening": "x", "opt_out_key": "9"}) is None


def test_a_retry_policy_stays_within_the_campaigns_attempts() -> None:
    with pytest.raises(ValidationError) as raised:
        spec_for(
            Channel.VOICE, content={**VOICE, **DISCLOSED, "retry": {"attempts": 3, "spacing_minutes": 60}}
        )
    [error] = raised.value.errors()
    assert error["loc"] == ("content", "voice", "retry", "attempts")
    with pytest.raises(ValidationError):
        spec_for(
            Channel.VOICE, content={**VOICE, **DISCLOSED, "retry": {"attempts": 2, "spacing_minutes": 59}}
        )


# ---------------------------------------------------------------- retries of unanswered calls

EVENING = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # Tuesday 19:30 in New York


def retrying(attempts: int = 3, spacing: int = 60, max_attempts: int = 3) -> Any:
    content = {**VOICE, **DISCLOSED, "retry": {"attempts": attempts, "spacing_minutes": spacing}}
    return spec_for(Channel.VOICE, content=content, max_attempts_per_contact=max_attempts)


VOICE_NY = contact(channels=(Channel.VOICE,))
VOICE_FL = contact(phone="+13055550100", state="FL", channels=(Channel.VOICE,))


@pytest.mark.parametrize(
    ("who", "spec", "facts", "attempts", "ended", "why", "step", "until"),
    [
        # spacing after the end, inside the campaign's window (09:00-20:00 New York)
        (VOICE_NY, retrying(), [], 1, NOW, Reason.NO_ANSWER, Step.DEFER, NOW + timedelta(minutes=60)),
        (VOICE_NY, retrying(spacing=120), [], 2, NOW, Reason.VOICEMAIL, Step.DEFER, NOW + timedelta(hours=2)),
        # the policy's attempts, then the campaign's, bound the retries
        (VOICE_NY, retrying(), [], 3, NOW, Reason.BUSY, Step.SETTLED, None),
        (VOICE_NY, retrying(attempts=1), [], 1, NOW, Reason.NO_ANSWER, Step.SETTLED, None),
        # calling hours: 20:30 is past the window; the retry waits for Wednesday 09:00 New York
        (
            VOICE_NY,
            retrying(),
            [],
            1,
            EVENING,
            Reason.NO_ANSWER,
            Step.DEFER,
            datetime(2026, 3, 11, 13, tzinfo=UTC),
        ),
        # Fla. Stat. 501.616(6)(b): 3 calls per 24 hours; the retry waits until the first leaves the window
        (
            VOICE_FL,
            retrying(attempts=5, max_attempts=5),
            [NOW - timedelta(hours=3), NOW - timedelta(hours=2), NOW],
            3,
            NOW,
            Reason.NO_ANSWER,
            Step.DEFER,
            NOW + timedelta(hours=21),
        ),
        # a zone nobody can place: no retry at all (fail closed)
        (
            contact(phone="+18005550199", state=None, channels=(Channel.VOICE,)),
            retrying(),
            [],
            1,
            NOW,
            Reason.NO_ANSWER,
            Step.SETTLED,
            None,
        ),
        # an answered call is no retry's business
        (VOICE_NY, retrying(), [], 1, NOW, Reason.SEND_FAILED, Step.SETTLED, None),
    ],
)
def test_an_unanswered_call_is_retried_within_the_policy_the_hours_and_the_caps(
    who: Any,
    spec: Any,
    facts: list[datetime],
    attempts: int,
    ended: datetime,
    why: Reason,
    step: Step,
    until: Any,
) -> None:
    """47 CFR 64.1200(c)(1) hours and the state caps (rule book) hold for a retry as for every attempt."""
    decided = retry_unanswered(
        who,
        spec,
        ContactFacts(suppressed=False, attempts_last_day=facts),
        attempts=attempts,
        ended=ended,
        why=why,
    )
    assert (decided.step, decided.until) == (step, until)
    assert decided.reason is (Reason.RETRY_UNANSWERED if step is Step.DEFER else why)


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        ("dial_no_answer", "no_answer"),  # Retell
        ("voicemail_reached", "voicemail"),
        ("customer-did-not-answer", "no_answer"),  # Vapi
        ("customer-busy", "busy"),
        ("user_hangup", None),  # answered: nothing to retry
        ("user_declined", None),  # the person refused the call: never retried
    ],
)
def test_each_vendors_words_for_an_unanswered_call_are_read(reason: str, why: str | None) -> None:
    from gatehouse.voice.retries import unanswered

    found = unanswered(reason)
    assert (found.value if found else None) == why
