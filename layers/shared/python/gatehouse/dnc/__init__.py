"""Do-Not-Call scrubbing: the tenant's source (registry files, a commercial API, the sandbox), stamps, status.

``scrub`` gives a ``ScrubStamp`` per number and never raises for provider trouble;
``registry.load`` loads area-code files and ``state_lists.load`` a state's own list;
``acknowledgment`` records an owner's choice to run without a provider and the warning
that follows it; ``dnc_status`` reports all of it.


Only the stamps load with the package (every contact record carries one); the rest loads on
first use (module ``__getattr__``), so a handler that reads contacts without scrubbing them
does not import the sources, the vault and the audit log behind them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gatehouse.dnc.stamps import ScrubReason, ScrubSource, ScrubStamp, ScrubStatus, StateListAnswer

if TYPE_CHECKING:
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
    from gatehouse.dnc.scrubbing import scrub
    from gatehouse.dnc.state_lists import StateListReport
    from gatehouse.dnc.status import DncStatus, dnc_status

# Name -> the module that defines it ("" for a submodule of that name), imported when first asked for.
_ON_FIRST_USE = {
    "state_lists": "",
    **dict.fromkeys(
        ("WARNING", "WARNING_HEADER", "WORDING", "Acknowledged", "AcknowledgmentView", "acknowledge"),
        "gatehouse.dnc.acknowledgment",
    ),
    "unscrubbed_warning": "gatehouse.dnc.acknowledgment",
    **dict.fromkeys(("FRESH_FOR", "LoadKind", "LoadReport", "load"), "gatehouse.dnc.registry"),
    "scrub": "gatehouse.dnc.scrubbing",
    "StateListReport": "gatehouse.dnc.state_lists",
    "DncStatus": "gatehouse.dnc.status",
    "dnc_status": "gatehouse.dnc.status",
}

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


def __getattr__(name: str) -> Any:
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if not module:
        return importlib.import_module(f"{__name__}.{name}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup finds it without coming here
    return value
