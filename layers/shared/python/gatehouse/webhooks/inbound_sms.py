"""A text a person sent to one of the tenant's numbers: opt-out, held for review, opt-in, help, or a message.

``receive`` decides and acts, after the webhook function has verified Twilio's signature
and before it answers: an opt-out is on the suppression list before the reply leaves
(audited as ``contact:<contact id>``, never the number) and gets the one confirmation 47
CFR 64.1200(a)(12) allows; a doubtful reading (``Intent.UNCERTAIN``) holds the number for
an owner or admin to review (``suppression.review``) and gets no reply, since nothing is
revoked yet; an opt-in lifts only a suppression that an SMS STOP alone put there; HELP
answers with the tenant's help text. Every text but a keyword is stored as an
``InboundMessage`` on the sender's contact (by the keyed contact id, whether or not the
contact exists yet), and every text moves the sender's SMS conversation in the inbox
(``conversations.inbox``). It returns the reply's text (None: no reply). It never sends
anything itself and never logs a body or a number.

Records: ``InboundMessage`` (collection ``INBOUND_SMS``, sort key ``<contact id>#<MessageSid>``,
so an erasure finds a person's messages by prefix) and ``SmsHelp`` (``SMS_SETTINGS``/``HELP``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from pydantic import Field

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.compliance.optout import Intent, classify
from gatehouse.contacts.keys import contact_id_for
from gatehouse.conversations import inbox
from gatehouse.errors import Conflict, Invalid
from gatehouse.identity import caller as callers
from gatehouse.identity.caller import Caller
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics
from gatehouse.suppression import SuppressionSource, lift_sms_stop, review, suppress
from gatehouse.suppression.entries import REF_LENGTH
from gatehouse.suppression.numbers import is_e164
from gatehouse.tenancy import TenantRecord, TenantScope
from gatehouse.tenancy.records import Subject, time_sort_key

# The one confirmation 47 CFR 64.1200(a)(12) (FCC 24-24) allows: it confirms and nothing else
# (no marketing, no invitation to come back), sent as the webhook's own answer, within seconds.
OPT_OUT_REPLY: Final = "You are unsubscribed and will receive no further messages from us."
OPT_IN_REPLY: Final = "You are subscribed again. Reply STOP to unsubscribe."
DEFAULT_HELP: Final = "Reply STOP to unsubscribe. Msg & data rates may apply."
HELP_MAX: Final = 320  # two SMS segments
BODY_MAX: Final = 1600  # Twilio's own limit on a message body
_PAGE: Final = 100
BODY_KEPT_INDEX: Final = "INBOUND_SMS_BODY"  # time-index names (see gatehouse.retention)
MESSAGE_KEPT_INDEX: Final = "INBOUND_SMS"


class InboundMessage(TenantRecord):
    collection = "INBOUND_SMS"

    contact_id: str
    message_sid: str
    body: str
    num_media: int = 0
    received_at: datetime

    def sort_key(self) -> str:
        return f"{self.contact_id}#{self.message_sid}"

    def subject(self) -> Subject | None:
        return Subject(self.contact_id)

    def time_key(self) -> tuple[str, str] | None:
        # Retention: while the text is kept the message waits for its body window, then for its own.
        index = BODY_KEPT_INDEX if self.body else MESSAGE_KEPT_INDEX
        return index, time_sort_key(self.received_at, self.sort_key())


class SmsHelp(TenantRecord):
    collection = "SMS_SETTINGS"

    help_text: str
    updated_at: datetime
    updated_by: str

    def sort_key(self) -> str:
        return "HELP"


class SmsHelpView(GatehouseModel):
    help_text: str = Field(description="what a HELP reply says")
    updated_at: datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True)
class InboundSms:
    """The fields of Twilio's inbound webhook that Gatehouse uses."""

    message_sid: str
    sender: str  # From, E.164
    body: str
    num_media: int = 0
    tenant_number: str | None = None  # To: the tenant's number the person wrote to (E.164)


def receive(scope: TenantScope, sms: InboundSms, *, request_id: str, clock: Clock = utc_now) -> str | None:
    if not is_e164(sms.sender):
        raise Invalid("From is not an E.164 number")
    contact_id = contact_id_for(scope.tenant_id, sms.sender)
    person = callers.contact(scope.tenant_id, contact_id, request_id=request_id)
    intent = classify(sms.body)
    logger.info("inbound sms", extra={"tenant_id": scope.tenant_id, "intent": intent.value})
    metrics.add_metric(name="InboundSms", unit="Count", value=1)
    reply, text = _act(scope, person, contact_id, sms, intent, clock)
    inbox.note_inbound(scope, contact_id, text)
    return reply


def _act(  # noqa: PLR0917
    scope: TenantScope, person: Caller, contact_id: str, sms: InboundSms, intent: Intent, clock: Clock
) -> tuple[str | None, inbox.Inbound]:
    """What the text does (suppress, lift, hold, keep), its reply, and what it changes in the inbox.

    A keyword leaves ``needs_reply`` as it was, but an opt-out clears it: nothing may be sent.
    """
    now = clock()
    to = sms.tenant_number if sms.tenant_number and is_e164(sms.tenant_number) else None
    text = inbox.Inbound(message_sid=sms.message_sid, at=now, tenant_number=to, needs_reply=None)
    if intent is Intent.OPT_OUT:
        suppress(scope, person, sms.sender, SuppressionSource.SMS_STOP, "opt-out reply by text")
        return OPT_OUT_REPLY, replace(text, opted_out=True, needs_reply=False)
    if intent is Intent.OPT_IN:
        # A manual add, a stop-calling request, an import or an erasure still stands: say nothing.
        lifted = lift_sms_stop(scope, person, sms.sender, clock=clock)
        return (OPT_IN_REPLY, replace(text, opted_out=False)) if lifted else (None, text)
    if intent is Intent.HELP:
        return help_text(scope).help_text, text
    if intent is Intent.UNCERTAIN:
        # Fail closed: no attempt on any channel until a person has read it. No confirmation:
        # nothing is revoked yet, and a text saying so could mislead either way.
        review.hold(scope, person, sms.sender, contact_id, sms.message_sid, clock=clock)
        text = replace(text, held=True)
    _keep(scope, contact_id, sms, clock)
    # A held text waits for its review (``held``), not for an answer.
    return None, replace(text, needs_reply=True) if intent is Intent.NONE else text


def _keep(scope: TenantScope, contact_id: str, sms: InboundSms, clock: Clock) -> None:
    message = InboundMessage(
        contact_id=contact_id,
        message_sid=sms.message_sid,
        body=sms.body[:BODY_MAX],
        num_media=sms.num_media,
        received_at=clock(),
    )
    try:
        scope.save(message)
    except Conflict:
        # Already kept under this MessageSid: a delivery re-run after its reply was lost.
        if scope.get(InboundMessage, message.sort_key()) is None:
            raise


class HeldTextView(GatehouseModel):
    """A reply held for review as an owner or admin sees it: the contact, the hash reference, the text."""

    contact_id: str
    ref: str = Field(description="first 16 hex characters of the number's keyed hash")
    body: str | None = Field(
        description="the latest held text; null once retention has purged it, or when said on a call"
    )
    call_id: str | None = Field(default=None, description="the call the doubtful words were said on, if any")
    texts: int = Field(description="doubtful texts received from the number while held")
    held_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class HeldTextPage:
    items: list[HeldTextView]
    cursor: str | None


def held_texts(scope: TenantScope, *, limit: int = 50, cursor: str | None = None) -> HeldTextPage:
    """One page of the review list, each with its latest text (one batch read for the page's texts)."""
    page = review.list_held(scope, limit=limit, cursor=cursor)
    keys = [f"{item.contact_id}#{item.message_sid}" for item in page.items]
    sent = [key for item, key in zip(page.items, keys, strict=True) if not item.on_call]
    texts = scope.batch_get(InboundMessage, sent) if sent else {}
    items = [
        HeldTextView(
            contact_id=item.contact_id,
            ref=item.number_key[:REF_LENGTH],
            body=(kept.body or None) if (kept := texts.get(key)) is not None else None,
            call_id=item.message_sid if item.on_call else None,
            texts=item.texts,
            held_at=item.held_at,
            last_at=item.last_at,
        )
        for item, key in zip(page.items, keys, strict=True)
    ]
    return HeldTextPage(items=items, cursor=page.cursor)


def messages_of(scope: TenantScope, contact_id: str, *, limit: int = 50) -> list[InboundMessage]:
    return scope.query(InboundMessage, prefix=f"{contact_id}#", limit=limit).items


def erase_messages(scope: TenantScope, contact_id: str) -> int:
    """Delete every stored message of the contact (an erasure); returns how many."""
    erased = 0
    while True:
        page = scope.query(InboundMessage, prefix=f"{contact_id}#", limit=_PAGE)
        if not page.items:
            return erased
        erased += scope.batch_delete(InboundMessage, (m.sort_key() for m in page.items))


def help_text(scope: TenantScope) -> SmsHelpView:
    stored = scope.get(SmsHelp, "HELP")
    if stored is None:
        return SmsHelpView(help_text=DEFAULT_HELP)
    return SmsHelpView(help_text=stored.help_text, updated_at=stored.updated_at, updated_by=stored.updated_by)


def set_help_text(scope: TenantScope, caller: Caller, text: str, *, clock: Clock = utc_now) -> SmsHelpView:
    """Owners and admins word the HELP reply; audited with before and after."""
    caller.require(Permission.INTEGRATIONS_MANAGE)
    wording = " ".join(text.split())
    if not wording or len(wording) > HELP_MAX:
        raise Invalid(f"help text must be 1 to {HELP_MAX} characters")
    before = scope.get(SmsHelp, "HELP")
    record = SmsHelp(
        help_text=wording,
        updated_at=clock(),
        updated_by=caller.actor,
        version=before.version if before else 0,
    )
    view = SmsHelpView(help_text=record.help_text, updated_at=record.updated_at, updated_by=record.updated_by)
    previous = SmsHelpView(help_text=before.help_text if before else DEFAULT_HELP)
    with audit.recorded(
        scope, caller, "sms_help.changed", "sms_settings", "help", before=previous, after=view
    ) as txn:
        txn.save(record)
    return view
