"""A revocation heard on a call: the caller's words, a key press, or the agent's own flag.

47 CFR 64.1200(a)(10) (FCC 24-24) lets a person revoke consent by any reasonable means, and
a call is one: "stop calling me" said to an agent counts as STOP texted. ``heard`` reads
the caller's turns of a transcript (never the agent's: an agent offering "say stop
calling" revokes nothing) with the same reader as inbound texts (``compliance.optout``),
and a ``<Gather>``'s digits or speech with ``from_gather``. ``act_on_call`` then acts
before the webhook answers, whatever the agent's own analysis says:

- a revocation (or the agent reporting one) puts the number on the suppression list
  (``voice_stop_request``), which keeps it out of every channel at once;
- a doubtful reading holds the number for review as a doubtful text does
  (``suppression.review``, resolved through ``/optout-reviews``), naming the call.

Each call's reading is noted once (``HeardOnCall``, collection ``CALL_REVOCATION``, sort key
``<contact id>#<call id>``), in one transaction with an audit entry ``call.revocation_heard``
whose target is the call: a call event delivered twice, or the ended and analysed events of
one call, suppress or hold once; a later, stronger reading (doubtful, then a revocation)
is noted again. Audit entries name the contact and the suppression reference, never the
number or the words.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from pydantic import ConfigDict, Field

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.compliance.optout import Intent, classify
from gatehouse.config import get_settings
from gatehouse.conversations import inbox
from gatehouse.identity import caller as callers
from gatehouse.identity.caller import Caller
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics
from gatehouse.suppression import SuppressionSource, number_key, review, suppress
from gatehouse.suppression.entries import REF_LENGTH
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.tenancy.scope import TransactionConflict
from gatehouse.voice.turns import Turn, caller_words

STOP_REASON: Final = "asked on a call not to be called"
_STRENGTH: Final = {Intent.NONE: 0, Intent.UNCERTAIN: 1, Intent.OPT_OUT: 2}
_ROUNDS: Final = 3


class HeardIn(StrEnum):
    """Where the revocation (or the doubt) came from."""

    TRANSCRIPT = "transcript"  # the caller's own words
    KEYPAD = "keypad"  # the opt-out key the call offered
    AGENT_ANALYSIS = "agent_analysis"  # the agent's disposition or flag


class Heard(GatehouseModel):
    model_config = ConfigDict(frozen=True)

    intent: Intent  # OPT_OUT, UNCERTAIN or NONE
    heard_in: HeardIn = HeardIn.TRANSCRIPT


NOTHING: Final = Heard(intent=Intent.NONE)


class HeardOnCall(TenantRecord):
    collection = "CALL_REVOCATION"

    contact_id: str
    call_id: str
    intent: Intent
    heard_in: HeardIn
    heard_at: datetime
    retain_until: datetime

    def sort_key(self) -> str:
        return f"{self.contact_id}#{self.call_id}"

    def expires(self) -> datetime | None:
        return self.retain_until


class RevocationHeard(GatehouseModel):
    """What the audit entry of a call's reading keeps: ids and the reading, never the words."""

    call_id: str
    contact_id: str
    ref: str = Field(description="first 16 hex characters of the number's keyed hash")
    intent: Intent
    heard_in: HeardIn


def heard(turns: Iterable[Turn], *, agent_says_stop: bool = False) -> Heard:
    """The strongest reading of the caller's turns; the agent's own flag counts as a revocation."""
    if agent_says_stop:
        return Heard(intent=Intent.OPT_OUT, heard_in=HeardIn.AGENT_ANALYSIS)
    found = NOTHING
    for words in caller_words(turns):
        intent = classify(words)
        if intent is Intent.OPT_OUT:
            return Heard(intent=Intent.OPT_OUT)
        if intent is Intent.UNCERTAIN:
            found = Heard(intent=Intent.UNCERTAIN)
    return found


def from_gather(digits: str | None, speech: str | None, opt_out_key: str | None) -> Heard:
    """A Twilio ``<Gather>`` result: the offered opt-out key pressed, or speech read as a caller's turn."""
    if opt_out_key and digits and opt_out_key in digits.strip():
        return Heard(intent=Intent.OPT_OUT, heard_in=HeardIn.KEYPAD)
    return heard([("caller", speech)] if speech else [])


def act_on_call(
    scope: TenantScope,
    *,
    number: str,
    contact_id: str,
    call_id: str,
    reading: Heard,
    request_id: str,
    clock: Clock = utc_now,
) -> bool:
    """Suppress or hold the number for what was heard on the call; True when this reading was new."""
    if reading.intent not in {Intent.OPT_OUT, Intent.UNCERTAIN}:
        return False
    noted = scope.get(HeardOnCall, f"{contact_id}#{call_id}")
    if noted is not None and _STRENGTH[noted.intent] >= _STRENGTH[reading.intent]:
        return False  # this call's reading is acted on already: a repeated or later event of it
    person = callers.contact(scope.tenant_id, contact_id, request_id=request_id)
    if reading.intent is Intent.OPT_OUT:
        suppress(scope, person, number, SuppressionSource.VOICE_STOP_REQUEST, STOP_REASON, clock=clock)
        inbox.note_state(scope, contact_id, opted_out=True)
    else:
        # Fail closed as for a doubtful text: no attempt on any channel until a person has decided.
        review.hold(scope, person, number, contact_id, call_id, on_call=True, clock=clock)
        inbox.note_state(scope, contact_id, held=True)
    _note(scope, person, number, contact_id, call_id, reading, clock)
    logger.info("revocation heard on a call", extra={"tenant_id": scope.tenant_id, "intent": reading.intent})
    name = "VoiceRevocation" if reading.intent is Intent.OPT_OUT else "VoiceRevocationHeld"
    metrics.add_metric(name=name, unit="Count", value=1)
    return True


def _note(  # noqa: PLR0917
    scope: TenantScope,
    person: Caller,
    number: str,
    contact_id: str,
    call_id: str,
    reading: Heard,
    clock: Clock,
) -> None:
    """The call's reading and its audit entry, in one transaction; a stronger reading replaces a weaker."""
    ref = number_key(scope.tenant_id, number)[:REF_LENGTH]
    view = RevocationHeard(
        call_id=call_id, contact_id=contact_id, ref=ref, intent=reading.intent, heard_in=reading.heard_in
    )
    for _ in range(_ROUNDS):
        noted = scope.get(HeardOnCall, f"{contact_id}#{call_id}")
        if noted is not None and _STRENGTH[noted.intent] >= _STRENGTH[reading.intent]:
            return
        now = clock()
        record = HeardOnCall(
            contact_id=contact_id,
            call_id=call_id,
            intent=reading.intent,
            heard_in=reading.heard_in,
            heard_at=now,
            retain_until=now + timedelta(days=get_settings().call_retention_days),
            version=noted.version if noted is not None else 0,
        )
        try:
            with audit.recorded(
                scope, person, "call.revocation_heard", "call", call_id, after=view
            ) as change:
                change.save(record)
        except TransactionConflict:
            continue
        return


def heard_on_call(scope: TenantScope, contact_id: str, call_id: str) -> HeardOnCall | None:
    return scope.get(HeardOnCall, f"{contact_id}#{call_id}")
