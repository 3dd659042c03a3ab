"""The provider calls of a batch: open the tenant's credentials, text or dial each claimed contact.

Called only with contacts whose attempt is claimed (gate 7). An adapter never raises for
a provider's refusal or timeout (it returns a receipt), so one contact's trouble never
stops the others' sends; a send is never retried here (the claim stays).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final

from gatehouse.campaigns.records import CallPlacement, Campaign, SmsContent, VoiceContent
from gatehouse.compliance.state_rules import Channel
from gatehouse.config import get_settings
from gatehouse.contacts.records import Contact
from gatehouse.dispatch.gates import Reason
from gatehouse.observability import logger, metrics
from gatehouse.providers.base import CallRequest, SendReceipt, adapters
from gatehouse.tenancy import TenantScope
from gatehouse.vault import Provider, resolve
from gatehouse.vault.schemas import TwilioCredentials, VoiceAgentCredentials
from gatehouse.voice import disclosures
from gatehouse.webhooks.refs import StatusCallbackUrls, status_callback_urls

SEND_WORKERS: Final = 8  # provider calls in flight per batch

Credentials = TwilioCredentials | VoiceAgentCredentials


def open_credentials(scope: TenantScope, campaign: Campaign) -> Credentials | None:
    """The credentials of the provider the campaign sends through (None: its channel has none)."""
    content = campaign.spec.content
    if campaign.spec.channel is Channel.SMS and isinstance(content, SmsContent):
        return resolve(scope, Provider.TWILIO)
    if campaign.spec.channel is Channel.VOICE and isinstance(content, VoiceContent):
        if content.placed_by is CallPlacement.TWILIO:
            return resolve(scope, Provider.TWILIO)
        return resolve(scope, Provider.VOICE_AGENT)
    return None


@dataclass
class Sends:
    sent: dict[str, str] = field(default_factory=dict)  # contact id -> provider reference
    failed: dict[str, str] = field(default_factory=dict)  # contact id -> a Reason or the provider's code


def send(
    scope: TenantScope,
    campaign: Campaign,
    contacts: list[Contact],
    credentials: Credentials | None,
    *,
    slots: Mapping[str, int] | None = None,
) -> Sends:
    """One provider call per held claim: a text, or a call placed as the campaign's voice settings say.

    ``slots``: each contact's place in the minute's throughput counter (``batch._throttled``),
    which picks the number of the campaign's pool it goes from (``spread``).
    """
    result = Sends()
    callbacks = _status_callbacks(scope)
    content = campaign.spec.content
    if isinstance(content, SmsContent) and isinstance(credentials, TwilioCredentials):
        _send_texts(scope, campaign, content, contacts, credentials, callbacks, result, slots)
    elif isinstance(content, VoiceContent) and credentials is not None:
        _place_calls(scope, campaign, content, contacts, credentials, callbacks, result, slots)
    else:
        for contact in contacts:
            result.failed[contact.contact_id] = Reason.CHANNEL_NOT_AVAILABLE.value
    return result


def send_text(
    scope: TenantScope, credentials: TwilioCredentials, *, to: str, body: str, sender: str | None
) -> SendReceipt:
    """One text held by its claim (a member's reply), through the same adapter, tracked like a campaign's."""
    callbacks = _status_callbacks(scope)
    return adapters().send_sms(
        scope.tenant_id,
        credentials,
        to=to,
        body=body,
        status_callback=callbacks.message if callbacks else None,
        sender=sender,
    )


def _status_callbacks(scope: TenantScope) -> StatusCallbackUrls | None:
    """The tenant's status callback URLs under the deployment's public URL (None: none is configured)."""
    base = get_settings().public_base_url
    if not base:
        # Sends still go (delivery tracking is not a gate), but operators must see it.
        logger.warning("no public base URL is configured: delivery status is not tracked")
        metrics.add_metric(name="DispatchUntracked", unit="Count", value=1)
        return None
    return status_callback_urls(scope, base)


def spread(
    numbers: Sequence[str], contacts: list[Contact], slots: Mapping[str, int] | None
) -> dict[str, str]:
    """Each contact's number of the campaign's pool, taken in turn by its throughput slot.

    The campaign's sends of a minute hold slots 0 to ``gates.throughput_limit`` - 1 (per-sender
    rate times numbers) whichever batch took them, so by slot every number carries at most
    its own rate in the minute, and the same grant always gives the same numbers. A contact
    without a slot goes by its place in the batch.
    """
    places = slots or {}
    return {c.contact_id: numbers[places.get(c.contact_id, n) % len(numbers)] for n, c in enumerate(contacts)}


def _send_texts(  # noqa: PLR0917
    scope: TenantScope,
    campaign: Campaign,
    content: SmsContent,
    contacts: list[Contact],
    credentials: TwilioCredentials,
    callbacks: StatusCallbackUrls | None,
    result: Sends,
    slots: Mapping[str, int] | None,
) -> None:
    """From the campaign's approved senders: its numbers in turn, else its messaging service's pool."""
    provider = adapters()
    pool = campaign.spec.senders
    origin = _texting_credentials(credentials, pool.messaging_service_sid)
    senders = spread(pool.numbers, contacts, slots) if pool.numbers else {}

    def text(contact: Contact) -> SendReceipt:
        return provider.send_sms(
            scope.tenant_id,
            origin,
            to=contact.e164,
            body=_render(content.template, contact),
            status_callback=callbacks.message if callbacks else None,
            sender=senders.get(contact.contact_id),
        )

    _each(contacts, text, result)


def _texting_credentials(
    credentials: TwilioCredentials, messaging_service_sid: str | None
) -> TwilioCredentials:
    """The credentials, with the campaign's messaging service in place of the integration's if named."""
    if messaging_service_sid is None:
        return credentials
    return credentials.model_copy(update={"messaging_service_sid": messaging_service_sid})


def _place_calls(  # noqa: PLR0917
    scope: TenantScope,
    campaign: Campaign,
    content: VoiceContent,
    contacts: list[Contact],
    credentials: Credentials,
    callbacks: StatusCallbackUrls | None,
    result: Sends,
    slots: Mapping[str, int] | None,
) -> None:
    caller_ids = campaign.spec.senders.numbers
    if not caller_ids:
        for contact in contacts:
            result.failed[contact.contact_id] = Reason.NO_CALLER_ID.value
        return
    by_twilio = content.placed_by is CallPlacement.TWILIO
    status_callback = None
    if callbacks is not None:
        status_callback = callbacks.call if by_twilio else callbacks.voice_agent
    provider = adapters()
    dialled_from = spread(caller_ids, contacts, slots)

    said = disclosures.variables(content)  # metadata too: the call's events bring them back to its record

    def dial(contact: Contact) -> SendReceipt:
        call = CallRequest(
            to=contact.e164,
            caller_id=dialled_from[contact.contact_id],  # spread over the campaign's caller ids
            agent_id=content.agent_id,
            max_duration_seconds=content.max_duration_seconds,
            dial=content.agent_sip_uri or content.agent_number,
            metadata={"campaign_id": campaign.campaign_id, "contact_id": contact.contact_id, **said},
            variables=said,
            status_callback=status_callback,
        )
        return provider.place_call(scope.tenant_id, credentials, call)

    _each(contacts, dial, result)


def _each(contacts: list[Contact], call: Callable[[Contact], SendReceipt], result: Sends) -> None:
    """One provider call per contact, ``SEND_WORKERS`` at a time; every receipt noted, in order.

    An adapter never raises for a provider's refusal or timeout (it returns a receipt), so
    one contact's trouble never stops the others' sends.
    """
    with ThreadPoolExecutor(max_workers=SEND_WORKERS) as pool:
        receipts = list(pool.map(call, contacts))
    for contact, receipt in zip(contacts, receipts, strict=True):
        if receipt.accepted:
            result.sent[contact.contact_id] = receipt.provider_ref or ""
        else:
            result.failed[contact.contact_id] = receipt.error or Reason.SEND_FAILED.value


def _render(template: str, contact: Contact) -> str:
    values = {"first_name": contact.first_name or "", "last_name": contact.last_name or ""}
    return string.Formatter().vformat(template, (), values)
