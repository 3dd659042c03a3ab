"""Call recordings we hold: copied from the vendor into the tenant's prefix, erased, played back audited.

- ``keep`` (run by ``voice_events.record_event``): when an ended call's event carries a
  ``recording_url``, the audio is fetched (``voice.vendors``: allowed hosts, bounded, timed)
  and stored at ``tenants/<tenant>/calls/<contact id>/<call id>.<ext>`` with SSE-KMS
  (``tenancy.objects``); the call record then holds that key, never the vendor's URL. The
  vendor's copy is deleted through its API once its last event is in (Retell:
  ``call_analyzed``, which a deleted call would never send; others: at once).
- A copy or a vendor delete that fails raises ``Unavailable``: the webhook answers 503,
  its replay claim is dropped and the vendor retries the same event, which runs this again
  (the key is deterministic, so a second put replaces the first). The vendor's copy is
  deleted only after ours is stored and recorded, so a failure anywhere loses nothing.
  A URL or body that retrying cannot fix (host not allowed, too large, gone) is logged by
  reason and the call kept without a recording.
- ``erase_recordings`` deletes our objects (retention, erasure); ``playback`` hands an
  allowed member a presigned GET of ``PLAYBACK_SECONDS``, after the audit entry is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Final

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict, NotFound
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics
from gatehouse.tenancy import TenantScope
from gatehouse.tenancy.objects import TenantObjects
from gatehouse.voice.vendors import (
    Access,
    Deletion,
    RecordingRefused,
    Vendor,
    delete_vendor_copy,
    fetch,
)
from gatehouse.webhooks.voice_events import CallEvent, CallEventType, CallRecord

PLAYBACK_SECONDS: Final = 300
# The event after which a vendor sends nothing more about a call: its copy may go then.
LAST_EVENT: Final = {Vendor.RETELL: CallEventType.CALL_ANALYZED}
_ENDED: Final = frozenset({CallEventType.CALL_ENDED, CallEventType.CALL_ANALYZED})


def recording_key(scope: TenantScope, contact_id: str, call_id: str, extension: str) -> str:
    return TenantObjects(scope.tenant_id).key("calls", contact_id, f"{call_id}.{extension}")


def keep(
    scope: TenantScope,
    record: CallRecord,
    event: CallEvent,
    *,
    vendor: Vendor | str = Vendor.RETELL,
    clock: Clock = utc_now,
) -> CallRecord:
    """Copy the event's recording into the tenant's prefix, then delete the vendor's copy when it may go."""
    chosen = Vendor(vendor)
    url = event.call.recording_url
    wanted = record.recording_key is None and record.recording_deleted_at is None
    if url and wanted and event.event in _ENDED:
        record = _copy(scope, record, url, chosen)
    last = LAST_EVENT.get(chosen)
    if (
        record.recording_key is not None
        and record.provider_recording_deleted_at is None
        and (last is None or event.event is last)
    ):
        access = _access(scope, chosen)
        found = delete_vendor_copy(chosen, call_id=record.call_id, recording_url=url, access=access)
        if found is Deletion.DELETED:
            record = _update(scope, record, provider_recording_deleted_at=clock())
    return record


def _copy(scope: TenantScope, record: CallRecord, url: str, vendor: Vendor) -> CallRecord:
    try:
        fetched = fetch(url, vendor, _access(scope, vendor))
    except RecordingRefused as refused:
        logger.warning("recording not kept", extra={"tenant_id": scope.tenant_id, "reason": refused.reason})
        metrics.add_metric(name="VoiceRecordingRefused", unit="Count", value=1)
        return record
    key = recording_key(scope, record.contact_id, record.call_id, fetched.extension)
    with fetched.body:
        TenantObjects(scope.tenant_id).put(key, fetched.body, content_type=fetched.content_type)
    metrics.add_metric(name="VoiceRecordingKept", unit="Count", value=1)
    return _update(scope, record, recording_key=key, recording_ref=None)


def _update(scope: TenantScope, record: CallRecord, **changes: Any) -> CallRecord:
    """Save ``changes`` on the call, reading it again when another event won the race."""
    current = record
    for _ in range(3):
        try:
            return scope.save(current.model_copy(update=changes))
        except Conflict:
            fresh = scope.get(CallRecord, record.sort_key())
            if fresh is None:
                raise NotFound("call not found") from None
            current = fresh
    raise Conflict("the call record changed concurrently; retry")


def _access(scope: TenantScope, vendor: Vendor) -> Access:
    """The tenant's credentials for the vendor, opened for this call only (none when not connected)."""
    from gatehouse.vault import IntegrationNotConnected, Provider, SealRejected, resolve  # noqa: PLC0415

    try:
        if vendor is Vendor.TWILIO:
            twilio = resolve(scope, Provider.TWILIO)
            if twilio.api_key_sid and twilio.api_key_secret:
                basic = (twilio.api_key_sid, twilio.api_key_secret.get_secret_value())
            elif twilio.auth_token:
                basic = (twilio.account_sid, twilio.auth_token.get_secret_value())
            else:
                return Access(account_sid=twilio.account_sid)
            return Access(account_sid=twilio.account_sid, basic=basic)
        agent = resolve(scope, Provider.VOICE_AGENT)
    except (IntegrationNotConnected, SealRejected):
        return Access()
    key = agent.api_key.get_secret_value() if agent.api_key else None
    return Access(api_key=key, base_url=agent.base_url)


def erase_recordings(scope: TenantScope, calls: Iterable[CallRecord]) -> int:
    """Delete our copy of each call's recording (the records are the caller's to change); returns how many."""
    objects = TenantObjects(scope.tenant_id)
    erased = 0
    for call in calls:
        if call.recording_key is not None:
            objects.delete(call.recording_key)
            erased += 1
    return erased


def forget_recording(scope: TenantScope, call: CallRecord, *, clock: Clock = utc_now) -> dict[str, Any]:
    """Delete our copy of the call's recording; the record changes that say so (for the caller's save)."""
    erase_recordings(scope, [call])
    if call.recording_key is None:
        return {"recording_ref": None}
    return {"recording_key": None, "recording_ref": None, "recording_deleted_at": clock()}


class PlaybackEntry(GatehouseModel):
    """What the audit keeps of a playback: the call and how long the link lives, never the link."""

    contact_id: str
    call_id: str
    expires_at: datetime


class Playback(GatehouseModel):
    url: str
    expires_at: datetime


def playback(
    scope: TenantScope, caller: Caller, contact_id: str, call_id: str, *, clock: Clock = utc_now
) -> Playback:
    """A presigned GET of the call's recording for ``PLAYBACK_SECONDS``, written to the audit log first."""
    caller.require(Permission.RECORDINGS_PLAY)
    call = scope.get(CallRecord, f"{contact_id}#{call_id}")
    if call is None:
        raise NotFound("call not found")
    if call.recording_key is None:
        raise NotFound("no recording of this call is held")
    expires = clock() + timedelta(seconds=PLAYBACK_SECONDS)
    entry = PlaybackEntry(contact_id=contact_id, call_id=call_id, expires_at=expires)
    audit.record(caller, "call.recording_played", "call", call_id, after=entry)
    url = TenantObjects(scope.tenant_id).presigned_get(call.recording_key, seconds=PLAYBACK_SECONDS)
    return Playback(url=url, expires_at=expires)
