"""The tenant's suppression list: keyed hashes of numbers never to be contacted again.

``suppress`` (immediate, permanent, idempotent), ``suppressed`` (batch check, telling
numbers only held for review apart; ``check``: a person's question, refused to someone kept to
their campaigns), ``remove`` (owner, reason, audited) and
``list_entries``; ``review`` holds a doubtful reply's number until a person decides;
``to_e164`` turns what people type into the E.164 form these take. Numbers are never
stored: see ``keys``.
"""

from gatehouse.suppression.entries import (
    CHECK_MAX,
    Suppressed,
    SuppressedNumbers,
    SuppressionEntry,
    SuppressionSource,
    SuppressionView,
    add,
    check,
    held_only,
    is_suppressed,
    lift_sms_stop,
    list_entries,
    remove,
    suppress,
    suppressed,
    suppressed_span,
)
from gatehouse.suppression.keys import SuppressionUnavailable, number_key
from gatehouse.suppression.numbers import to_e164

__all__ = [
    "CHECK_MAX",
    "Suppressed",
    "SuppressedNumbers",
    "SuppressionEntry",
    "SuppressionSource",
    "SuppressionUnavailable",
    "SuppressionView",
    "add",
    "check",
    "held_only",
    "is_suppressed",
    "lift_sms_stop",
    "list_entries",
    "number_key",
    "remove",
    "suppress",
    "suppressed",
    "suppressed_span",
    "to_e164",
]
