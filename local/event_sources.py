"""Event source mappings: DynamoDB streams and SQS queues read and handed to their functions, as Lambda does.

A ``StreamPoller`` reads one table's stream from DynamoDB Local (its ``dynamodbstreams``
API), starting where the mapping says (``LATEST``: what is written after the poller
starts), keeps the records its filters pass (``local.filters``; the others are consumed
unseen) and invokes the function with ``{"Records": [...]}`` in Lambda's shape, in order,
at most ``BatchSize`` at a time. A batch whose function raised is halved when the mapping
bisects, else retried; a batch that reported ``batchItemFailures`` is retried from its
first failed record (the records before it are done, as Lambda checkpoints); after
``MaximumRetryAttempts`` the rest of the batch is dropped and its place in the stream sent
to the on-failure queue (Lambda's ``DDBStreamBatchInfo`` document). ``MaximumRecordAgeInSeconds``
is not emulated: records here are never hours old.

A ``QueuePoller`` receives an SQS queue's messages from moto (which keeps delays,
visibility timeouts and redrive to a dead-letter queue), invokes the function with Lambda's
SQS event, and deletes the messages that succeeded: none when the function raised, all but
the reported ``batchItemFailures`` otherwise. Messages its filters do not pass are deleted
unseen, as Lambda does.

``poll()`` makes one pass and returns how many records or messages it read; the runtime
drains until a pass reads nothing. Never decides anything about what the functions do.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from local.event_source_specs import QueueSource, StreamSource
from local.filters import passes, sqs_view
from local.functions import LocalFunction
from local.intrinsics import REGION

log = logging.getLogger("local.event_sources")
_READ_LIMIT = 1000  # records per GetRecords call, DynamoDB's own maximum
# An iterator that expired, or that points where DynamoDB Local no longer reads: resume after the last read.
_LOST_PLACE = frozenset({"ExpiredIteratorException", "TrimmedDataAccessException"})


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None
    pending: deque[dict[str, Any]] = field(default_factory=deque)
    attempts: int = 0
    limit: int = 0  # the batch size now: smaller while a failing batch is bisected
    last: str | None = None  # the sequence number of the last record read


class StreamPoller:
    """One ``Type: DynamoDB`` event of one function, reading its table's stream."""

    def __init__(
        self, function: LocalFunction, source: StreamSource, stream_arn: str, streams: Any, sqs: Any
    ) -> None:
        self.function = function
        self.source = source
        self.stream_arn = stream_arn
        self._streams = streams
        self._sqs = sqs
        self._on_failure_url: str | None = None
        self._shards: dict[str, _Shard] = {}
        self.dropped: list[dict[str, Any]] = []  # the on-failure documents sent, oldest first
        self._discover(self.source.starting_position)

    def set_on_failure_queue(self, url: str | None) -> None:
        self._on_failure_url = url

    def poll(self) -> int:
        """Read what is new on every shard and hand it over; how many records were read."""
        self._discover("TRIM_HORIZON")  # shards that opened since (their parents are ours)
        read = 0
        for shard in list(self._shards.values()):
            read += self._read(shard)
            self._deliver(shard)
        return read

    def _discover(self, position: str) -> None:
        description = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id in self._shards:
                continue
            found = _Shard(shard_id, self._iterator(shard_id, None), limit=self.source.batch_size)
            if position == "LATEST":
                # DynamoDB Local numbers records across all its tables, and a LATEST iterator taken
                # on one stream is refused once another table has written (TrimmedDataAccess): read
                # from the start and let what was already there go, which is what LATEST means.
                self._skip_existing(found)
            self._shards[shard_id] = found

    def _iterator(self, shard_id: str, after: str | None) -> str:
        request: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard_id}
        if after is None:
            request["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            request.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
        return str(self._streams.get_shard_iterator(**request)["ShardIterator"])

    def _skip_existing(self, shard: _Shard) -> None:
        while shard.iterator is not None:
            page = self._streams.get_records(ShardIterator=shard.iterator, Limit=_READ_LIMIT)
            shard.iterator = page.get("NextShardIterator")
            if not page.get("Records"):
                return
            shard.last = page["Records"][-1]["dynamodb"]["SequenceNumber"]

    def _read(self, shard: _Shard) -> int:
        read = 0
        while shard.iterator is not None:
            try:
                page = self._streams.get_records(ShardIterator=shard.iterator, Limit=_READ_LIMIT)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") not in _LOST_PLACE:
                    raise
                shard.iterator = self._iterator(shard.shard_id, shard.last)
                continue
            records = page.get("Records", [])
            shard.iterator = page.get("NextShardIterator")
            if records:
                shard.last = records[-1]["dynamodb"]["SequenceNumber"]
            for record in records:
                event = self._lambda_record(record)
                if passes(self.source.filters, event):
                    shard.pending.append(event)
            read += len(records)
            if not records:
                break
        return read

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        stream = dict(record["dynamodb"])
        created = stream.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):  # boto3 parses it; Lambda sends epoch seconds
            stream["ApproximateCreationDateTime"] = float(int(created.timestamp()))
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": record.get("awsRegion", REGION),
            "dynamodb": stream,
            "eventSourceARN": self.stream_arn,
        }

    def _deliver(self, shard: _Shard) -> None:
        while shard.pending:
            batch = [shard.pending[i] for i in range(min(shard.limit, len(shard.pending)))]
            done = self._invoke(batch)
            for _ in range(done):
                shard.pending.popleft()
            if done == len(batch):
                shard.attempts, shard.limit = 0, self.source.batch_size
                continue
            if done == -1 and self.source.bisect and len(batch) > 1:
                shard.limit = max(1, len(batch) // 2)  # halving counts as no retry, as in Lambda
                continue
            shard.attempts += 1
            if self.source.max_retries < 0:
                return  # retried until it succeeds: on the next pass, not in a tight loop
            if self.source.max_retries < shard.attempts:
                failed = batch[max(done, 0) :]
                for _ in failed:
                    shard.pending.popleft()
                self._drop(shard, failed)
                shard.attempts, shard.limit = 0, self.source.batch_size

    def _invoke(self, batch: list[dict[str, Any]]) -> int:
        """How many records at the front of ``batch`` are done; -1 when the function raised."""
        outcome = self.function.invoke({"Records": batch})
        if outcome.failed:
            log.warning("%s: a stream batch failed: %s", self.function.spec.logical_id, outcome.payload)
            return -1
        if not self.source.report_failures:
            return len(batch)
        failures = (outcome.payload or {}).get("batchItemFailures") or []
        numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
        reported = [f.get("itemIdentifier") for f in failures if isinstance(f, dict)]
        if len(reported) != len(failures) or any(n not in numbers for n in reported):
            return -1  # Lambda treats an unreadable report as the whole batch failing
        return min((numbers.index(n) for n in reported), default=len(batch))

    def _drop(self, shard: _Shard, failed: list[dict[str, Any]]) -> None:
        first, last = failed[0]["dynamodb"], failed[-1]["dynamodb"]
        document = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function.arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self.source.max_retries + 1,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": first.get("ApproximateCreationDateTime"),
                "approximateArrivalOfLastRecord": last.get("ApproximateCreationDateTime"),
                "batchSize": len(failed),
                "streamArn": self.stream_arn,
            },
        }
        log.warning(
            "%s: %d stream records dropped after their retries", self.function.spec.logical_id, len(failed)
        )
        self.dropped.append(document)
        if self._on_failure_url is not None:
            self._sqs.send_message(QueueUrl=self._on_failure_url, MessageBody=json.dumps(document))


class QueuePoller:
    """One ``Type: SQS`` event of one function, receiving its queue's messages."""

    def __init__(
        self, function: LocalFunction, source: QueueSource, queue_url: str, queue_arn: str, sqs: Any
    ) -> None:
        self.function = function
        self.source = source
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self._sqs = sqs

    def poll(self) -> int:
        read = 0
        seen: set[str] = set()  # a message back within one pass (no visibility timeout) waits for the next
        while True:
            messages = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(self.source.batch_size, 10),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not messages or all(m["MessageId"] in seen for m in messages):
                return read
            seen.update(m["MessageId"] for m in messages)
            read += len(messages)
            records = [self._lambda_record(m) for m in messages]
            wanted = [r for r in records if passes(self.source.filters, sqs_view(r))]
            unseen = [r for r in records if r not in wanted]
            self._delete(unseen)
            if wanted:
                self._delete(self._succeeded(wanted))

    def _succeeded(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        outcome = self.function.invoke({"Records": records})
        if outcome.failed:
            log.warning("%s: an SQS batch failed: %s", self.function.spec.logical_id, outcome.payload)
            return []
        if not self.source.report_failures:
            return records
        failures = (outcome.payload or {}).get("batchItemFailures") or []
        failed = {f.get("itemIdentifier") for f in failures if isinstance(f, dict)}
        ids = {r["messageId"] for r in records}
        if len(failed) != len(failures) or not failed <= ids:
            return []  # an unreadable report fails the whole batch
        return [r for r in records if r["messageId"] not in failed]

    def _delete(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"])

    def _lambda_record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: _message_attribute(value)
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": REGION,
        }


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """SQS's ``StringValue``/``DataType`` as Lambda spells them in the event (camel case)."""
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": value.get("BinaryListValues", []),
        "dataType": value.get("DataType", "String"),
    }


class EventSources:
    """Every event source mapping of the deployment, polled together (one pass at a time)."""

    def __init__(self, pollers: Iterable[StreamPoller | QueuePoller]) -> None:
        self.pollers = list(pollers)
        self._pass = threading.Lock()

    def poll_once(self) -> int:
        """One pass over every mapping; how many records and messages it read."""
        with self._pass:
            return sum(poller.poll() for poller in self.pollers)

    def drain(self, timeout: float = 30.0) -> int:
        """Pass after pass until one reads nothing (or ``timeout`` passes); how many were read in all."""
        deadline = time.monotonic() + timeout
        total = 0
        while True:
            read = self.poll_once()
            total += read
            if read == 0:
                return total
            if time.monotonic() > deadline:
                raise TimeoutError(f"event sources still busy after {timeout} s")


def mappings(
    functions: Iterable[LocalFunction], resolver: Any, queues: dict[str, str], streams: Any, sqs: Any
) -> EventSources:
    """A poller for every enabled DynamoDB and SQS event of the served functions.

    ``queues`` is the deployment's queue URLs by logical id (their ARNs are the resolver's);
    ``streams`` a ``dynamodbstreams`` client on DynamoDB Local, ``sqs`` one on moto.
    """
    url_of = {str(resolver.attribute(logical_id, "Arn")): url for logical_id, url in queues.items()}
    pollers: list[StreamPoller | QueuePoller] = []
    for function in functions:
        for stream in (s for s in function.spec.streams if s.enabled):
            poller = StreamPoller(function, stream, str(resolver.resolve(stream.stream)), streams, sqs)
            if stream.on_failure is not None:
                poller.set_on_failure_queue(url_of[str(resolver.resolve(stream.on_failure))])
            pollers.append(poller)
        for queue in (q for q in function.spec.queues if q.enabled):
            arn = str(resolver.resolve(queue.queue))
            pollers.append(QueuePoller(function, queue, url_of[arn], arn, sqs))
    return EventSources(pollers)
