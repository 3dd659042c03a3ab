"""Logger, tracer and metrics shared by every function, and the tenant each invocation works for.

Structured JSON logs scrub secrets and personal data before they are written: keys that
name a secret or a person's data are masked, and anything shaped like a Gatehouse key or
token, a phone number or an e-mail address is masked wherever it appears. Metrics go
out as CloudWatch EMF in the ``Gatehouse`` namespace.

``for_tenant`` (or ``tenant_bound`` for one step of platform work) labels everything
that follows with the tenant id, never with anything about a person: a log key, a trace
annotation and a key of each EMF record, so an operator can follow one tenant's trouble.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import LogRecord
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.types import CloudWatchEMFOutput

from gatehouse.untraced import UntracedProvider, tracing_disabled

SERVICE = "gatehouse"
NAMESPACE = "Gatehouse"
TENANT_KEY = "tenant_id"
MASK = "*****"
_SECRET_KEYS = re.compile(
    r"(authorization|api[_-]?key|token|secret|password|cookie|auth[_-]?token|signature)", re.IGNORECASE
)
# Keys whose value is a person's data or what they wrote, whatever its shape.
_PERSONAL_KEYS = re.compile(
    r"^(phones?|numbers?|e-?mail|first_name|last_name|body|text|sender|from|to|wording)$",
    re.IGNORECASE,
)
_SECRET_VALUES = (
    # API keys, and the one-time tokens of invitations, sign-in links and sessions.
    re.compile(r"ghk_[a-z2-7]{26}_[A-Za-z0-9_-]{43}|gh[ims]_[A-Za-z0-9_-]{43}"),
    # E-mail addresses.
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),
    # Phone numbers: E.164 (+14155550132), and the US ways of writing one: (415) 555-0132,
    # 415-555-0132, 415.555.0132, 415 555 0132, +1 415 555 0132, 1-415-555-0132.
    re.compile(r"\+[1-9]\d{7,14}\b"),
    re.compile(r"(?<![\w.+-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}\b"),
)


def scrub(value: Any) -> Any:
    """A copy of ``value`` with keys naming a secret or a person's data, and key-, phone- or
    e-mail-shaped text, masked."""
    if isinstance(value, dict):
        return {k: (MASK if _masked_key(str(k)) else scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        for pattern in _SECRET_VALUES:
            value = pattern.sub(MASK, value)
        return value
    return value


def _masked_key(key: str) -> bool:
    return bool(_SECRET_KEYS.search(key) or _PERSONAL_KEYS.match(key))


class ScrubbingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: LogRecord) -> str:
        return super().serialize(scrub(log))


# Libraries whose DEBUG records carry request data verbatim: Powertools' resolver logs
# each route's arguments (credentials, e-mail addresses, sign-in tokens), botocore and
# urllib3 log request bodies (an e-mail with a sign-in link, say). Capped at INFO, so no
# log level setting (POWERTOOLS_LOG_LEVEL, POWERTOOLS_DEBUG, a root logger at DEBUG)
# can let those records through.
VERBATIM_DEBUG_LOGGERS: Final = ("aws_lambda_powertools.event_handler", "botocore", "boto3", "urllib3")


def cap_library_debug_logs() -> None:
    for name in VERBATIM_DEBUG_LOGGERS:
        library = logging.getLogger(name)
        if library.level < logging.INFO:
            library.setLevel(logging.INFO)


class TenantLabelledEmf(AmazonCloudWatchEMFProvider):
    """EMF records that carry, as metadata, the tenant of the invocation that writes them.

    Metadata, not a dimension: every dimension value is a custom metric CloudWatch bills
    each month (tenants x figures x reasons), and the alarms watch platform-wide figures.
    Metadata is a key of the same log record, so Logs Insights finds one tenant's figures
    (``filter tenant_id = "tnt_..."``) and a metric filter can follow a tenant under watch.
    The tenant is read when the record is written, from the invocation's own keys.
    """

    def serialize_metric_set(
        self,
        metrics: dict[str, Any] | None = None,
        dimensions: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> CloudWatchEMFOutput:
        tenant_id = current_tenant()
        if tenant_id is not None:
            metadata = {**(self.metadata_set if metadata is None else metadata), TENANT_KEY: tenant_id}
        return super().serialize_metric_set(metrics=metrics, dimensions=dimensions, metadata=metadata)


def _metrics() -> Metrics:
    shared = Metrics(service=SERVICE, namespace=NAMESPACE)  # Powertools shares its sets between instances
    provider = TenantLabelledEmf(
        service=SERVICE,
        namespace=NAMESPACE,
        metric_set=shared.metric_set,
        dimension_set=shared.dimension_set,
        metadata_set=shared.metadata_set,
        default_dimensions=shared.default_dimensions,
    )
    return Metrics(service=SERVICE, namespace=NAMESPACE, provider=provider)


cap_library_debug_logs()
logger = Logger(service=SERVICE, logger_formatter=ScrubbingFormatter())
# Where nothing traces, X-Ray's SDK is never imported (see gatehouse.untraced).
tracer = (
    Tracer(service=SERVICE, disabled=True, provider=UntracedProvider())
    if tracing_disabled()
    else Tracer(service=SERVICE)
)
metrics = _metrics()


def current_tenant() -> str | None:
    """The tenant the running invocation works for, as ``for_tenant`` set it, or None."""
    found = logger.thread_safe_get_current_keys().get(TENANT_KEY)
    return found if isinstance(found, str) else None


def for_tenant(tenant_id: str) -> None:
    """Label the rest of the invocation with ``tenant_id``: log lines, the trace, metrics.

    Only with a tenant already established (an authenticated caller, a verified webhook,
    a workflow's or a queued job's own input). The keys are the invocation's own (thread
    safe): the local runtime serves several functions in one process at once, and each
    handler's Logger decorator clears them when the next invocation starts.
    """
    logger.thread_safe_append_keys(**{TENANT_KEY: tenant_id})
    tracer.put_annotation(key=TENANT_KEY, value=tenant_id)


@contextmanager
def tenant_bound(tenant_id: str) -> Iterator[None]:
    """``for_tenant`` for one tenant's step of platform work (a scheduled job), in its own trace subsegment.

    The step's metrics are written before it ends, so each record names its tenant; what
    the job then counts over all tenants is the platform's and carries none.
    """
    with tracer.provider.in_subsegment("## tenant"):
        for_tenant(tenant_id)
        try:
            yield
        finally:
            if metrics.metric_set:
                metrics.flush_metrics()
            logger.thread_safe_remove_keys([TENANT_KEY])
