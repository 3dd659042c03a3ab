"""The tenant's suppression list: keyed hashes of numbers never to be contacted again.

``suppress`` (immediate, permanent, idempotent), ``suppressed`` (batch check),
``remove`` (owner, reason, audited) and ``list_entries``; ``to_e164`` turns what people
type into the E.164 form these take. Numbers are never stored: see ``keys``.
"""

from gatehouse.suppression.entries import (
    CHECK_MAX,
    Suppressed,
    SuppressionEntry,
    SuppressionSource,
    SuppressionView,
    is_suppressed,
    lift_sms_stop,
    list_entries,
    remove,
    suppress,
    suppressed,
)
from gatehouse.suppression.keys import SuppressionUnavailable, number_key
from gatehouse.suppression.numbers import to_e164

__all__ = [
    "CHECK_MAX",
    "Suppressed",
    "SuppressionEntry",
    "SuppressionSource",
    "SuppressionUnavailable",
    "SuppressionView",
    "is_suppressed",
    "lift_sms_stop",
    "list_entries",
    "number_key",
    "remove",
    "suppress",
    "suppressed",
    "to_e164",
]
