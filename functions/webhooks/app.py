"""Webhook Lambda entry: provider callbacks under /webhooks/.

Routes: Twilio inbound SMS, message status and call status (``/webhooks/twilio/<ref>/...``),
voice-agent call events (each verified by the tenant's vendor's own scheme: Retell or Vapi),
Stripe. Signature first: each route finds the tenant from the ref
in its path, opens that tenant's secret and verifies the provider's signature before any
field of the body is used. An unknown ref, a tenant without the integration, a missing or wrong signature
all get the one same 401 (``SignatureRejected``), a log line without the body and the
``WebhookSignatureRejected`` metric an alarm watches. Each verified event is handled
once by its provider id (``gatehouse.webhooks.replay``); a replay gets the first reply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from inbound import (
    FORM,
    JSON,
    SignatureRejected,
    field,
    form_params,
    optional_field,
    public_url,
    raw_body,
    require_media_type,
)

from gatehouse import compliance, freshness
from gatehouse.clock import Clock, utc_now
from gatehouse.config import WebhooksSettings, get_settings, require
from gatehouse.errors import GatehouseError, PayloadTooLarge
from gatehouse.observability import for_tenant, logger, metrics, tracer
from gatehouse.web import error_body, proxy_error, request_body_size, with_security_headers
from gatehouse.webhooks import signatures
from gatehouse.webhooks.signatures import FormParams

if TYPE_CHECKING:
    from gatehouse.vault import VoiceAgentCredentials
    from gatehouse.webhooks import replay, status, voice_events

# Checked at cold start: a variable the template gives this function and it lacks fails the import.
SETTINGS = require(WebhooksSettings)
# SnapStart: every restored environment drops what init cached and reseeds (gatehouse.freshness).
freshness.register_with_runtime()
# What a route reads and writes once a signature holds (the tenant's ref and secrets, the replay
# record, the message, status, call and billing records) loads at the first request that
# reaches it; under SnapStart, before the snapshot instead, with the compliance data.
ON_FIRST_REQUEST = (
    "gatehouse.webhooks.refs",
    "gatehouse.webhooks.replay",
    "gatehouse.vault",
    "gatehouse.tenancy.scope",
    "gatehouse.webhooks.inbound_sms",
    "gatehouse.webhooks.status",
    "gatehouse.webhooks.voice_events",
    "gatehouse.webhooks.voice_wire",
    "gatehouse.billing",
)
freshness.load_before_snapshot(*ON_FIRST_REQUEST, compliance.load_reference_data)

# "Now" for what a text in records (when it arrived, a hold's time): the local runtime
# (``set_clock``) pins it with the gates' clock, so a pinned run reads as one timeline.
clock: Clock = utc_now

app = APIGatewayRestResolver()
TWIML = "text/xml"
RECEIVED = '{"received":true}'


def _request_id() -> str:
    return app.current_event.request_context.request_id or ""


def _reply(reply: replay.Reply) -> Response[str]:
    return Response(status_code=reply.status, content_type=reply.content_type, body=reply.body)


def _twiml(text: str | None) -> replay.Reply:
    from twilio.twiml.messaging_response import MessagingResponse  # noqa: PLC0415 - only inbound SMS answers in TwiML

    from gatehouse.webhooks import replay  # noqa: PLC0415 - see ON_FIRST_REQUEST

    answer = MessagingResponse()
    if text:
        answer.message(text)
    return replay.Reply(status=200, content_type=TWIML, body=str(answer))


def _twilio_token(tenant_id: str | None) -> str:
    from gatehouse.tenancy import TenantScope  # noqa: PLC0415 - see ON_FIRST_REQUEST
    from gatehouse.vault import IntegrationNotConnected, Provider, SealRejected, resolve  # noqa: PLC0415

    if tenant_id is None:
        return ""
    try:
        token = resolve(TenantScope(tenant_id), Provider.TWILIO).auth_token
    except (IntegrationNotConnected, SealRejected):
        return ""
    return token.get_secret_value() if token is not None else ""


def _verified_twilio(ref: str) -> tuple[str, FormParams]:
    """The tenant and the form fields of a Twilio request whose signature holds; otherwise the one 401."""
    from gatehouse.webhooks import refs  # noqa: PLC0415 - see ON_FIRST_REQUEST

    event = app.current_event
    require_media_type(event, FORM)
    params = form_params(event, "twilio")
    tenant_id = refs.tenant_for(ref)
    signature = event.headers.get("X-Twilio-Signature")
    url = public_url(event, "twilio")
    token = _twilio_token(tenant_id)
    if tenant_id is None or not signatures.twilio_valid(token, url, params, signature):
        raise SignatureRejected("twilio")
    for_tenant(tenant_id)
    return tenant_id, params


@app.post("/webhooks/twilio/<ref>/sms")
def twilio_inbound_sms(ref: str) -> Response[str]:
    from gatehouse.tenancy import TenantScope  # noqa: PLC0415 - see ON_FIRST_REQUEST
    from gatehouse.webhooks import inbound_sms, replay  # noqa: PLC0415

    tenant_id, params = _verified_twilio(ref)
    sms = inbound_sms.InboundSms(
        message_sid=field(params, "MessageSid"),
        sender=field(params, "From"),
        body=optional_field(params, "Body") or "",
        num_media=_count(optional_field(params, "NumMedia")),
        tenant_number=optional_field(params, "To"),
    )
    scope = TenantScope(tenant_id)
    request_id = _request_id()
    return _reply(
        replay.once(
            f"twilio-sms:{tenant_id}:{sms.message_sid}",
            lambda: _twiml(inbound_sms.receive(scope, sms, request_id=request_id, clock=clock)),
            lambda_context=app.lambda_context,
            # The answer is a text to the person (an opt-out's one confirmation, 47 CFR
            # 64.1200(a)(12)): a repeated delivery answers with no message, so it goes out at
            # most once. Twilio retries only when the first answer was lost; then none goes out,
            # which (a)(12) allows (the confirmation is permitted, never required).
            replayed=lambda _: _twiml(None),
        )
    )


@app.post("/webhooks/twilio/<ref>/message-status")
def twilio_message_status(ref: str) -> Response[str]:
    from gatehouse.webhooks import status  # noqa: PLC0415 - see ON_FIRST_REQUEST

    tenant_id, params = _verified_twilio(ref)
    update = status.from_twilio(
        status.Kind.MESSAGE,
        field(params, "MessageSid"),
        field(params, "MessageStatus"),
        optional_field(params, "ErrorCode"),
        None,
    )
    return _status_reply(tenant_id, update)


@app.post("/webhooks/twilio/<ref>/call-status")
def twilio_call_status(ref: str) -> Response[str]:
    from gatehouse.webhooks import status, voice_wire  # noqa: PLC0415 - see ON_FIRST_REQUEST

    tenant_id, params = _verified_twilio(ref)
    sid, word = field(params, "CallSid"), field(params, "CallStatus")
    update = status.from_twilio(
        status.Kind.CALL,
        sid,
        word,
        optional_field(params, "ErrorCode"),
        optional_field(params, "CallDuration"),
    )
    call_event = voice_wire.from_twilio_call(
        sid=sid,
        status=word,
        to=field(params, "To"),
        sender=optional_field(params, "From") or "",
        direction=optional_field(params, "Direction"),
        answered_by=optional_field(params, "AnsweredBy"),
        duration=update.duration_seconds,
    )
    return _status_reply(tenant_id, update, call_event)


def _status_reply(
    tenant_id: str, update: status.StatusUpdate, call_event: voice_events.CallEvent | None = None
) -> Response[str]:
    from gatehouse.tenancy import TenantScope  # noqa: PLC0415 - see ON_FIRST_REQUEST
    from gatehouse.webhooks import replay, status, voice_events  # noqa: PLC0415

    scope = TenantScope(tenant_id)
    request_id = _request_id()

    def handle() -> replay.Reply:
        if call_event is not None:  # a call's: its record keeps every status and who answered
            voice_events.record_event(scope, call_event, request_id=request_id)
        status.apply(scope, update)
        return replay.Reply(status=200, content_type="application/json", body=RECEIVED)

    key = f"twilio-status:{tenant_id}:{update.provider_ref}:{update.raw_status}"
    return _reply(replay.once(key, handle, lambda_context=app.lambda_context))


def _voice_agent(tenant_id: str | None) -> VoiceAgentCredentials | None:
    from gatehouse.tenancy import TenantScope  # noqa: PLC0415 - see ON_FIRST_REQUEST
    from gatehouse.vault import (  # noqa: PLC0415
        IntegrationNotConnected,
        Provider,
        SealRejected,
        VoiceAgentCredentials,
        resolve,
    )

    if tenant_id is None:
        return None
    try:
        credentials = resolve(TenantScope(tenant_id), Provider.VOICE_AGENT)
    except (IntegrationNotConnected, SealRejected):
        return None
    return credentials if isinstance(credentials, VoiceAgentCredentials) else None


def _voice_signed(agent: VoiceAgentCredentials | None, body: bytes) -> bool:
    """The event's signature, by the tenant's vendor's own scheme and with the tenant's own key."""
    from gatehouse.vault import VoiceVendor  # noqa: PLC0415 - see ON_FIRST_REQUEST

    if agent is None:
        return False
    headers = app.current_event.headers
    if agent.vendor is VoiceVendor.VAPI:
        secret = agent.webhook_secret.get_secret_value() if agent.webhook_secret else ""
        signature = headers.get(signatures.VAPI_SIGNATURE_HEADER)
        return signatures.vapi_valid(secret, body, signature, headers.get(signatures.VAPI_TIMESTAMP_HEADER))
    key = agent.api_key.get_secret_value() if agent.api_key else ""
    return signatures.retell_valid(key, body, headers.get(signatures.RETELL_SIGNATURE_HEADER))


@app.post("/webhooks/voice-agent/<ref>")
def voice_agent_event(ref: str) -> Response[str]:
    from gatehouse.tenancy import TenantScope  # noqa: PLC0415 - see ON_FIRST_REQUEST
    from gatehouse.webhooks import refs, replay, status, voice_events  # noqa: PLC0415

    event = app.current_event
    require_media_type(event, JSON)
    body = raw_body(event, "voice_agent")
    tenant_id = refs.tenant_for(ref)
    agent = _voice_agent(tenant_id)
    if tenant_id is None or agent is None or not _voice_signed(agent, body):
        raise SignatureRejected("voice_agent")
    for_tenant(tenant_id)
    call_event = voice_events.parse(body, agent.vendor)
    if call_event is None:  # signed, well formed, of a kind no record keeps
        return Response(status_code=200, content_type="application/json", body=RECEIVED)
    scope = TenantScope(tenant_id)
    request_id = _request_id()

    def handle() -> replay.Reply:
        voice_events.record_event(scope, call_event, request_id=request_id)
        update = status.from_voice_event(call_event)
        if update is not None:
            status.apply(scope, update)
        return replay.Reply(status=200, content_type="application/json", body=RECEIVED)

    key = f"voice:{tenant_id}:{call_event.call.call_id}:{call_event.once_key}"
    return _reply(replay.once(key, handle, lambda_context=app.lambda_context))


@app.post("/webhooks/stripe")
def stripe_event() -> Response[str]:
    from gatehouse import billing  # noqa: PLC0415 - see ON_FIRST_REQUEST
    from gatehouse.webhooks import replay  # noqa: PLC0415

    event = app.current_event
    require_media_type(event, JSON)
    payload = raw_body(event, "stripe").decode("utf-8", errors="replace")
    secret = get_settings().stripe_webhook_secret.get_secret_value()
    verified = signatures.stripe_event(payload, event.headers.get("Stripe-Signature"), secret)
    if verified is None or not isinstance(verified.get("id"), str):
        raise SignatureRejected("stripe")
    request_id = _request_id()

    def handle() -> replay.Reply:
        outcome = billing.apply_event(verified, request_id=request_id)
        return replay.Reply(status=200, content_type="application/json", body=f'{{"outcome":"{outcome}"}}')

    return _reply(replay.once(f"stripe:{verified['id']}", handle, lambda_context=app.lambda_context))


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 4 else 0


@app.exception_handler(SignatureRejected)
def handle_signature_rejected(error: SignatureRejected) -> Response[Any]:
    # Never the body, the signature or the ref: only which provider's route refused.
    logger.warning("webhook signature rejected", extra={"provider": error.provider})
    metrics.add_metric(name="WebhookSignatureRejected", unit="Count", value=1)
    return Response(
        status_code=401,
        content_type="application/json",
        body=error_body("unauthorized", "signature not valid", _request_id()),
    )


@app.exception_handler(GatehouseError)
def handle_domain_error(error: GatehouseError) -> Response[Any]:
    logger.info("webhook refused", extra={"code": error.code, "status": error.status})
    return Response(
        status_code=error.status,
        content_type="application/json",
        body=error_body(error.code, error.message, _request_id()),
    )


@app.exception_handler(Exception)
def handle_unexpected(error: Exception) -> Response[Any]:
    logger.exception("webhook failed", extra={"error_type": type(error).__name__})
    return Response(
        status_code=500,
        content_type="application/json",
        body=error_body("internal_error", "internal error", _request_id()),
    )


@app.not_found
def handle_not_found(_: Exception) -> Response[Any]:
    return Response(
        status_code=404,
        content_type="application/json",
        body=error_body("not_found", "no such webhook", _request_id()),
    )


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True
)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    path = str(event.get("path") or "/")
    if request_body_size(event) > get_settings().max_body_bytes:
        request_id = str((event.get("requestContext") or {}).get("requestId") or "")
        return with_security_headers(
            proxy_error(PayloadTooLarge("request body is too large"), request_id), path
        )
    return with_security_headers(app.resolve(event, context), path)
