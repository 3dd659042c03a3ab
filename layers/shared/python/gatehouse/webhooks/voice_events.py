"""Voice-agent post-call events: keep what the call was, and honour a "do not call me" at once.

``record_event`` runs after the webhook function verified the event's signature. Each of
``call_started``, ``call_ended`` and ``call_analyzed`` adds what it knows to one
``CallRecord`` per provider call id (collection ``CALL``, sort key ``<contact id>#<call id>``,
so an erasure finds a person's calls by prefix); fields an event does not carry are left
as they are, so events arriving out of order never erase what an earlier one stored.
Transcripts and recording references expire with the record after the retention setting.
A disposition or analysis flag that means "do not call me" suppresses the number before
the webhook answers, audited as the contact. It never logs a transcript or a number.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from pydantic import ConfigDict, Field, ValidationError

from gatehouse.clock import Clock, utc_now
from gatehouse.config import get_settings
from gatehouse.contacts.keys import contact_id_for
from gatehouse.errors import Conflict, Invalid
from gatehouse.identity import caller as callers
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics
from gatehouse.suppression import SuppressionSource, suppress
from gatehouse.suppression.numbers import is_e164
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.tenancy.records import time_sort_key

# Dispositions (lower case, spaces and dashes as underscores) that mean "never call me again".
DO_NOT_CALL: Final = frozenset(
    {"do_not_call", "dnc", "stop_calling", "remove_from_list", "opt_out", "unsubscribe"}
)
TRANSCRIPT_MAX: Final = 100_000
_PAGE: Final = 100
# Time-index names (see gatehouse.retention): what a call still keeps.
MEDIA_INDEX: Final = "CALL_MEDIA"
RECORDING_INDEX: Final = "CALL_RECORDING"
TRANSCRIPT_INDEX: Final = "CALL_TRANSCRIPT"


class CallEventType(StrEnum):
    CALL_STARTED = "call_started"
    CALL_ENDED = "call_ended"
    CALL_ANALYZED = "call_analyzed"


class CallAnalysis(GatehouseModel):
    model_config = ConfigDict(extra="ignore")

    disposition: str | None = Field(default=None, max_length=100)
    do_not_call: bool = False
    call_summary: str | None = Field(default=None, max_length=5000)
    custom_analysis_data: dict[str, Any] = {}


class CallPayload(GatehouseModel):
    """The call as the voice agent describes it (Retell-style field names)."""

    model_config = ConfigDict(extra="ignore")

    call_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,128}$")
    direction: str = "outbound"
    from_number: str | None = None
    to_number: str | None = None
    call_status: str | None = Field(default=None, max_length=64)
    start_timestamp: int | None = None  # milliseconds since the epoch
    end_timestamp: int | None = None
    disconnection_reason: str | None = Field(default=None, max_length=100)
    disposition: str | None = Field(default=None, max_length=100)
    transcript: str | None = None
    recording_url: str | None = Field(default=None, max_length=2048)
    call_analysis: CallAnalysis | None = None

    @property
    def contact_number(self) -> str | None:
        return self.from_number if self.direction == "inbound" else self.to_number


class CallEvent(GatehouseModel):
    model_config = ConfigDict(extra="ignore")

    event: CallEventType
    call: CallPayload


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
    recording_ref: str | None = None
    summary: str | None = None
    do_not_call: bool = False
    events: list[CallEventType] = []
    retain_until: datetime
    received_at: datetime | None = None  # when Gatehouse first heard of the call

    def sort_key(self) -> str:
        return f"{self.contact_id}#{self.call_id}"

    def time_key(self) -> tuple[str, str] | None:
        # Retention: the call waits on the time index while it keeps a recording or a transcript.
        at = self.received_at or self.started_at or self.ended_at
        recording = self.recording_ref is not None
        transcript = self.transcript is not None or self.summary is not None
        if at is None or not (recording or transcript):
            return None
        if recording and transcript:
            index = MEDIA_INDEX
        else:
            index = RECORDING_INDEX if recording else TRANSCRIPT_INDEX
        return index, time_sort_key(at, self.sort_key())

    def expires(self) -> datetime | None:
        return self.retain_until


def parse(raw: bytes) -> CallEvent:
    try:
        return CallEvent.model_validate_json(raw)
    except ValidationError:
        raise Invalid("not a call event this webhook understands") from None


def record_event(
    scope: TenantScope, event: CallEvent, *, request_id: str, clock: Clock = utc_now
) -> CallRecord:
    number = event.call.contact_number
    if number is None or not is_e164(number):
        raise Invalid("the call names no E.164 number for the person called")
    contact_id = contact_id_for(scope.tenant_id, number)
    if wants_no_calls(event.call):
        person = callers.contact(scope.tenant_id, contact_id, request_id=request_id)
        suppress(
            scope, person, number, SuppressionSource.VOICE_STOP_REQUEST, "asked on a call not to be called"
        )
    record = _merge(scope, contact_id, event, clock)
    logger.info("call event", extra={"tenant_id": scope.tenant_id, "event": event.event.value})
    metrics.add_metric(name="VoiceCallEvent", unit="Count", value=1)
    return record


def wants_no_calls(call: CallPayload) -> bool:
    analysis = call.call_analysis or CallAnalysis()
    flags = [analysis.do_not_call, analysis.custom_analysis_data.get("do_not_call") is True]
    dispositions = (call.disposition, analysis.disposition)
    words = {d.strip().lower().replace(" ", "_").replace("-", "_") for d in dispositions if d}
    return any(flags) or bool(words & DO_NOT_CALL)


def _merge(scope: TenantScope, contact_id: str, event: CallEvent, clock: Clock) -> CallRecord:
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
            return scope.save(base.model_copy(update=_changes(base, event)))
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
        "duration_seconds": int((ended - started).total_seconds()) if started and ended else None,
        "outcome": call.disposition or (analysis.disposition if analysis else None),
        "disconnection_reason": call.disconnection_reason,
        "transcript": call.transcript[:TRANSCRIPT_MAX] if call.transcript else None,
        "recording_ref": call.recording_url,
        "summary": analysis.call_summary if analysis else None,
    }
    if event.event is CallEventType.CALL_STARTED and base.status is not None:
        found["status"] = None  # a late "started" never moves an ended call back
    changes = {name: value for name, value in found.items() if value is not None}
    changes["do_not_call"] = base.do_not_call or wants_no_calls(call)
    changes["events"] = sorted({*base.events, event.event})
    return changes


def _when(millis: int | None) -> datetime | None:
    if millis is None or millis <= 0:
        return None
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def calls_of(scope: TenantScope, contact_id: str, *, limit: int = 50) -> list[CallRecord]:
    return scope.query(CallRecord, prefix=f"{contact_id}#", limit=limit).items


def erase_calls(scope: TenantScope, contact_id: str) -> int:
    """Delete every call record of the contact (an erasure); returns how many."""
    erased = 0
    while True:
        page = scope.query(CallRecord, prefix=f"{contact_id}#", limit=_PAGE)
        if not page.items:
            return erased
        erased += scope.batch_delete(CallRecord, (c.sort_key() for c in page.items))
