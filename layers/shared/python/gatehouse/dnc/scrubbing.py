"""Scrubbing numbers against the tenant's Do-Not-Call source: one stamp per number, never an exception.

The source is the tenant's DNC integration: a ``registry_ref`` (settings, read without
decrypting anything) means the tenant's loaded registry files; an API key means the
tenant's commercial provider, asked through the deployment's provider adapters (live
HTTPS, or the local runtime's sandbox) with credentials resolved at the moment of the
call, which only functions allowed to decrypt can do: in the API (the one function
configured with the integration check function) the call is delegated to that function.
No integration means ``error`` (``no_provider``) unless an owner acknowledged running
without one (``unscrubbed``).

Every answer names the version of the data it relied on: the area code's last registry
load, or the provider's ``as_of``. A provider reply with no ``as_of`` is no answer (a
provider that looks up in real time dates its reply at the lookup; we never assume it),
nor is one dated more than ``AS_OF_SKEW`` ahead of our clock: both give ``error`` stamps,
a source failure. Answers then carry the state lists the provider consulted and every state
list the tenant loaded (``gatehouse.dnc.state_lists``), each with its own version.

It fails closed: a provider, vault or storage problem gives the numbers it touched an
``error`` stamp and counts a metric; only a programming error raises.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from gatehouse.clock import Clock, utc_now
from gatehouse.config import get_settings
from gatehouse.dnc import acknowledgment, lookups, registry, state_lists
from gatehouse.dnc.stamps import (
    ScrubReason,
    ScrubSource,
    ScrubStamp,
    ScrubStatus,
    StateListAnswer,
    answered,
    error,
)
from gatehouse.observability import logger, metrics
from gatehouse.providers.base import DNC_LOOKUP_MAX, DncReply
from gatehouse.suppression.keys import SuppressionUnavailable
from gatehouse.suppression.numbers import is_e164
from gatehouse.tenancy import TenantScope

# Storage or the number-hash key (KMS) failing: the registry cannot answer.
_STORE_ERRORS = (ClientError, BotoCoreError, PynamoDBException, SuppressionUnavailable)
# A provider's clock may run a little ahead of ours; a data version further ahead than this is
# a wrong date, and a wrong date cannot show the data is at most 31 days old.
AS_OF_SKEW: Final = timedelta(minutes=5)


def scrub(scope: TenantScope, numbers: list[str], *, clock: Clock = utc_now) -> dict[str, ScrubStamp]:
    """A stamp for each distinct number given (E.164; anything else is ``error`` ``invalid_number``)."""
    now = clock()
    stamps: dict[str, ScrubStamp] = {}
    valid: list[str] = []
    for number in dict.fromkeys(numbers):
        if isinstance(number, str) and is_e164(number):
            valid.append(number)
        else:
            stamps[number] = error(ScrubReason.INVALID_NUMBER, now)
    if valid:
        stamps.update(_with_state_lists(scope, _scrub_valid(scope, valid, now), now))
    _count(scope, stamps)
    return stamps


def _scrub_valid(scope: TenantScope, numbers: list[str], now: datetime) -> dict[str, ScrubStamp]:
    try:
        integration = acknowledgment.provider_connected(scope)
        if integration is None:
            return _without_provider(scope, numbers, now)
        registry_ref = integration.settings.get("registry_ref")
        if isinstance(registry_ref, str):
            return registry.lookup(scope, registry_ref, numbers, now=now)
    except _STORE_ERRORS as exc:
        logger.warning("DNC scrub could not read its source", extra={"error": type(exc).__name__})
        return _all(numbers, lambda: error(ScrubReason.REGISTRY_UNAVAILABLE, now, ScrubSource.REGISTRY))
    return _over_provider(scope, numbers, now)


def _with_state_lists(
    scope: TenantScope, stamps: dict[str, ScrubStamp], now: datetime
) -> dict[str, ScrubStamp]:
    """Answers with the tenant's loaded state lists added (a list and the provider both: listed if either)."""
    numbers = [n for n, s in stamps.items() if s.status in {ScrubStatus.CLEAR, ScrubStatus.LISTED}]
    if not numbers:
        return stamps
    try:
        loaded = state_lists.lookup(scope, numbers)
    except _STORE_ERRORS as exc:
        logger.warning("DNC scrub could not read the state lists", extra={"error": type(exc).__name__})
        failed = error(ScrubReason.REGISTRY_UNAVAILABLE, now, ScrubSource.REGISTRY)
        return {n: failed if n in numbers else s for n, s in stamps.items()}
    for number in numbers:
        merged = dict(stamps[number].state_lists)
        for state, own in loaded.get(number, {}).items():
            other = merged.get(state)
            merged[state] = own
            if other is not None:
                merged[state] = StateListAnswer(
                    listed=own.listed or other.listed, as_of=max(own.as_of, other.as_of)
                )
        stamps[number] = stamps[number].model_copy(update={"state_lists": merged})
    return stamps


def _without_provider(scope: TenantScope, numbers: list[str], now: datetime) -> dict[str, ScrubStamp]:
    if acknowledgment.current(scope) is None:
        return _all(numbers, lambda: error(ScrubReason.NO_PROVIDER, now))
    stamp = ScrubStamp(
        status=ScrubStatus.UNSCRUBBED,
        checked_at=now,
        source=ScrubSource.NONE,
        reason=ScrubReason.ACKNOWLEDGED_NO_PROVIDER,
    )
    return _all(numbers, lambda: stamp)


def _over_provider(scope: TenantScope, numbers: list[str], now: datetime) -> dict[str, ScrubStamp]:
    settings = get_settings()
    source = ScrubSource.SANDBOX if settings.provider_mode == "sandbox" else ScrubSource.HTTPS
    # Only the API is configured with the check function, and it is the one that may not decrypt.
    ask = lookups.ask_check_function if settings.integration_check_function else lookups.lookup_here
    stamps: dict[str, ScrubStamp] = {}
    for start in range(0, len(numbers), DNC_LOOKUP_MAX):
        chunk = numbers[start : start + DNC_LOOKUP_MAX]
        reply = ask(scope, chunk, now)
        if reply.failure == ScrubReason.NO_PROVIDER.value:
            # Revoked since we looked: the tenant is without a provider for the whole scrub.
            return _without_provider(scope, numbers, now)
        undated = _undated(reply, now)
        if undated is not None:
            logger.warning("DNC provider reply cannot be dated", extra={"reason": undated.value})
        for number in chunk:
            if number in reply.listed and undated is not None:
                stamps[number] = error(undated, now, source)
            elif number in reply.listed and (version := reply.version_of(number)) is not None:
                lists = {
                    s: StateListAnswer(listed=reply.listed[number], as_of=at)
                    for s, at in reply.state_lists.items()
                }
                stamps[number] = answered(reply.listed[number], now, source, as_of=version, state_lists=lists)
            elif reply.failure is not None:
                stamps[number] = error(ScrubReason(reply.failure), now, source)
            else:
                stamps[number] = error(ScrubReason.NOT_IN_REPLY, now, source)
    return stamps


def _undated(reply: DncReply, now: datetime) -> ScrubReason | None:
    """Why the reply's answers cannot be dated (None: they can): no as-of date, or one ahead of us."""
    if not reply.listed:
        return None
    if reply.as_of is None:
        return ScrubReason.PROVIDER_UNDATED
    versions = [reply.as_of, *reply.as_of_by_area_code.values(), *reply.state_lists.values()]
    if max(versions) > now + AS_OF_SKEW:
        return ScrubReason.PROVIDER_DATED_AHEAD
    return None


def _all(numbers: list[str], stamp: Callable[[], ScrubStamp]) -> dict[str, ScrubStamp]:
    return {number: stamp() for number in numbers}


def _count(scope: TenantScope, stamps: dict[str, ScrubStamp]) -> None:
    errors = sum(1 for s in stamps.values() if s.status is ScrubStatus.ERROR)
    if errors:
        metrics.add_metric(name="DncScrubErrors", unit="Count", value=errors)
        logger.info(
            "DNC scrub left numbers unscrubbed", extra={"tenant_id": scope.tenant_id, "errors": errors}
        )
    metrics.add_metric(name="DncNumbersScrubbed", unit="Count", value=len(stamps))
