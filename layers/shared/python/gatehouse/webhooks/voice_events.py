"""Call events: keep what the call was, and honour a "do not call me" at once.

``record_event`` runs after the webhook function verified the event's signature and read
the vendor's body into the vendor-neutral ``CallEvent`` (``gatehouse.webhooks.voice_wire``:
Retell, Vapi, Twilio's call status callbacks). Each event (started, progress, ended,
analyzed) adds what it knows to one ``CallRecord`` per provider call id (collection
``CALL``, sort key ``<contact id>#<call id>``, so an erasure finds a person's calls by
prefix); fields an event does not carry are left
as they are, so events arriving out of order never erase what an earlier one stored.
Transcripts expire with the record after the retention setting; the recording is copied into
the tenant's own prefix (``gatehouse.voice.recordings``) and the vendor's URL is never stored.
A disposition or analysis flag that means "do not call me", or the caller saying so in the
transcript, suppresses the number before the webhook answers (``gatehouse.voice.revocations``);
a hang-up on a call by a recorded voice is kept on the contact's ledger (``gatehouse.voice.hang_ups``);
an unanswered call's end settles its campaign retry (``gatehouse.voice.retries``). It never
logs a transcript or a number.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from gatehouse.clock import Clock, utc_now
from gatehouse.compliance.optout import Intent
from gatehouse.config import get_settings
from gatehouse.contacts.keys import contact_id_for
from gatehouse.errors import Conflict, Invalid
from gatehouse.observability import logger, metrics
from gatehouse.suppression.numbers import is_e164
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.tenancy.records import Subject, time_sort_key
from gatehouse.vault.schemas import VoiceVendor
from gatehouse.voice import disclosures, hang_ups, links, retries, revocations, turns
from gatehouse.voice.disclosures import Disclosures
from gatehouse.voice.facts import facts_of
from gatehouse.webhooks import voice_wire
from gatehouse.webhooks.call_payload import (
    CallAnalysis,
    CallEvent,
    CallEventType,
    CallOutcome,
    CallPayload,
    Speaker,
    Turn,
)

__all__ = [
    "CallAnalysis",
    "CallEvent",
    "CallEventType",
    "CallOutcome",
    "CallPayload",
    "CallRecord",
    "Speaker",
    "Turn",
    "calls_of",
    "erase_calls",
    "parse",
    "record_event",
    "wants_no_calls",
]

# Dispositions (lower case, spaces and dashes as underscores) that mean "never call me again".
DO_NOT_CALL: Final = frozenset(
    {"do_not_call", "dnc", "stop_calling", "remove_from_list", "opt_out", "unsubscribe"}
)
TRANSCRIPT_MAX: Final = 100_000
# The turns kept on a record, in characters: with the transcript, well inside an item's 400 KB.
TURNS_KEPT_MAX: Final = 50_000
_PAGE: Final = 100
# Time-index names (see gatehouse.retention): what a call still keeps.
MEDIA_INDEX: Final = "CALL_MEDIA"
RECORDING_INDEX: Final = "CALL_RECORDING"
TRANSCRIPT_INDEX: Final = "CALL_TRANSCRIPT"
# How far along a call each event says it is: a later event's status is never replaced by an earlier one's.
_STAGE: Final = {
    CallEventType.CALL_PROGRESS: 1,
    CallEventType.CALL_STARTED: 2,
    CallEventType.CALL_ENDED: 3,
    CallEventType.CALL_ANALYZED: 3,
}


class CallRecord(TenantRecord):
    collection = "CALL"

    contact_id: str
    call_id: str
    direction: str
    status: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: int | None = None
    outcome: str | None = None
    disconnection_reason: str | None = None
    transcript: str | None = None
    recording_ref: str | None = None  # earlier records only: the vendor's URL is no longer stored
    summary: str | None = None
    # Our copy of the recording (gatehouse.voice.recordings): an object key under the tenant's prefix.
    recording_key: str | None = None
    recording_deleted_at: datetime | None = None  # when retention or erasure removed our copy
    provider_recording_deleted_at: datetime | None = None  # when the vendor's copy was deleted
    campaign_id: str | None = None  # from the metadata the call was placed with
    cost_cents: float | None = None  # what the vendor charged, where it says
    sentiment: str | None = None
    voicemail: bool | None = None  # the vendor's analysis says the call reached a voicemail
    do_not_call: bool = False
    disclosures: Disclosures | None = None  # the opening and opt-out the call was configured with
    events: list[CallEventType] = []
    retain_until: datetime
    received_at: datetime | None = None  # when Gatehouse first heard of the call
    # What the vendors' own wire formats add (voice_wire): kept as each event brings it.
    vendor: str | None = None
    disposition: str | None = None
    answered_by: str | None = None  # Twilio's answering-machine detection
    statuses: list[str] = []  # every status the provider reported, first seen first
    turns: list[Turn] = []
    call_successful: bool | None = None

    def sort_key(self) -> str:
        return f"{self.contact_id}#{self.call_id}"

    def subject(self) -> Subject | None:
        # A campaign's call is that campaign's: someone kept to their campaigns sees it only through
        # it, even on a contact another of their campaigns reached. A call of no campaign is the contact's.
        if self.campaign_id is not None:
            return Subject(self.contact_id, campaign_id=self.campaign_id, by_campaign=True)
        return Subject(self.contact_id)

    def time_key(self) -> tuple[str, str] | None:
        # Retention: the call waits on the time index while it keeps a recording or a transcript.
        at = self.received_at or self.started_at or self.ended_at
        recording = self.recording_ref is not None or self.recording_key is not None
        transcript = self.keeps_transcript
        if at is None or not (recording or transcript):
            return None
        if recording and transcript:
            index = MEDIA_INDEX
        else:
            index = RECORDING_INDEX if recording else TRANSCRIPT_INDEX
        return index, time_sort_key(at, self.sort_key())

    def expires(self) -> datetime | None:
        return self.retain_until

    @property
    def keeps_transcript(self) -> bool:
        """Anything of what was said: transcript, turns, summary (retention strips them together)."""
        return self.transcript is not None or self.summary is not None or bool(self.turns)


def parse(raw: bytes, vendor: VoiceVendor = VoiceVendor.RETELL) -> CallEvent | None:
    """A verified body of the vendor's as a call event (None: an event of a kind no record keeps)."""
    return voice_wire.read(raw, vendor)


def record_event(
    scope: TenantScope, event: CallEvent, *, request_id: str, clock: Clock = utc_now
) -> CallRecord:
    number = event.call.contact_number
    if number is None or not is_e164(number):
        raise Invalid("the call names no E.164 number for the person called")
    contact_id = contact_id_for(scope.tenant_id, number)
    call = event.call
    said = [(turn.role.value, turn.content) for turn in call.turns] or turns.from_text(call.transcript)
    reading = revocations.heard(said, agent_says_stop=wants_no_calls(call))
    revocations.act_on_call(
        scope, number=number, contact_id=contact_id, call_id=call.call_id, reading=reading,
        request_id=request_id, clock=clock,
    )  # fmt: skip
    # Before anything that may fail and be sent again: a hang-up bars the next recorded call.
    hang_ups.after_call_ended(scope, call, contact_id, ended=_when(call.end_timestamp) or clock())
    from gatehouse.voice import recordings  # noqa: PLC0415 - it reads CallRecord from here

    record = _merge(scope, contact_id, event, clock, revoked=reading.intent is Intent.OPT_OUT)
    links.link(scope, record)
    record = recordings.keep(scope, record, event, vendor=call.vendor, clock=clock)
    if event.event is CallEventType.CALL_ENDED:
        retries.after_call_ended(
            scope, call_id=call.call_id, metadata=call.metadata,
            disconnection_reason=call.disconnection_reason, ended=_when(call.end_timestamp),
            outcome=call.outcome.value if call.outcome else None, contact_id=contact_id, clock=clock,
        )  # fmt: skip
    logger.info("call event", extra={"tenant_id": scope.tenant_id, "event": event.event.value})
    metrics.add_metric(name="VoiceCallEvent", unit="Count", value=1)
    return record


def wants_no_calls(call: CallPayload) -> bool:
    analysis = call.call_analysis or CallAnalysis()
    flags = [analysis.do_not_call, analysis.custom_analysis_data.get("do_not_call") is True]
    dispositions = (call.disposition, analysis.disposition)
    words = {d.strip().lower().replace(" ", "_").replace("-", "_") for d in dispositions if d}
    return any(flags) or bool(words & DO_NOT_CALL)


def _merge(
    scope: TenantScope, contact_id: str, event: CallEvent, clock: Clock, *, revoked: bool = False
) -> CallRecord:
    call = event.call
    for _ in range(3):
        existing = scope.get(CallRecord, f"{contact_id}#{call.call_id}")
        base = existing or CallRecord(
            contact_id=contact_id,
            call_id=call.call_id,
            direction=call.direction,
            retain_until=clock() + timedelta(days=get_settings().call_retention_days),
            received_at=clock(),
        )
        try:
            changes = _changes(base, event)
            changes["do_not_call"] = changes["do_not_call"] or revoked  # heard in the caller's words
            return scope.save(base.model_copy(update=changes))
        except Conflict:
            continue
    raise Conflict("the call record changed concurrently; retry")


def _changes(base: CallRecord, event: CallEvent) -> dict[str, Any]:
    call, analysis = event.call, event.call.call_analysis
    started = _when(call.start_timestamp)
    ended = _when(call.end_timestamp)
    found: dict[str, Any] = {
        "status": call.call_status,
        "started_at": started,
        "ended_at": ended,
        "duration_seconds": int((ended - started).total_seconds())
        if started and ended
        else call.duration_seconds,
        "outcome": call.outcome.value if call.outcome else None,
        "disposition": call.disposition or (analysis.disposition if analysis else None),
        "disconnection_reason": call.disconnection_reason,
        "transcript": call.transcript[:TRANSCRIPT_MAX] if call.transcript else None,
        "turns": _kept(call.turns) or None,
        "summary": call.summary,
        "call_successful": analysis.call_successful if analysis else None,
        "answered_by": call.answered_by,
        "vendor": call.vendor,
        "disclosures": disclosures.from_metadata(call.metadata),
        **facts_of(call),
    }
    if _STAGE[event.event] < max((_STAGE[e] for e in base.events), default=0):
        found["status"] = None  # a late "started" or "ringing" never moves an ended call back
    changes = {name: value for name, value in found.items() if value is not None}
    changes["do_not_call"] = base.do_not_call or wants_no_calls(call)
    changes["events"] = sorted({*base.events, event.event})
    if call.call_status and call.call_status not in base.statuses:
        changes["statuses"] = [*base.statuses, call.call_status]
    return changes


def _kept(turns: list[Turn]) -> list[Turn]:
    kept, size = [], 0
    for turn in turns:
        size += len(turn.content)
        if size > TURNS_KEPT_MAX:
            break
        kept.append(turn)
    return kept


def _when(millis: int | None) -> datetime | None:
    if millis is None or millis <= 0:
        return None
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def calls_of(scope: TenantScope, contact_id: str, *, limit: int = 50) -> list[CallRecord]:
    return scope.query(CallRecord, prefix=f"{contact_id}#", limit=limit).items


def erase_calls(scope: TenantScope, contact_id: str) -> int:
    """Delete the contact's call records and our copies of their recordings (an erasure); returns how many."""
    from gatehouse.voice.recordings import erase_recordings  # noqa: PLC0415 - it reads CallRecord from here

    erased = 0
    while True:
        page = scope.query(CallRecord, prefix=f"{contact_id}#", limit=_PAGE)
        if not page.items:
            return erased
        erase_recordings(scope, page.items)
        links.unlink(scope, page.items)
        erased += scope.batch_delete(CallRecord, (c.sort_key() for c in page.items))
