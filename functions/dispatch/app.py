"""Lambda entries of the dispatch workflow, and the integration check (both may open provider credentials).

Each entry parses its input (ids only: a tenant, a campaign, a run, contact ids), calls
one function of ``gatehouse.dispatch`` (or the check in ``gatehouse.providers``) and
returns its result. A gate that cannot admit raises, and the state machine's Catch turns
that into a blocked outcome; nothing a Catch leads to ever sends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from gatehouse import compliance, freshness
from gatehouse.clock import Clock, utc_now
from gatehouse.config import DispatchSettings, require
from gatehouse.observability import for_tenant, logger, metrics, tracer

if TYPE_CHECKING:
    from gatehouse.dispatch import run as runs

# Checked at cold start: a variable the template gives this function and it lacks fails the import.
SETTINGS = require(DispatchSettings)
# SnapStart: every restored environment drops what init cached and reseeds (gatehouse.freshness).
freshness.register_with_runtime()
# The domain each entry calls loads at its first request (five functions share this module, each
# calling one entry); under SnapStart, before the snapshot instead, with the compliance data.
DOMAIN = (
    "gatehouse.dispatch.run",
    "gatehouse.dispatch.settle",
    "gatehouse.dispatch.batch",
    "gatehouse.contacts.checks",
)
freshness.load_before_snapshot(*DOMAIN, "gatehouse.tenancy.scope", compliance.load_reference_data)

# The gates' "now"; the local runtime may pin it (``LocalRuntime.set_clock``) to check decisions.
clock: Clock = utc_now


def _keys(run: runs.RunInput) -> None:
    for_tenant(run.tenant_id)
    logger.thread_safe_append_keys(campaign_id=run.campaign_id, run_id=run.run_id)


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def tenant_gate(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Gate 1 for the whole run: an active tenant and a running campaign, or it raises (blocked)."""
    from gatehouse.dispatch import run as runs  # noqa: PLC0415 - see DOMAIN

    run = runs.RunInput.model_validate(event)
    _keys(run)
    return runs.check_run(run).model_dump()


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def plan_page(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from gatehouse.dispatch import run as runs  # noqa: PLC0415 - see DOMAIN

    page = runs.PageInput.model_validate(event)
    _keys(page)
    return runs.plan_page(page, clock=clock).model_dump()


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def send_batch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Gates 1-7 for one batch of up to 500 contacts; returns counts only (no contact data leaves)."""
    from gatehouse.contacts import checks  # noqa: PLC0415 - see DOMAIN
    from gatehouse.dispatch import run as runs  # noqa: PLC0415
    from gatehouse.dispatch.batch import run_batch  # noqa: PLC0415
    from gatehouse.tenancy import TenantScope  # noqa: PLC0415

    batch = runs.BatchInput.model_validate(event)
    _keys(batch)
    now = clock()
    result = run_batch(
        TenantScope(batch.tenant_id),
        batch.campaign_id,
        batch.run_id,
        batch.contact_ids,
        now=now,
        suppressed=checks.suppressed,
        # The re-scrub stamps with the gates' own "now", so a pinned clock dates both alike.
        scrub=lambda scope, numbers: checks.scrub(scope, numbers, clock=lambda: now),
        contiguous=batch.contiguous,
    )
    counts = {
        "sent": len(result.sent),
        "send_failed": len(result.failed),
        "blocked": len(result.blocked),
        "deferred": len(result.deferred),
        "skipped": len(result.skipped) + len(result.settled),
    }
    logger.info("batch dispatched", extra={"counts": counts, "paused": result.paused})
    return {"counts": counts, "paused": result.paused}


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def settle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The run's bookkeeping, never a send: a failed batch's contacts, or how the run ended."""
    from gatehouse.dispatch import run as runs  # noqa: PLC0415 - see DOMAIN
    from gatehouse.dispatch import settle as bookkeeping  # noqa: PLC0415

    if event.get("settle") == "batch":
        batch = runs.BatchInput.model_validate(event)
        _keys(batch)
        return {"counts": bookkeeping.settle_batch(batch, clock=clock)}
    run = runs.RunInput.model_validate(event)
    _keys(run)
    ended = bookkeeping.finish_run(run, blocked=event.get("settle") == "blocked", clock=clock)
    return ended.model_dump(mode="json")


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def check_integration(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Test a tenant's stored provider credentials, ask its DNC provider about numbers, or send a
    member's claimed reply, for the API.

    The API may not decrypt credentials itself; requests name the tenant, never a secret.
    """
    from gatehouse.providers.checks import CheckRequest, run_check  # noqa: PLC0415 - off the gates' cold path
    from gatehouse.tenancy import TenantScope  # noqa: PLC0415

    if event.get("operation") == "dnc_lookup":
        from gatehouse.dnc.lookups import DncLookupRequest, lookup_here  # noqa: PLC0415

        lookup = DncLookupRequest.model_validate(event)
        for_tenant(lookup.tenant_id)
        logger.thread_safe_append_keys(provider="dnc")
        return lookup_here(TenantScope(lookup.tenant_id), lookup.numbers, lookup.at).model_dump(mode="json")

    if event.get("operation") == "reply_send":
        from gatehouse.conversations.sending import ReplySendRequest, send_here  # noqa: PLC0415

        reply = ReplySendRequest.model_validate(event)
        for_tenant(reply.tenant_id)
        logger.thread_safe_append_keys(provider="twilio")
        return send_here(TenantScope(reply.tenant_id), reply).model_dump(mode="json")

    request = CheckRequest.model_validate(event)
    for_tenant(request.tenant_id)
    logger.thread_safe_append_keys(provider=request.provider.value)
    result = run_check(TenantScope(request.tenant_id), request.provider)
    return result.model_dump(mode="json")
