"""Handing an occurrence to every consumer, in order: the events function's one rule.

A consumer is a callable ``(Occurrence) -> None``, idempotent per ``event_id`` (a stream
record is retried whole, so a consumer that already took it sees it again), named by
its dotted path (``gatehouse.notifications.on_occurrence``) and imported on first use. A
name that does not import is an error, not a consumer skipped: an occurrence must reach
every consumer the function names or be retried. Raising from a consumer means "retry
this record"; the consumers after it do not see the occurrence this time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from functools import cache

from gatehouse.events.occurrence import Occurrence

Consumer = Callable[[Occurrence], None]


@cache
def resolve(name: str) -> Consumer:
    """The callable at ``package.module.attribute``; ImportError or AttributeError when it is absent."""
    module_name, _, attribute = name.rpartition(".")
    if not module_name:
        raise ImportError(f"a consumer is named by its module and attribute, not {name!r}")
    found = getattr(importlib.import_module(module_name), attribute)
    if not callable(found):
        raise TypeError(f"{name} is not callable")
    return found  # type: ignore[no-any-return]


def hand_over(occurrence: Occurrence, consumers: Iterable[str | Consumer]) -> None:
    """Give ``occurrence`` to each consumer in turn; the first that raises stops the round."""
    for consumer in consumers:
        (resolve(consumer) if isinstance(consumer, str) else consumer)(occurrence)
