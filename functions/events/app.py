"""Events Lambda entry: the audit table's and the main table's streams, as occurrences to the consumers.

Each stream record (already filtered by the event source mapping to the writes worth
hearing of) is read into at most one ``Occurrence`` (``gatehouse.events.stream``) and
handed to every consumer in ``CONSUMERS``, in order (``gatehouse.events.consumers``).
A record whose consumer raised is reported in ``batchItemFailures``, so Lambda retries
from it; a record that says nothing (or cannot be read) succeeds with nothing handed on.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from gatehouse import freshness
from gatehouse.config import EventsSettings, require
from gatehouse.events import consumers
from gatehouse.observability import for_tenant, logger, metrics, tracer

# Checked at cold start: a variable the template gives this function and it lacks fails the import.
SETTINGS = require(EventsSettings)
# SnapStart: every restored environment drops what init cached and reseeds (gatehouse.freshness).
freshness.register_with_runtime()
# Reading a record (and the audit entry format it checks) and the consumers load at the first
# batch; under SnapStart, before the snapshot instead.
freshness.load_before_snapshot("gatehouse.events.stream", "gatehouse.notifications", "gatehouse.endpoints")

# Who hears of each occurrence, in order: dotted names imported on first use (a name that
# does not import fails the batch, which is retried). Tests may append a callable.
CONSUMERS: list[str | consumers.Consumer] = [
    "gatehouse.notifications.on_occurrence",
    "gatehouse.endpoints.on_occurrence",
]

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    from gatehouse.events import stream  # noqa: PLC0415 - see load_before_snapshot above

    for occurrence in stream.occurrences(record.raw_event):
        for_tenant(occurrence.tenant_id)
        consumers.hand_over(occurrence, CONSUMERS)
        metrics.add_metric(name="OccurrencesHandedOver", unit="Count", value=1)


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
