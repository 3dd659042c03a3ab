"""Seeing calls: a contact's or a campaign's calls a page at a time, a call's transcript by turns, CSV.

Read only. A contact's calls are one Query of its prefix in ``CALL``; a campaign's are one
Query of its ``CampaignCall`` links and one BatchGetItem of the calls they name, so a page
costs O(page), never a Scan. The outcome filter is applied to the page read, so a filtered
page may hold fewer items than asked, with a cursor while there is more to read.
``outcome_of`` is the one place that says what a call's outcome was.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from gatehouse.contacts.records import Contact
from gatehouse.errors import NotFound
from gatehouse.models import GatehouseModel
from gatehouse.spreadsheet import neutralise
from gatehouse.tenancy import TenantScope
from gatehouse.voice.links import CampaignCall
from gatehouse.webhooks.voice_events import CallRecord

EXCERPT_CHARS: Final = 500


class CallOutcome(StrEnum):
    ANSWERED = "answered"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    REVOKED = "revoked"  # the person asked on the call not to be called again


# Vendor words (Retell's disconnection reasons, Twilio's call statuses), lower case.
_VOICEMAIL: Final = frozenset({"voicemail_reached", "machine_detected", "voicemail"})
_NO_ANSWER: Final = frozenset({"dial_no_answer", "no_answer", "no-answer", "registered_call_timeout"})
_BUSY: Final = frozenset({"dial_busy", "busy"})
_FAILED: Final = frozenset(
    {"dial_failed", "failed", "error", "canceled", "not_connected", "invalid_destination",
     "concurrency_limit_reached", "no_valid_payment", "telephony_provider_permission_denied",
     "telephony_provider_unavailable", "sip_routing_error", "marked_as_spam", "user_declined"}
)  # fmt: skip
_ENDED: Final = frozenset({"ended", "completed"})


# First match wins: a voicemail that ended normally is a voicemail.
_BY_WORD: Final = (
    (_VOICEMAIL, CallOutcome.VOICEMAIL),
    (_NO_ANSWER, CallOutcome.NO_ANSWER),
    (_BUSY, CallOutcome.BUSY),
    (_FAILED, CallOutcome.FAILED),
    (_ENDED, CallOutcome.ANSWERED),
)


def outcome_of(call: CallRecord) -> CallOutcome | None:
    """What the call came to; None while it has not ended."""
    if call.do_not_call:
        return CallOutcome.REVOKED
    if call.voicemail:
        return CallOutcome.VOICEMAIL
    if call.outcome is not None and call.outcome in set(CallOutcome):
        return CallOutcome(call.outcome)  # as the vendor's own words read (webhooks.voice_wire)
    words = {(w or "").strip().lower() for w in (call.disconnection_reason, call.status)} - {""}
    if any(w.startswith("error") for w in words):  # Retell's error_* reasons
        words.add("error")
    return next((outcome for known, outcome in _BY_WORD if words & known), None)


def turns_of(transcript: str | None) -> list[tuple[str, str]]:
    """(speaker, text) per non-empty line of a transcript (``Agent: ...`` / ``User: ...``)."""
    found: list[tuple[str, str]] = []
    for line in (transcript or "").splitlines():
        speaker, sep, text = line.partition(":")
        if sep and speaker.strip().lower() in {"agent", "user", "caller", "bot", "assistant"}:
            found.append((speaker.strip().lower(), text.strip()))
        elif line.strip():
            found.append(("unknown", line.strip()))
    return found


class CallView(GatehouseModel):
    call_id: str
    contact_id: str
    campaign_id: str | None
    direction: str
    status: str | None
    outcome: CallOutcome | None
    disposition: str | None
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    disconnection_reason: str | None
    summary: str | None
    sentiment: str | None
    cost_cents: float | None
    transcript_excerpt: str | None
    transcript_turns: int
    transcript_truncated: bool
    recording_held: bool
    recording_deleted_at: datetime | None
    vendor_copy_deleted_at: datetime | None

    @classmethod
    def of(cls, call: CallRecord) -> CallView:
        transcript = call.transcript or ""
        return cls(
            call_id=call.call_id,
            contact_id=call.contact_id,
            campaign_id=call.campaign_id,
            direction=call.direction,
            status=call.status,
            outcome=outcome_of(call),
            disposition=call.disposition,
            started_at=call.started_at,
            ended_at=call.ended_at,
            duration_seconds=call.duration_seconds,
            disconnection_reason=call.disconnection_reason,
            summary=call.summary,
            sentiment=call.sentiment,
            cost_cents=call.cost_cents,
            transcript_excerpt=transcript[:EXCERPT_CHARS] if call.transcript is not None else None,
            transcript_turns=len(turns_of(call.transcript)),
            transcript_truncated=len(transcript) > EXCERPT_CHARS,
            recording_held=call.recording_key is not None,
            recording_deleted_at=call.recording_deleted_at,
            vendor_copy_deleted_at=call.provider_recording_deleted_at,
        )


@dataclass(frozen=True)
class CallPage:
    items: list[CallView]
    cursor: str | None
    # Kept for the CSV: the transcripts in full, by call id (the views carry excerpts).
    transcripts: dict[str, str | None]


def _page(calls: Iterable[CallRecord], outcome: CallOutcome | None, cursor: str | None) -> CallPage:
    kept = [c for c in calls if outcome is None or outcome_of(c) is outcome]
    return CallPage(
        items=[CallView.of(c) for c in kept],
        cursor=cursor,
        transcripts={c.call_id: c.transcript for c in kept},
    )


def contact_calls(
    scope: TenantScope,
    contact_id: str,
    *,
    outcome: CallOutcome | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> CallPage:
    page = scope.query(CallRecord, prefix=f"{contact_id}#", limit=limit, cursor=cursor)
    if cursor is None and not page.items and scope.get(Contact, contact_id) is None:
        raise NotFound("contact not found")
    return _page(page.items, outcome, page.cursor)


def campaign_calls(
    scope: TenantScope,
    campaign_id: str,
    *,
    outcome: CallOutcome | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> CallPage:
    links = scope.query(CampaignCall, prefix=f"{campaign_id}#", limit=limit, cursor=cursor)
    found = scope.batch_get(CallRecord, (link.call_key for link in links.items))
    calls = [found[link.call_key] for link in links.items if link.call_key in found]
    return _page(calls, outcome, links.cursor)


class Turn(GatehouseModel):
    index: int
    speaker: str
    text: str


class TranscriptPage(GatehouseModel):
    call_id: str
    turns: list[Turn]
    total_turns: int
    next_cursor: str | None


def transcript(
    scope: TenantScope, contact_id: str, call_id: str, *, limit: int = 50, cursor: str | None = None
) -> TranscriptPage:
    call = scope.get(CallRecord, f"{contact_id}#{call_id}")
    if call is None:
        raise NotFound("call not found")
    what = f"transcript:{contact_id}#{call_id}"
    start = scope.position_of(what, cursor) if cursor else 0
    turns = turns_of(call.transcript)
    chunk = turns[start : start + limit]
    end = start + len(chunk)
    return TranscriptPage(
        call_id=call_id,
        turns=[Turn(index=start + i, speaker=s, text=t) for i, (s, t) in enumerate(chunk)],
        total_turns=len(turns),
        next_cursor=scope.position_cursor(what, end) if end < len(turns) else None,
    )


HEADER: Final = (
    "call_id",
    "contact_id",
    "campaign_id",
    "direction",
    "status",
    "outcome",
    "disposition",
    "started_at",
    "ended_at",
    "duration_seconds",
    "disconnection_reason",
    "sentiment",
    "cost_cents",
    "summary",
    "transcript",
    "recording_held",
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_lines(page: CallPage, *, header: bool) -> Iterator[str]:
    """CSV text lines (CRLF-terminated), every cell neutralised against spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(HEADER)
    for view in page.items:
        fields = view.model_dump()
        fields["transcript"] = page.transcripts.get(view.call_id)
        writer.writerow([neutralise(_cell(fields.get(name))) for name in HEADER])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    rest = buffer.getvalue()
    if rest:
        yield rest


def outcome_counts(scope: TenantScope, calls: Iterable[tuple[str, str]]) -> dict[str, int]:
    """``call:<outcome>`` counts of the given (contact id, call id) pairs; ``call:revoked`` counts the
    revocations caught on calls. One BatchGetItem per hundred calls."""
    found = scope.batch_get(CallRecord, (f"{contact}#{call}" for contact, call in calls))
    counted = Counter(outcome_of(c) for c in found.values())
    return {f"call:{o.value}": n for o, n in counted.items() if o is not None}
