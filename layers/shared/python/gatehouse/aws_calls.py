"""Counting of AWS round trips by service and operation, for tests, benches and the local runtime.

This module owns one read-only tap on botocore's event system and the counters that
read it. It never changes a request, a response or a retry decision: the tap only
records the event name and returns ``None``, so botocore sends exactly what it would
have sent without it.

What is counted: every ``before-send`` event, i.e. every HTTP attempt a botocore client
makes (a throttled call that botocore retries once counts twice; a response supplied by
an earlier ``before-send`` handler, as moto does, still counts). ``before-call`` would
fire once per API call and hide retries; ``after-call`` would miss calls that failed.
The service is the hyphenated service id botocore puts in the event name ("dynamodb",
"kms", "sts", "sfn" for Step Functions).

How the tap reaches clients (each client holds its own copy of its session's emitter,
so a handler added to a session later never reaches the clients it already built):
- :func:`install` runs once per process, on the first counter's entry. It adds a
  ``creating-client-class`` handler to botocore's ``BUILTIN_HANDLERS``, so every session
  created afterwards builds client classes whose instances tap their own emitter; this
  covers boto3 sessions, the per-thread session PynamoDB 6 builds with
  ``botocore.session.get_session()`` for its connection's client, and the sessions the
  encryption SDK builds.
- the same call sweeps the sessions and clients that already exist (the default boto3
  session, a PynamoDB connection's cached client, clients built at import time) and taps
  them, so import order does not decide what is counted.
- sessions and clients passed to a counter are tapped again on entry, which is harmless.
A second read-only tap on ``after-call`` hands a counter's ``answered`` observer each parsed
answer with its request context (the dict every attempt's prepared request carries as
``request.context``), so an observer can pair an answer with the request it saw.
Registration always uses one ``unique_id`` per tap, so an emitter reached by several of these
paths still counts each attempt once. The tap stays in place once installed; a counter
only reads it while its ``with`` block runs, and calls from every thread are counted.
"""

from __future__ import annotations

import gc
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, NamedTuple, Self

import boto3.session
import botocore.handlers
import botocore.session
from botocore.client import BaseClient
from botocore.hooks import BaseEventHooks

TAP_ID = "gatehouse.aws_calls.before-send"
ANSWER_TAP_ID = "gatehouse.aws_calls.after-call"
Source = botocore.session.Session | boto3.session.Session | BaseClient


class AwsCall(NamedTuple):
    service: str
    operation: str


# Sees each counted attempt's prepared request (read only), e.g. to size DynamoDB items in a bench.
Observer = Callable[[AwsCall, Any], None]
# Sees each answered call's request context (the one its attempts' requests carry) and parsed
# answer (read only), e.g. to size the items a DynamoDB Query returned.
AnswerObserver = Callable[[AwsCall, dict[str, Any], dict[str, Any]], None]


class AwsCallCounter:
    """Counts the AWS round trips the whole process makes while its ``with`` block runs.

    ``sources`` are sessions or clients to tap on entry in addition to the ones
    :func:`install` reaches, e.g. a botocore session built without builtin handlers.
    """

    def __init__(
        self, *sources: Source, observe: Observer | None = None, answered: AnswerObserver | None = None
    ) -> None:
        self._sources = sources
        self._observe = observe
        self._answered = answered
        self._lock = threading.Lock()
        self._counts: Counter[AwsCall] = Counter()

    def __enter__(self) -> Self:
        install()
        for source in self._sources:
            _tap(_emitter_of(source))
        _activate(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _deactivate(self)

    def _record(self, call: AwsCall, request: Any) -> None:
        with self._lock:
            self._counts[call] += 1
            if self._observe is not None:
                self._observe(call, request)

    def _answer(self, call: AwsCall, context: dict[str, Any], parsed: dict[str, Any]) -> None:
        if self._answered is not None:
            with self._lock:
                self._answered(call, context, parsed)

    def counts(self) -> Counter[AwsCall]:
        """A copy of the counts, keyed by ``(service, operation)``."""
        with self._lock:
            return Counter(self._counts)

    def total(self, service: str | None = None) -> int:
        return sum(n for call, n in self.counts().items() if service is None or call.service == service)

    def by_service(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for call, n in self.counts().items():
            totals[call.service] += n
        return dict(totals)

    def format_lines(self, prefix: str) -> Iterator[str]:
        """``name: value`` lines, one per operation in name order, then the total."""
        counts = self.counts()
        for call in sorted(counts):
            yield f"{_metric_name(prefix, call.service, _snake(call.operation))}: {counts[call]}"
        yield f"{_metric_name(prefix, 'total')}: {sum(counts.values())}"


# Reentrant: install() taps swept objects while holding it.
_registry_lock = threading.RLock()
_installed = False
# Replaced, never mutated, so the tap reads it without taking the lock.
_active: tuple[AwsCallCounter, ...] = ()


def install() -> None:
    """Put the tap on every botocore session and client, existing or future (idempotent)."""
    global _installed  # noqa: PLW0603 - botocore's handler list is process-wide, and so is this flag
    with _registry_lock:
        if _installed:
            return
        # Hook future sessions first, so a session built during the sweep is reached one way or the other.
        botocore.handlers.BUILTIN_HANDLERS.append(("creating-client-class", _adopt_client_class))
        for emitter in _existing_emitters():
            _tap(emitter)
        _installed = True


def _existing_emitters() -> Iterator[BaseEventHooks]:
    for existing in gc.get_objects():
        # type(), not isinstance(): proxies in the heap may answer __class__ lookups with an error.
        if not issubclass(type(existing), BaseClient | botocore.session.Session):
            continue
        try:
            emitter = _emitter_of(existing)
        except (AttributeError, ValueError):
            continue  # its construction failed half-way, so nothing can send through it
        yield emitter


def _activate(counter: AwsCallCounter) -> None:
    global _active  # noqa: PLW0603 - see _active
    with _registry_lock:
        if counter in _active:
            raise RuntimeError("this AwsCallCounter is already counting")
        _active = (*_active, counter)


def _deactivate(counter: AwsCallCounter) -> None:
    global _active  # noqa: PLW0603 - see _active
    with _registry_lock:
        _active = tuple(c for c in _active if c is not counter)


def _count_round_trip(event_name: str = "", request: Any = None, **_: Any) -> None:
    counters = _active
    if not counters:
        return
    # "before-send.<service id>.<operation>"
    _event, service, operation = event_name.split(".", 2)
    call = AwsCall(service, operation)
    for counter in counters:
        counter._record(call, request)


def _see_answer(event_name: str = "", parsed: Any = None, context: Any = None, **_: Any) -> None:
    counters = _active
    if not counters or not isinstance(parsed, dict) or not isinstance(context, dict):
        return
    # "after-call.<service id>.<operation>"
    _event, service, operation = event_name.split(".", 2)
    call = AwsCall(service, operation)
    for counter in counters:
        counter._answer(call, context, parsed)


def _tap(emitter: BaseEventHooks) -> None:
    # The lock keeps two threads from both finding the unique id absent and registering twice.
    with _registry_lock:
        emitter.register("before-send", _count_round_trip, unique_id=TAP_ID)
        emitter.register("after-call", _see_answer, unique_id=ANSWER_TAP_ID)


class _TappedClient(BaseClient):
    """First base of every client class built by a session created after install()."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tap(self.meta.events)


def _adopt_client_class(base_classes: list[type[Any]], **_: Any) -> None:
    if _TappedClient not in base_classes:
        base_classes.insert(0, _TappedClient)


def _emitter_of(source: Source) -> BaseEventHooks:
    if isinstance(source, BaseClient):
        return source.meta.events
    if isinstance(source, boto3.session.Session):
        return source.events
    emitter: BaseEventHooks = source.get_component("event_emitter")
    return emitter


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _metric_name(*parts: str) -> str:
    return "_".join(part.replace("-", "_") for part in parts if part)
