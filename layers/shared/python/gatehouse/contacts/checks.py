"""The checks intake runs on numbers, bound to their real sources: the suppression list and the DNC scrub.

Kept apart so the importer and the scrub job take them as arguments (tests give them
lists of their own) while the functions use these.
"""

from __future__ import annotations

import json

from botocore.exceptions import BotoCoreError, ClientError

from gatehouse.clients import aws_client
from gatehouse.config import get_settings
from gatehouse.contacts.records import DncStamp
from gatehouse.observability import logger, metrics
from gatehouse.suppression import suppressed as _suppressed
from gatehouse.tenancy import TenantScope


def suppressed(scope: TenantScope, numbers: list[str]) -> set[str]:
    return _suppressed(scope, numbers)


def scrub(scope: TenantScope, numbers: list[str]) -> dict[str, DncStamp]:
    """No scrub source is wired yet: every number stays unscrubbed, hence not dialable."""
    del scope, numbers
    return {}


def request_scrub(scope: TenantScope, contact_ids: list[str]) -> bool:
    """Ask the intake function to scrub these contacts (asynchronously: Lambda retries, then its DLQ).

    False when the request could not be queued: the contacts then stay unscrubbed, so not
    dialable, until the scheduled re-scrub reaches them; the caller's change stands.
    """
    function = get_settings().intake_function
    if not function:
        logger.warning("no intake function is configured; contacts stay unscrubbed")
        return False
    try:
        aws_client("lambda").invoke(
            FunctionName=function,
            InvocationType="Event",
            Payload=json.dumps({"job": "scrub", "tenant_id": scope.tenant_id, "contact_ids": contact_ids}),
        )
    except (ClientError, BotoCoreError) as exc:
        logger.warning("scrub could not be queued", extra={"error": type(exc).__name__})
        metrics.add_metric(name="ScrubNotQueued", unit="Count", value=1)
        return False
    return True
