"""Event deliveries Lambda: the delivery queue's consumer, one signed attempt per message.

Each SQS message is one delivery (``gatehouse.endpoints.queue.Delivery``: ids, type,
attempt and the body, never a secret). A message handled (delivered, queued again for
its retry, given up to the dead-letter queue, or dropped) succeeds; one that raised (the
tables, KMS or SQS did not answer) is reported in ``batchItemFailures`` alone, so SQS
redelivers it and the redrive policy parks it in the dead-letter queue if it keeps
failing. A message that does not parse fails the same way and ends there too.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from gatehouse import freshness
from gatehouse.config import EventDeliveriesSettings, require
from gatehouse.observability import for_tenant, logger, metrics, tracer

# Checked at cold start: a variable the template gives this function and it lacks fails the import.
SETTINGS = require(EventDeliveriesSettings)
# SnapStart: every restored environment drops what init cached and reseeds (gatehouse.freshness).
freshness.register_with_runtime()
# Each delivery's domain loads at the first message; under SnapStart, before the snapshot instead.
freshness.load_before_snapshot("gatehouse.endpoints.delivery", "gatehouse.endpoints.queue")

processor = BatchProcessor(event_type=EventType.SQS)


def handle(record: SQSRecord) -> str:
    from gatehouse.endpoints import delivery, queue  # noqa: PLC0415 - see load_before_snapshot above

    message = queue.parse(record.body)
    for_tenant(message.tenant_id)
    return delivery.deliver(message).value


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    answer = process_partial_response(
        event=event, record_handler=handle, processor=processor, context=context
    )
    return dict(answer)
