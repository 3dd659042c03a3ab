"""The template's event source mappings (``Type: DynamoDB`` and ``Type: SQS`` events), as typed descriptions.

Owns reading a function's stream and queue events: the source (still unresolved), where a
stream starts, the batch size, the filters (each ``Pattern`` parsed from its JSON text),
partial batch responses, bisection, retries and the on-failure destination.
``local.event_sources`` polls them; nothing here creates or reads anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StreamSource:
    """A ``Type: DynamoDB`` event: the function reads a table's stream through an event source mapping."""

    event_id: str
    stream: Any  # the Stream value (Fn::GetAtt <table>.StreamArn)
    starting_position: str
    batch_size: int
    filters: tuple[dict[str, Any], ...]  # each Filter's Pattern, parsed
    report_failures: bool  # FunctionResponseTypes has ReportBatchItemFailures
    bisect: bool
    max_retries: int  # -1: until the record expires, as Lambda's default
    on_failure: Any  # DestinationConfig.OnFailure.Destination, or None
    enabled: bool = True


@dataclass(frozen=True)
class QueueSource:
    """A ``Type: SQS`` event: the function receives a queue's messages through an event source mapping."""

    event_id: str
    queue: Any  # the Queue value (Fn::GetAtt <queue>.Arn)
    batch_size: int
    filters: tuple[dict[str, Any], ...]
    report_failures: bool
    enabled: bool = True


def _filters(props: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    filters = (props.get("FilterCriteria") or {}).get("Filters") or []
    return tuple(json.loads(f["Pattern"]) for f in filters)


def stream_source(event_id: str, props: dict[str, Any]) -> StreamSource:
    on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    return StreamSource(
        event_id=event_id,
        stream=props["Stream"],
        starting_position=str(props["StartingPosition"]),
        batch_size=int(props.get("BatchSize", 100)),
        filters=_filters(props),
        report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        bisect=bool(props.get("BisectBatchOnFunctionError", False)),
        max_retries=int(props.get("MaximumRetryAttempts", -1)),
        on_failure=on_failure,
        enabled=props.get("Enabled", True) is not False,
    )


def queue_source(event_id: str, props: dict[str, Any]) -> QueueSource:
    return QueueSource(
        event_id=event_id,
        queue=props["Queue"],
        batch_size=int(props.get("BatchSize", 10)),
        filters=_filters(props),
        report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        enabled=props.get("Enabled", True) is not False,
    )
