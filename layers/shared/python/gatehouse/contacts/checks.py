"""The checks intake runs on numbers, bound to their real sources: the suppression list and the DNC scrub.

Kept apart so the importer and the API take them as arguments (tests may give lists
of their own) while the functions use these.
"""

from __future__ import annotations

from gatehouse.clock import Clock, utc_now
from gatehouse.dnc import scrub as _scrub
from gatehouse.dnc.stamps import ScrubStamp
from gatehouse.suppression import suppressed as _suppressed
from gatehouse.tenancy import TenantScope


def suppressed(scope: TenantScope, numbers: list[str]) -> set[str]:
    return _suppressed(scope, numbers)


def scrub(scope: TenantScope, numbers: list[str], *, clock: Clock = utc_now) -> dict[str, ScrubStamp]:
    """One stamp per number from the tenant's DNC source at ``clock()``; provider trouble is ``error``."""
    return _scrub(scope, numbers, clock=clock)
