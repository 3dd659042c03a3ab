"""Every decision about an attempt, as pure functions of (contact, campaign, facts, rules, now).

DESIGN.md §6 gives the order; ``evaluate`` runs the gates in it and the first gate that
does not pass decides. Each gate returns a ``Verdict``: ``pass``, ``blocked`` with a
``Reason``, ``deferred`` until an instant (calling hours, attempt caps: a contact outside
the window waits for the next opening, it is never dropped), or ``rescrub`` (the DNC
answer is missing or relies on data older than 31 days: scrub in batch, then ask again).
The batch-level decisions live here too: what a verdict means for a contact this
campaign attempted before (``next_step``), sender throughput, a failed batch, whether a
run may start. ``Reason`` is the one list of outcome codes.

Nothing here reads a table or a clock: the dispatch tasks look the facts up in batches
and pass ``now``, so every decision has table-driven tests and a settable clock. A gate
that lacks what it needs blocks (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from gatehouse.campaigns.records import CampaignSpec, CampaignStatus, VoiceContent
from gatehouse.compliance import caps, hours
from gatehouse.compliance.consent import ConsentLevel, Purpose, required
from gatehouse.compliance.state_rules import Channel, RuleBook, rulebook
from gatehouse.contacts.records import Contact
from gatehouse.dispatch.outcomes import OutcomeStatus
from gatehouse.dnc.stamps import DATA_VALID_FOR, ScrubStamp, ScrubStatus
from gatehouse.voice import disclosures


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    BLOCKED = "blocked"
    DEFERRED = "deferred"
    RESCRUB = "rescrub"


class Reason(StrEnum):
    """Every code an attempt's outcome can carry: reports, metrics, tests and docs read these."""

    # 1. tenant and campaign state
    TENANT_NOT_ACTIVE = "tenant_not_active"
    BILLING_NOT_IN_GOOD_STANDING = "billing_not_in_good_standing"
    CAMPAIGN_NOT_RUNNING = "campaign_not_running"
    CAMPAIGN_NOT_APPROVED = "campaign_not_approved"
    CAMPAIGN_PAUSED = "campaign_paused"  # paused while the batch ran (a DNC source failure)
    WINDOW_CLOSED = "window_closed"  # the campaign's end_at passed before the contact was reached
    DISCLOSURES_MISSING = "disclosures_missing"  # an artificial or prerecorded call without (b)(1)-(2)
    NO_CAMPAIGN = "no_campaign"  # a member's reply to a person no approved campaign reached
    # 2. consent
    CONTACT_DELETED = "contact_deleted"
    CONSENT_MISSING = "consent_missing"  # no evidence covers the channel
    CONSENT_NOT_WRITTEN = "consent_not_written"  # the campaign kind needs (f)(9) written consent
    RECORDING_NOT_ANNOUNCED = "recording_not_announced"  # all-party consent to record, and no announcement
    # 3. suppression
    SUPPRESSED = "suppressed"
    HELD_FOR_REVIEW = "held_for_review"  # an inbound reply that may be a revocation awaits review
    # 4. Do-Not-Call
    DNC_LISTED = "dnc_listed"
    DNC_NUMBER_ERROR = "dnc_number_error"  # the scrub could not answer for this number
    DNC_SOURCE_FAILED = "dnc_source_failed"  # the DNC source failed: the campaign must pause
    # not scrubbed yet (a re-scrub asked first); or marketing to a number the owner chose not to
    # scrub, without a signed written agreement (47 CFR 64.1200(c)(2)(ii)): blocked
    DNC_UNSCRUBBED = "dnc_unscrubbed"
    DNC_DATA_STALE = "dnc_data_stale"  # the registry data relied on is older than 31 days
    STATE_DNC_LISTED = "state_dnc_listed"  # on the list of a state the person may be in
    STATE_DNC_MISSING = "state_dnc_missing"  # that state keeps a list, and no answer came from it
    STATE_DNC_STALE = "state_dnc_stale"  # the state list's answer is older than 31 days
    # 5. calling hours (the values of compliance.hours.HoursReason)
    ZONE_UNKNOWN = "zone_unknown"
    ZONE_INVALID = "zone_invalid"
    NO_WINDOW = "no_window"
    FEDERAL_HOURS = "federal_hours"
    STATE_HOURS = "state_hours"
    STATE_AUTOMATED_HOURS = "state_automated_hours"  # a state's hours for automated calls or texts
    STATE_BANNED_DAY = "state_banned_day"
    STATE_HOLIDAY = "state_holiday"
    CAMPAIGN_WINDOW = "campaign_window"
    # 6. frequency and rate (the values of compliance.caps.CapReason)
    STATE_ATTEMPT_CAP = "state_attempt_cap"
    CAMPAIGN_ATTEMPT_CAP = "campaign_attempt_cap"
    # the person hung up on a call by a recorded voice, in a state that bars another (NRS 597.814)
    HUNG_UP_ON_RECORDED_CALL = "hung_up_on_recorded_call"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"
    SENDER_THROUGHPUT = "sender_throughput"
    # 7. the claim, and what the batch meets around it
    ATTEMPT_LEDGER_BUSY = "attempt_ledger_busy"  # contested in every claim round: tried again soon
    PROVIDER_CREDENTIALS_UNAVAILABLE = "provider_credentials_unavailable"
    CHANNEL_NOT_AVAILABLE = "channel_not_available"
    NO_CALLER_ID = "no_caller_id"
    BATCH_FAILED = "batch_failed"
    SEND_UNCONFIRMED = "send_unconfirmed"  # claimed, then the batch failed: never sent again
    SEND_FAILED = "send_failed"  # the provider refused without saying why
    # after the call: an unanswered one is tried again (deferred), or stands with how it ended
    RETRY_UNANSWERED = "retry_unanswered"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    BUSY = "busy"


GOOD_BILLING = frozenset({"active", "trialing"})


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: Reason | None = None
    until: datetime | None = None
    gate: str | None = None

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS


PASSED = Verdict(Outcome.PASS)


def blocked(gate: str, reason: Reason) -> Verdict:
    return Verdict(Outcome.BLOCKED, reason, gate=gate)


@dataclass(frozen=True)
class TenantFacts:
    active: bool
    billing_status: str | None  # None: unknown, which blocks


@dataclass(frozen=True)
class CampaignFacts:
    status: CampaignStatus
    approved_by: str | None
    spec: CampaignSpec


@dataclass(frozen=True)
class ContactFacts:
    """What the tasks looked up in batch for one contact."""

    suppressed: bool | None  # None: the suppression list could not be read, which blocks
    attempts_last_day: Sequence[datetime] = ()  # across all the tenant's campaigns and numbers
    held: bool = False  # a reply that may revoke consent awaits an owner's or admin's review
    # The owner's acknowledgment of running without a DNC provider stands and none is connected
    # (``dnc.acknowledgment.on_owners_word``): only then is an ``unscrubbed`` stamp relied on.
    owners_word: bool = False
    # The last time the person hung up (or may have) on a call by an artificial or prerecorded
    # voice: the ledger's ``hung_up_at``, kept for good (``voice.hang_ups``).
    hung_up_at: datetime | None = None


# ---------------------------------------------------------------- the gates, in order


def gate_state(tenant: TenantFacts, campaign: CampaignFacts) -> Verdict:
    """1. Tenant active and in good standing; campaign approved and running."""
    tenant_state = gate_tenant(tenant)
    if not tenant_state.passed:
        return tenant_state
    if campaign.approved_by is None:
        return blocked("state", Reason.CAMPAIGN_NOT_APPROVED)
    if campaign.status is not CampaignStatus.RUNNING:
        return blocked("state", Reason.CAMPAIGN_NOT_RUNNING)
    if disclosures.missing(campaign.spec):
        # 47 CFR 64.1200(b)(1)-(2): a campaign stored before the rule must not dial without them.
        return blocked("state", Reason.DISCLOSURES_MISSING)
    return PASSED


def gate_tenant(tenant: TenantFacts) -> Verdict:
    """1 (the tenant's part). Active, and billing in good standing; unknown standing blocks."""
    if not tenant.active:
        return blocked("state", Reason.TENANT_NOT_ACTIVE)
    if tenant.billing_status not in GOOD_BILLING:
        return blocked("state", Reason.BILLING_NOT_IN_GOOD_STANDING)
    return PASSED


def gate_consent(contact: Contact, spec: CampaignSpec) -> Verdict:
    """2. Consent for the channel, as strong as the campaign's purpose and technology need.

    47 CFR 64.1200(a)(2): marketing by autodialed text or artificial/prerecorded voice needs
    prior express written consent with every element of (f)(9); (a)(1), (a)(3): any other
    automated attempt needs prior express consent. Consent for another channel never counts.
    """
    if contact.deleted_at is not None:
        return blocked("consent", Reason.CONTACT_DELETED)
    level = contact.consent_level(spec.channel)
    if level is ConsentLevel.NONE:
        return blocked("consent", Reason.CONSENT_MISSING)
    if level < required(spec.purpose, spec.reach):
        return blocked("consent", Reason.CONSENT_NOT_WRITTEN)
    return PASSED


def gate_recording(contact: Contact, spec: CampaignSpec, rules: RuleBook | None = None) -> Verdict:
    """2. (continued) Consent to record: where any state the person may be in needs every party's
    consent to a recording (e.g. Cal. Penal Code 632, Fla. Stat. 934.03; the rule book lists them),
    a recorded call must be announced. A person in no known state may be in one of them: blocked.
    """
    if not spec.records_calls or spec.announces_recording:
        return PASSED
    rules = rulebook() if rules is None else rules
    if not contact.states or rules.all_party_recording_states(contact.states):
        return blocked("consent", Reason.RECORDING_NOT_ANNOUNCED)
    return PASSED


def gate_suppression(facts: ContactFacts) -> Verdict:
    """3. Not on the tenant's suppression list nor held for review, checked again at every attempt."""
    if facts.suppressed is None or facts.suppressed:
        return blocked("suppression", Reason.SUPPRESSED)
    if facts.held:
        return blocked("suppression", Reason.HELD_FOR_REVIEW)
    return PASSED


def gate_dnc(  # noqa: PLR0911 - one return per rule, in order
    stamp: ScrubStamp | None, now: datetime, *, owners_word: bool = False, unscrubbed_may_go: bool = False
) -> Verdict:
    """4. A Do-Not-Call answer from data no older than 31 days at ``now`` that allows the number.

    An ``unscrubbed`` stamp (the owner acknowledged having no provider) is asked again unless
    that word still stands (``owners_word``: acknowledged, and no provider connected since),
    and passes only when the caller says the attempt may go without a registry answer
    (``registry_exempt``); by default it blocks (fail closed).
    """
    if stamp is None:
        return Verdict(Outcome.RESCRUB, Reason.DNC_UNSCRUBBED, gate="dnc")
    if stamp.status is ScrubStatus.LISTED:
        return blocked("dnc", Reason.DNC_LISTED)
    if stamp.source_failed:
        # The source failed, not the number: ask it again (a resumed campaign must not wait a month).
        return Verdict(Outcome.RESCRUB, Reason.DNC_SOURCE_FAILED, gate="dnc")
    if stamp.status is ScrubStatus.ERROR:
        return blocked("dnc", Reason.DNC_NUMBER_ERROR)
    if not stamp.current(now):
        return Verdict(Outcome.RESCRUB, Reason.DNC_DATA_STALE, gate="dnc")
    if stamp.status is ScrubStatus.UNSCRUBBED and not owners_word:
        return Verdict(Outcome.RESCRUB, Reason.DNC_UNSCRUBBED, gate="dnc")  # a provider answers now
    if stamp.status is ScrubStatus.UNSCRUBBED and not unscrubbed_may_go:
        return blocked("dnc", Reason.DNC_UNSCRUBBED)
    return PASSED if stamp.dialable else blocked("dnc", Reason.DNC_NUMBER_ERROR)


def registry_exempt(contact: Contact, spec: CampaignSpec) -> bool:
    """Whether the attempt may go without the national registry's answer (an ``unscrubbed`` number).

    47 CFR 64.1200(c)(2) and 16 CFR 310.4(b)(1)(iii)(B) bind telephone solicitations: an
    informational campaign is not one. A marketing attempt is exempt only under
    (c)(2)(ii), the person's signed, written agreement to be called by the seller at that
    number: prior express written consent with every (f)(9) element, for the channel.
    """
    if spec.purpose is not Purpose.MARKETING:
        return True
    return contact.consent_level(spec.channel) is ConsentLevel.EXPRESS_WRITTEN


def gate_state_dnc(contact: Contact, now: datetime, rules: RuleBook | None = None) -> Verdict:
    """4 (states). Every state the person may be in that keeps a DNC list: not on it, per data <= 31 days old.

    A state list binds telemarketing to that state's numbers, so a state that keeps one and
    gave no fresh answer blocks (after one re-scrub, which picks up a list loaded meanwhile):
    the absence of an answer is not an answer. The statutes reach telephone solicitations,
    yet it applies to every attempt, as the federal registry does here: the campaign's
    purpose is the tenant's word. The one exception is an ``unscrubbed`` stamp: the owner's
    acknowledgment names "any other Do-Not-Call list", and those contacts are reported unscrubbed.
    """
    stamp = contact.dnc
    if stamp is None or stamp.status is not ScrubStatus.CLEAR:
        return PASSED  # gate_dnc decided it already
    rules = rulebook() if rules is None else rules
    keeping = [s for s in sorted(contact.states) if rules.keeps_dnc_list(s)]
    answers = {s: stamp.state_lists.get(s) for s in keeping}
    if any(a is not None and a.listed for a in answers.values()):
        return blocked("dnc", Reason.STATE_DNC_LISTED)
    if any(a is None for a in answers.values()):
        return Verdict(Outcome.RESCRUB, Reason.STATE_DNC_MISSING, gate="dnc")
    if any(a is not None and now - a.as_of > DATA_VALID_FOR for a in answers.values()):
        return Verdict(Outcome.RESCRUB, Reason.STATE_DNC_STALE, gate="dnc")
    return PASSED


def gate_hours(contact: Contact, spec: CampaignSpec, now: datetime, rules: RuleBook | None = None) -> Verdict:
    """5. Inside the federal floor, the applicable states' rules and the campaign's windows, in every zone."""
    windows = [w.window() for w in spec.windows]
    decision = hours.evaluate(
        contact.zones, contact.states, spec.channel, windows, now, rules=rules, technology=spec.reach
    )
    if isinstance(decision, hours.Allowed):
        return PASSED
    if isinstance(decision, hours.Deferred):
        return Verdict(Outcome.DEFERRED, Reason(decision.reason.value), decision.until_utc, gate="hours")
    return blocked("hours", Reason(decision.reason.value))


def gate_caps(
    contact: Contact, spec: CampaignSpec, facts: ContactFacts, now: datetime, rules: RuleBook | None = None
) -> Verdict:
    """6. Under every attempt cap: the states' (per 24 hours, across campaigns) and the campaign's.

    Before the caps, a state's bar on calling again: no call by a recorded voice to a person who
    hung up on one (blocked for good, not deferred).
    """
    if recall_barred(contact, spec, facts, rules):
        return blocked("caps", Reason.HUNG_UP_ON_RECORDED_CALL)
    decision = caps.evaluate(
        facts.attempts_last_day,
        now,
        state_caps=caps.caps_for(contact.states, spec.channel, rules, technology=spec.reach),
        campaign_limit=spec.max_attempts_per_contact,
    )
    if isinstance(decision, caps.CapDeferred):
        return Verdict(Outcome.DEFERRED, Reason(decision.reason.value), decision.until_utc, gate="caps")
    return PASSED


def recall_barred(
    contact: Contact, spec: CampaignSpec, facts: ContactFacts, rules: RuleBook | None = None
) -> bool:
    """NRS 597.814 (the rule book's ``no_recall_after_hang_up``): after the person hung up on a call
    by an artificial or prerecorded voice, no such call again, from any campaign, at any time later.

    Texts and live calls are not barred. A person in no known state may be in a barring one (fail closed).
    """
    if facts.hung_up_at is None or spec.channel is not Channel.VOICE:
        return False
    if spec.reach not in disclosures.SPOKEN_BY_MACHINE:
        return False
    rules = rulebook() if rules is None else rules
    return not contact.states or bool(rules.no_recall_after_hang_up(contact.states, spec.reach))


def evaluate(  # noqa: PLR0917 - the facts every gate needs, named
    contact: Contact,
    campaign: CampaignFacts,
    tenant: TenantFacts,
    facts: ContactFacts,
    now: datetime,
    rules: RuleBook | None = None,
) -> Verdict:
    """Every gate in order; the first that does not pass decides. PASSED means gate 7 may claim the send."""
    state = gate_state(tenant, campaign)
    if not state.passed:
        return state
    return evaluate_contact(contact, campaign.spec, facts, now, rules)


def evaluate_contact(
    contact: Contact, spec: CampaignSpec, facts: ContactFacts, now: datetime, rules: RuleBook | None = None
) -> Verdict:
    """Gates 2 to 6, the ones about the person: what a pre-flight asks before the campaign runs."""
    gates: tuple[Callable[[], Verdict], ...] = (
        lambda: gate_consent(contact, spec),
        lambda: gate_recording(contact, spec, rules),
        lambda: gate_suppression(facts),
        lambda: gate_dnc(
            contact.dnc, now, owners_word=facts.owners_word, unscrubbed_may_go=registry_exempt(contact, spec)
        ),
        lambda: gate_state_dnc(contact, now, rules),
        lambda: gate_hours(contact, spec, now, rules),
        lambda: gate_caps(contact, spec, facts, now, rules),
    )
    for gate in gates:
        result = gate()
        if not result.passed:
            return result
    return PASSED


# ---------------------------------------------------------------- around the gates: the batch's decisions


class Step(StrEnum):
    CLAIM = "claim"  # claim attempt ``attempt`` (gate 7), then send
    SKIP = "skip"  # this attempt is claimed already: its holder records it
    SETTLED = "settled"  # reached before (or perhaps reached): its outcome stands
    DEFER = "defer"
    BLOCK = "block"


@dataclass(frozen=True)
class Next:
    step: Step
    reason: Reason | None = None
    until: datetime | None = None
    attempt: int = 0


@dataclass(frozen=True)
class History:
    """What this campaign did with the contact before: its last outcome, and the ledger's word."""

    attempts: int = 0
    status: OutcomeStatus | None = None  # None: never decided in this campaign
    reason: Reason | None = None  # the last outcome's, when it is one of ours
    until: datetime | None = None  # while deferred: when it may be tried again
    next_claimed: bool = False  # the ledger holds attempt ``attempts + 1`` for this campaign


def next_step(  # noqa: PLR0911 - one return per rule, in order
    verdict: Verdict, history: History, *, paused: bool, max_attempts: int, now: datetime
) -> Next:
    """What the batch does with a contact, given the gates' verdict and the campaign's history with it.

    A person reached is reached for the campaign: a sent outcome (or a send the provider may
    have taken, ``send_unconfirmed``) settles it whatever attempts remain, so a resume or a
    later run never sends the message again; only a voice retry reopens one, by turning its
    outcome into a deferral (``voice.retries``). A deferral still ahead holds in every run,
    not only the deferred-attempts job's (a retry's spacing is kept), unless the gates defer
    further. A failed send or a block is attempted again while attempts remain.
    """
    if history.status is OutcomeStatus.SENT or history.reason is Reason.SEND_UNCONFIRMED:
        return Next(Step.SETTLED)
    if history.next_claimed:
        return Next(Step.SKIP)
    later = verdict.until if verdict.outcome is Outcome.DEFERRED else None
    waiting = history.until if history.status is OutcomeStatus.DEFERRED else None
    if waiting is not None and waiting > now and (later is None or later <= waiting):
        return Next(Step.DEFER, history.reason, waiting)
    if later is not None:
        return Next(Step.DEFER, verdict.reason, later)
    if not verdict.passed:
        return Next(Step.BLOCK, verdict.reason or Reason.DNC_UNSCRUBBED)  # an unresolved rescrub blocks
    if paused:
        return Next(Step.BLOCK, Reason.CAMPAIGN_PAUSED)
    if history.attempts >= max_attempts:
        return Next(Step.BLOCK, Reason.ATTEMPTS_EXHAUSTED)
    return Next(Step.CLAIM, attempt=history.attempts + 1)


UNANSWERED: Final = frozenset({Reason.NO_ANSWER, Reason.VOICEMAIL, Reason.BUSY})
RETRY_LOOKAHEAD: Final = 8  # hours and caps asked this many times for the first instant both allow


def retry_unanswered(
    contact: Contact,
    spec: CampaignSpec,
    facts: ContactFacts,
    *,
    attempts: int,
    ended: datetime,
    why: Reason,
    campaign_status: CampaignStatus | None = None,
    rules: RuleBook | None = None,
) -> Next:
    """A call that ended unanswered: DEFER it to its retry, or SETTLED with how it ended.

    The campaign's retry policy (``attempts`` in all, ``spacing_minutes`` after the call's end)
    and its ``max_attempts_per_contact`` bound the attempts; the retry is due at the first
    instant from the end plus the spacing that calling hours (gate 5) and the attempt caps
    (gate 6, with this attempt counted) both allow. Where hours never open, no retry. The
    deferred run asks every gate again when it falls due (the claim included).
    """
    policy = spec.content.retry if isinstance(spec.content, VoiceContent) else None
    if why not in UNANSWERED or policy is None or campaign_status is CampaignStatus.CANCELLED:
        return Next(Step.SETTLED, why)  # a cancelled campaign never calls again
    if attempts >= min(policy.attempts, spec.max_attempts_per_contact):
        return Next(Step.SETTLED, why)
    at = ended + timedelta(minutes=policy.spacing_minutes)
    for _ in range(RETRY_LOOKAHEAD):
        later = [gate_hours(contact, spec, at, rules), gate_caps(contact, spec, facts, at, rules)]
        if any(v.outcome is Outcome.BLOCKED for v in later):
            return Next(Step.SETTLED, why)
        waits = [v.until for v in later if v.outcome is Outcome.DEFERRED and v.until is not None]
        if not waits:
            break
        at = max(waits)
    return Next(Step.DEFER, Reason.RETRY_UNANSWERED, at, attempt=attempts + 1)


THROUGHPUT_WINDOW: Final = timedelta(minutes=1)


def throughput_limit(spec: CampaignSpec) -> int:
    """Gate 6's sender throughput: sends per minute for the whole campaign (per sender times senders)."""
    return spec.throughput_per_sender_per_minute * max(1, len(spec.senders.numbers))


def over_throughput(granted: int, now: datetime) -> Next:
    """Beyond what this minute granted: deferred to the next minute, never dropped."""
    opens = now.replace(second=0, microsecond=0) + THROUGHPUT_WINDOW
    return Next(Step.DEFER, Reason.SENDER_THROUGHPUT, opens)


def still_contested(now: datetime) -> Next:
    """Contested in every claim round: another campaign keeps attempting the contact; try in a minute."""
    return Next(Step.DEFER, Reason.ATTEMPT_LEDGER_BUSY, now + THROUGHPUT_WINDOW)


BATCH_TRIES: Final = 3  # failed batches before a contact is blocked rather than tried again
BATCH_RETRY_AFTER: Final = timedelta(minutes=15)


@dataclass(frozen=True)
class Earlier:
    """A contact's last outcome in the campaign, as a failed batch's bookkeeping needs it."""

    status: OutcomeStatus | None  # None: never decided in this campaign
    until: datetime | None = None
    failed_batches: int = 0


def after_failed_batch(earlier: Earlier, now: datetime) -> Next | None:
    """A contact of a batch that failed, not claimed by it: never lost (None: its outcome stands).

    With no outcome yet, blocked, or deferred and fallen due, it is tried again after 15,
    then 30 minutes, and blocked at the third failure. Sends and deferrals ahead stand.
    """
    open_again = earlier.status is OutcomeStatus.DEFERRED and (earlier.until is None or earlier.until <= now)
    if earlier.status is not None and earlier.status is not OutcomeStatus.BLOCKED and not open_again:
        return None
    failures = earlier.failed_batches + 1
    if failures < BATCH_TRIES:
        return Next(Step.DEFER, Reason.BATCH_FAILED, now + BATCH_RETRY_AFTER * failures)
    return Next(Step.BLOCK, Reason.BATCH_FAILED)


def may_plan(campaign_status: CampaignStatus | None, end_at: datetime | None, now: datetime) -> Verdict:
    """Whether the planner cuts another page into batches: a running campaign whose ``end_at`` is ahead.

    At and after ``end_at`` nothing new is planned (a batch already planned still runs its gates).
    """
    if campaign_status is not CampaignStatus.RUNNING:
        return blocked("state", Reason.CAMPAIGN_NOT_RUNNING)
    if end_at is not None and now >= end_at:
        return blocked("state", Reason.WINDOW_CLOSED)
    return PASSED


def after_window_closed(earlier: OutcomeStatus | None) -> Next | None:
    """A contact of a campaign past its ``end_at`` when the run ends (None: its outcome stands).

    Never reached (no outcome) or still waiting (deferred): ``blocked: window_closed``, for good.
    """
    if earlier is None or earlier is OutcomeStatus.DEFERRED:
        return Next(Step.BLOCK, Reason.WINDOW_CLOSED)
    return None


def may_run(tenant_active: bool, campaign_status: CampaignStatus | None) -> Verdict:
    """Gate 1 for a whole run: an active tenant and a running campaign (billing is asked per batch)."""
    if not tenant_active:
        return blocked("state", Reason.TENANT_NOT_ACTIVE)
    if campaign_status is not CampaignStatus.RUNNING:
        return blocked("state", Reason.CAMPAIGN_NOT_RUNNING)
    return PASSED
