"""Do-Not-Call scrubbing: the tenant's source (registry files, a commercial API, the sandbox), stamps, status.

``scrub`` gives a ``ScrubStamp`` per number and never raises for provider trouble;
``registry.load`` loads area-code files and ``state_lists.load`` a state's own list;
``acknowledgment`` records an owner's choice to run without a provider and the warning
that follows it; ``dnc_status`` reports all of it.
"""

from gatehouse.dnc import state_lists
from gatehouse.dnc.acknowledgment import (
    WARNING,
    WARNING_HEADER,
    WORDING,
    Acknowledged,
    AcknowledgmentView,
    acknowledge,
    unscrubbed_warning,
)
from gatehouse.dnc.registry import FRESH_FOR, LoadKind, LoadReport, load
from gatehouse.dnc.scrub import scrub
from gatehouse.dnc.stamps import ScrubReason, ScrubSource, ScrubStamp, ScrubStatus, StateListAnswer
from gatehouse.dnc.state_lists import StateListReport
from gatehouse.dnc.status import DncStatus, dnc_status

__all__ = [
    "FRESH_FOR",
    "WARNING",
    "WARNING_HEADER",
    "WORDING",
    "Acknowledged",
    "AcknowledgmentView",
    "DncStatus",
    "LoadKind",
    "LoadReport",
    "ScrubReason",
    "ScrubSource",
    "ScrubStamp",
    "ScrubStatus",
    "StateListAnswer",
    "StateListReport",
    "acknowledge",
    "dnc_status",
    "load",
    "scrub",
    "state_lists",
    "unscrubbed_warning",
]
