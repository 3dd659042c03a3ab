"""Applying a tenant's retention windows: what fell due is found on the time index and removed.

- inbound messages: the text is blanked after ``message_bodies_days`` (the record moves from
  the ``INBOUND_SMS_BODY`` to the ``INBOUND_SMS`` index partition) and the record deleted after
  ``inbound_messages_days``;
- members' replies: the text is blanked after ``message_bodies_days`` too (the reply leaves the
  ``CONVERSATION_REPLY_BODY`` index partition; the record stays, as the thread's trace of a send);
- calls: our copy of the recording (the S3 object) goes after ``call_recordings_days``, the transcript and
  summary after ``transcripts_days`` (a call stays on the index while it keeps either; the
  call record itself expires by TTL after ``GATEHOUSE_CALL_RETENTION_DAYS``);
- soft-deleted contacts: after ``deleted_contacts_days`` the contact goes, then everything an
  erasure removes with it (``contacts.person.forget``: texts, calls and recordings, conversations
  and their unread counts, members' replies, readings of calls); the contact's delete is
  conditional, so a contact restored meanwhile is kept with its data. No suppression entry is
  added: a delete is the tenant's housekeeping; a person's own request is an erasure, which
  adds one at once.

Every read is a page of items already due, so a run costs O(what expired). A run that
removed anything writes one audit entry with the counts (``retention.purged``); a run that
found nothing writes nothing, so a second run at the same instant changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.contacts.person import forget
from gatehouse.contacts.records import DELETED_INDEX, Contact
from gatehouse.conversations.records import REPLY_BODY_INDEX, ReplyMessage
from gatehouse.errors import Conflict
from gatehouse.identity.caller import system
from gatehouse.models import GatehouseModel
from gatehouse.retention.policy import RetentionWindows, windows_of
from gatehouse.tenancy import TenantScope
from gatehouse.tenancy.records import time_bound
from gatehouse.voice.recordings import forget_recording
from gatehouse.webhooks.inbound_sms import BODY_KEPT_INDEX, MESSAGE_KEPT_INDEX, InboundMessage
from gatehouse.webhooks.voice_events import (
    MEDIA_INDEX,
    RECORDING_INDEX,
    TRANSCRIPT_INDEX,
    CallRecord,
)

PAGE: Final = 100

TimeLeft = Callable[[], bool]


class PurgeCounts(GatehouseModel):
    message_bodies: int = 0
    reply_bodies: int = 0
    inbound_messages: int = 0
    call_recordings: int = 0
    transcripts: int = 0
    deleted_contacts: int = 0

    @property
    def total(self) -> int:
        return sum(self.model_dump().values())


class PurgeRun(GatehouseModel):
    counts: PurgeCounts
    complete: bool = True


def purge_expired(
    scope: TenantScope, *, clock: Clock = utc_now, time_left: TimeLeft = lambda: True
) -> PurgeRun:
    """Remove what the tenant's windows say has expired; one audit entry when anything went."""
    windows = windows_of(scope)
    now = clock()
    counts = PurgeCounts()
    steps = (_inbound_bodies, _reply_bodies, _inbound_records, _call_media, _deleted_contacts)
    complete = all(step(scope, windows, now, counts, time_left) for step in steps)
    if counts.total:
        audit.record(
            system(scope.tenant_id, "retention"),
            "retention.purged",
            "retention",
            scope.tenant_id,
            after=counts,
        )
    return PurgeRun(counts=counts, complete=complete)


def _before(now: datetime, days: int) -> str:
    return time_bound(now - timedelta(days=days))


def _inbound_bodies(
    scope: TenantScope, windows: RetentionWindows, now: datetime, counts: PurgeCounts, time_left: TimeLeft
) -> bool:
    record_cutoff = now - timedelta(days=windows.inbound_messages_days)
    before = _before(now, windows.message_bodies_days)
    cursor: str | None = None
    while time_left():
        page = scope.due(InboundMessage, BODY_KEPT_INDEX, before=before, limit=PAGE, cursor=cursor)
        # Nobody else edits a stored message (the webhook only creates): unconditional batches.
        with scope.batch_writer() as batch:
            for message in page.items:
                if message.received_at < record_cutoff:
                    batch.delete(InboundMessage, message.sort_key())
                    counts.inbound_messages += 1
                else:
                    batch.save(message.model_copy(update={"body": ""}))
                counts.message_bodies += 1
        cursor = page.cursor
        if cursor is None:
            return True
    return False


def _reply_bodies(
    scope: TenantScope, windows: RetentionWindows, now: datetime, counts: PurgeCounts, time_left: TimeLeft
) -> bool:
    before = _before(now, windows.message_bodies_days)
    cursor: str | None = None
    while time_left():
        page = scope.due(ReplyMessage, REPLY_BODY_INDEX, before=before, limit=PAGE, cursor=cursor)
        # Conditional: the send may still be writing its status; a reply refused now goes next run.
        blanked = scope.save_each([reply.model_copy(update={"body": ""}) for reply in page.items])
        counts.reply_bodies += sum(1 for saved in blanked if isinstance(saved, ReplyMessage))
        cursor = page.cursor
        if cursor is None:
            return True
    return False


def _inbound_records(
    scope: TenantScope, windows: RetentionWindows, now: datetime, counts: PurgeCounts, time_left: TimeLeft
) -> bool:
    before = _before(now, windows.inbound_messages_days)
    cursor: str | None = None
    while time_left():
        page = scope.due(InboundMessage, MESSAGE_KEPT_INDEX, before=before, limit=PAGE, cursor=cursor)
        counts.inbound_messages += scope.batch_delete(InboundMessage, (m.sort_key() for m in page.items))
        cursor = page.cursor
        if cursor is None:
            return True
    return False


def _call_media(
    scope: TenantScope, windows: RetentionWindows, now: datetime, counts: PurgeCounts, time_left: TimeLeft
) -> bool:
    recordings = now - timedelta(days=windows.call_recordings_days)
    transcripts = now - timedelta(days=windows.transcripts_days)
    partitions = (
        (MEDIA_INDEX, max(recordings, transcripts)),
        (RECORDING_INDEX, recordings),
        (TRANSCRIPT_INDEX, transcripts),
    )
    for index, due_before in partitions:
        cursor: str | None = None
        while True:
            if not time_left():
                return False
            page = scope.due(CallRecord, index, before=time_bound(due_before), limit=PAGE, cursor=cursor)
            for call in page.items:
                _strip_call(scope, call, now, (recordings, transcripts), counts)
            cursor = page.cursor
            if cursor is None:
                break
    return True


def _strip_call(
    scope: TenantScope,
    call: CallRecord,
    now: datetime,
    cutoffs: tuple[datetime, datetime],
    counts: PurgeCounts,
) -> None:
    recordings, transcripts = cutoffs
    at = call.received_at or call.started_at or call.ended_at
    if at is None:
        return
    update: dict[str, Any] = {}
    recording = (call.recording_ref is not None or call.recording_key is not None) and at < recordings
    if recording:
        # Our copy goes first: a save lost to a late event leaves a key to an absent object,
        # which the next run clears (deleting an absent object succeeds).
        update.update(forget_recording(scope, call, clock=lambda: now))
    if call.keeps_transcript and at < transcripts:
        update.update(transcript=None, summary=None, turns=[])
    if not update:
        return
    try:
        scope.save(call.model_copy(update=update))
    except Conflict:
        return  # a late call event just merged: the next run takes it
    counts.call_recordings += recording
    counts.transcripts += "transcript" in update


def _deleted_contacts(
    scope: TenantScope, windows: RetentionWindows, now: datetime, counts: PurgeCounts, time_left: TimeLeft
) -> bool:
    before = _before(now, windows.deleted_contacts_days)
    cursor: str | None = None
    while time_left():
        page = scope.due(Contact, DELETED_INDEX, before=before, limit=PAGE, cursor=cursor)
        for contact in page.items:
            # What the person left goes first, the contact item last: a purge cut short midway
            # leaves the contact on the index, and the next run finishes forgetting it. A contact
            # restored meanwhile keeps its item; what it left was past its window already.
            forget(scope, contact.contact_id)
            try:
                scope.delete(contact)
            except Conflict:
                continue  # restored or changed since it was read: the item stays
            counts.deleted_contacts += 1
        cursor = page.cursor
        if cursor is None:
            return True
    return False
