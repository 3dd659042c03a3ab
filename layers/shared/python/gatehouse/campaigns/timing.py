"""When a campaign runs: its ``start_at`` and ``end_at`` against "now", and the schedule that starts it.

Owns the rules a person meets when writing, submitting or approving a campaign with a
start (both instants in the future then; ``CampaignSpec`` itself checks that the end
comes after the start), whether a start waits for its schedule, and the one-time
schedule's name and ``at()`` expression. Pure: "now" is passed in, nothing is read.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

from gatehouse.campaigns.records import CampaignSpec, CampaignStatus
from gatehouse.errors import Invalid

SCHEDULE_PREFIX: Final = "campaign-start-"
_AT: Final = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


class TimingInvalid(Invalid):
    """A start or end already past; the same shape as a schema error, located on the field."""

    status = 422
    code = "validation_error"


def problems(spec: CampaignSpec, now: datetime, *, where: str = "body") -> list[dict[str, str]]:
    """Each of ``start_at`` and ``end_at`` that is set and not in the future at ``now``."""
    found = []
    for field, moment in (("start_at", spec.start_at), ("end_at", spec.end_at)):
        if moment is not None and moment <= now:
            found.append({"field": f"{where}.{field}", "reason": f"{field} must be in the future"})
    return found


def check(spec: CampaignSpec, now: datetime, *, where: str = "body") -> None:
    found = problems(spec, now, where=where)
    if found:
        raise TimingInvalid("the campaign's start or end is not in the future", details=found)


def waits_for_schedule(spec: CampaignSpec, now: datetime) -> bool:
    """A start requested before ``start_at`` schedules the run instead of running it now."""
    return spec.start_at is not None and spec.start_at > now


def start_reached(spec: CampaignSpec, now: datetime) -> bool:
    """A schedule that fires before its campaign's ``start_at`` (moved later meanwhile) starts nothing."""
    return spec.start_at is None or spec.start_at <= now


def refusal(status: CampaignStatus | None, spec: CampaignSpec | None, now: datetime) -> str | None:
    """Why a schedule that fired may not start its campaign now; None: it starts.

    Only a campaign still scheduled starts: cancelled, edited back to draft, already
    started or unknown, it never does, whatever schedule is left behind.
    """
    if status is not CampaignStatus.SCHEDULED or spec is None:
        return "not_scheduled"
    if not start_reached(spec, now):
        return "start_not_reached"
    return None


def schedule_name(campaign_id: str) -> str:
    """One schedule per campaign, named by its id: creating it twice meets the first (idempotent)."""
    return f"{SCHEDULE_PREFIX}{campaign_id}"


def at_expression(moment: datetime) -> str:
    """EventBridge Scheduler's one-time expression, in UTC (the schedule names UTC as its zone)."""
    return f"at({moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S})"


def parse_at(expression: str) -> datetime | None:
    """The instant of an ``at()`` expression in UTC; None for a rate or cron expression."""
    match = _AT.match(expression.strip())
    if match is None:
        return None
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
