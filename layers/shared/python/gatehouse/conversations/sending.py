"""Sending a member's reply where the tenant's Twilio credentials may be opened.

The API's role may open no provider credentials (it decrypts TOTP secrets only), so the
reply whose gates passed and whose claim is held is sent by the integration check function,
as a DNC lookup is: ``send_reply`` hands it the tenant, the contact, the reply's id, the
text and the sender, never a credential; ``send_here`` runs there. It sends only a reply
whose claim the contact's attempt ledger holds and that is not recorded as sent yet, and
only to the contact's own number (read there, never taken from the request), so the API
cannot have it text anyone else, nor send a recorded reply again.

Where no check function is configured (the in-process tiers) ``send_here`` runs in the
caller. Nothing here raises for provider, vault or storage trouble: each gives a refused
``SendReceipt`` with a fixed code, which the reply records as ``send_failed``.
"""

from __future__ import annotations

from typing import Final, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ConfigDict, Field, ValidationError
from pynamodb.exceptions import PynamoDBException

from gatehouse.contacts.records import Contact
from gatehouse.conversations.records import ReplyMessage
from gatehouse.dispatch.claims import AttemptLedger, claim_key
from gatehouse.dispatch.gates import Reason
from gatehouse.dispatch.send import send_text
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger, metrics
from gatehouse.providers import delegated
from gatehouse.providers.base import SendReceipt
from gatehouse.tenancy import TenantScope
from gatehouse.vault import Provider, resolve
from gatehouse.vault.credentials import IntegrationNotConnected
from gatehouse.vault.envelope import SealRejected, VaultUnavailable

CLAIM_ATTEMPT: Final = 1  # one claim per reply: the key names the reply, never a retry of it
REPLY_MAX: Final = 1600


class ReplySendRequest(GatehouseModel):
    """What the API sends the check function: whose reply, and its words; never a credential or a number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    operation: Literal["reply_send"] = "reply_send"
    tenant_id: str = Field(pattern=r"^tnt_[a-z2-7]{26}$")
    contact_id: str = Field(pattern=r"^[A-Za-z0-9_]{1,64}$")
    reply_id: str = Field(pattern=r"^rpl_[A-Za-z0-9_-]{1,80}$")
    body: str = Field(min_length=1, max_length=REPLY_MAX)
    sender: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{7,14}$")


def claim_holder(reply_id: str) -> str:
    """The ledger's name for the reply's claim: ``reply_<key hash>``, claimed as ``reply_<key hash>#01``."""
    return "reply_" + reply_id.removeprefix("rpl_")


def reply_claim_key(reply_id: str) -> str:
    return claim_key(claim_holder(reply_id), CLAIM_ATTEMPT)


def send_reply(scope: TenantScope, request: ReplySendRequest) -> SendReceipt:
    """Send the claimed reply where the credentials may be opened: the check function, or here."""
    if not delegated.configured():
        return send_here(scope, request)
    try:
        return SendReceipt.model_validate(delegated.ask(request, what="reply send"))
    except (delegated.NotAnswered, ValidationError):
        # The function may have sent before its answer was lost: the claim stays, never sent again.
        return _refused(Reason.SEND_UNCONFIRMED)


def send_here(scope: TenantScope, request: ReplySendRequest) -> SendReceipt:
    """One text, if the contact's ledger holds the reply's claim, to the contact's own number."""
    try:
        ledger = scope.get(AttemptLedger, request.contact_id)
        contact = scope.get(Contact, request.contact_id)
        recorded = scope.get(ReplyMessage, f"{request.contact_id}#{request.reply_id}")
    except (ClientError, BotoCoreError, PynamoDBException) as exc:
        logger.warning("reply send could not read the claim", extra={"error": type(exc).__name__})
        return _refused(Reason.SEND_FAILED)
    if ledger is None or reply_claim_key(request.reply_id) not in ledger.claims or contact is None:
        logger.warning("reply send refused: no claim held for it")
        return _refused(Reason.SEND_FAILED)
    if recorded is not None:
        logger.warning("reply send refused: the reply was sent and recorded already")
        return _refused(Reason.SEND_UNCONFIRMED)
    try:
        credentials = resolve(scope, Provider.TWILIO)
    except (IntegrationNotConnected, SealRejected, VaultUnavailable, ClientError, BotoCoreError) as exc:
        logger.warning("reply credentials unavailable", extra={"error": type(exc).__name__})
        return _refused(Reason.PROVIDER_CREDENTIALS_UNAVAILABLE)
    try:
        return send_text(scope, credentials, to=contact.e164, body=request.body, sender=request.sender)
    finally:
        del credentials


def _refused(reason: Reason) -> SendReceipt:
    metrics.add_metric(name="ConversationReplySendRefused", unit="Count", value=1)
    return SendReceipt(accepted=False, error=reason.value)
