"""A campaign's start_at and end_at: how they are validated, when a start waits for its schedule,
what a schedule that fires may start, and what the planner and the run's end decide past end_at.

The rules are the "Scheduled campaigns" section of issue 20 (DESIGN.md §10): a campaign may
carry start_at and end_at (end after start, both in the future when it is written, submitted
or approved); a one-time schedule starts it at start_at through the one start path, which
asks again; past end_at no new batch is planned and the contacts never reached are reported
as window_closed. Pure: "now" is passed in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from gatehouse.campaigns import timing
from gatehouse.campaigns.records import CampaignSpec, CampaignStatus
from gatehouse.dispatch import gates
from gatehouse.dispatch.gates import Reason, Step
from gatehouse.dispatch.outcomes import OutcomeStatus
from tests.unit.test_dispatch_gates import SPEC

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def spec(**changes: Any) -> CampaignSpec:
    return CampaignSpec.model_validate({**SPEC, **changes})


# ------------------------------------------------------------------ the spec itself
def test_start_and_end_are_stored_in_utc_to_the_second() -> None:
    eastern = timezone(timedelta(hours=-4))
    written = spec(start_at="2026-03-11T10:00:00.750-04:00", end_at=datetime(2026, 3, 11, 18, tzinfo=eastern))
    assert written.start_at == datetime(2026, 3, 11, 14, 0, tzinfo=UTC)
    assert written.start_at is not None
    assert written.start_at.utcoffset() == timedelta(0)
    assert written.end_at == datetime(2026, 3, 11, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start_at": "2026-03-11T10:00:00"}, ("start_at",)),  # no zone: which 10 o'clock?
        ({"end_at": "2026-03-11T10:00:00"}, ("end_at",)),
        ({"start_at": "2026-03-11T10:00:00Z", "end_at": "2026-03-11T10:00:00Z"}, ("end_at",)),
        ({"start_at": "2026-03-11T10:00:00Z", "end_at": "2026-03-11T09:00:00Z"}, ("end_at",)),
        ({"start_at": "tomorrow"}, ("start_at",)),
    ],
)
def test_a_naive_or_unreadable_instant_or_an_end_not_after_the_start_is_refused_on_its_field(
    changes: dict[str, Any], field: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as refused:
        spec(**changes)
    assert [e["loc"] for e in refused.value.errors()] == [field]


def test_an_end_alone_or_neither_is_a_valid_campaign() -> None:
    assert spec(end_at="2026-03-11T10:00:00Z").start_at is None
    assert spec().start_at is None
    assert spec().end_at is None


# ------------------------------------------------------------------ against "now"
@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        (NOW + HOUR, NOW + 2 * HOUR, []),
        (None, None, []),
        (NOW, None, ["body.start_at"]),  # "now" is not in the future
        (NOW - HOUR, NOW + HOUR, ["body.start_at"]),
        (None, NOW - HOUR, ["body.end_at"]),
        (NOW - 2 * HOUR, NOW - HOUR, ["body.start_at", "body.end_at"]),
    ],
)
def test_start_and_end_must_lie_ahead_when_written_submitted_or_approved(
    start: datetime | None, end: datetime | None, fields: list[str]
) -> None:
    written = spec(start_at=start, end_at=end)
    assert [p["field"] for p in timing.problems(written, NOW)] == fields
    if fields:
        with pytest.raises(timing.TimingInvalid) as refused:
            timing.check(written, NOW)
        assert refused.value.status == 422
        assert [d["field"] for d in refused.value.details] == fields


def test_a_start_before_start_at_waits_for_the_schedule_and_one_at_or_after_it_runs_now() -> None:
    assert timing.waits_for_schedule(spec(start_at=NOW + HOUR), NOW)
    assert not timing.waits_for_schedule(spec(start_at=NOW + HOUR), NOW + HOUR)
    assert not timing.waits_for_schedule(spec(), NOW)


@pytest.mark.parametrize(
    ("status", "start", "now", "refused"),
    [
        (CampaignStatus.SCHEDULED, NOW, NOW, None),
        (CampaignStatus.SCHEDULED, NOW, NOW + HOUR, None),  # a late schedule still starts it
        (CampaignStatus.SCHEDULED, NOW + HOUR, NOW, "start_not_reached"),
        (CampaignStatus.CANCELLED, NOW, NOW, "not_scheduled"),
        (CampaignStatus.DRAFT, NOW, NOW, "not_scheduled"),  # edited after it was scheduled
        (CampaignStatus.APPROVED, NOW, NOW, "not_scheduled"),  # its schedule could not be made
        (CampaignStatus.RUNNING, NOW, NOW, "not_scheduled"),  # a person started it already
        (None, NOW, NOW, "not_scheduled"),  # no such campaign
    ],
)
def test_a_schedule_that_fires_starts_only_a_campaign_still_scheduled_whose_start_came(
    status: CampaignStatus | None, start: datetime, now: datetime, refused: str | None
) -> None:
    campaign = spec(start_at=start) if status is not None else None
    assert timing.refusal(status, campaign, now) == refused


def test_the_schedule_is_named_by_the_campaign_and_fires_at_start_at_in_utc() -> None:
    campaign_id = "cmp_" + "a" * 26
    assert timing.schedule_name(campaign_id) == f"campaign-start-{campaign_id}"
    assert len(timing.schedule_name(campaign_id)) <= 64  # EventBridge Scheduler's limit
    eastern = timezone(timedelta(hours=-4))
    expression = timing.at_expression(datetime(2026, 3, 11, 10, 0, 5, tzinfo=eastern))
    assert expression == "at(2026-03-11T14:00:05)"
    assert timing.parse_at(expression) == datetime(2026, 3, 11, 14, 0, 5, tzinfo=UTC)
    assert timing.parse_at("rate(5 minutes)") is None


# ------------------------------------------------------------------ past end_at
@pytest.mark.parametrize(
    ("status", "end", "passed", "reason"),
    [
        (CampaignStatus.RUNNING, None, True, None),
        (CampaignStatus.RUNNING, NOW + timedelta(seconds=1), True, None),
        (CampaignStatus.RUNNING, NOW, False, Reason.WINDOW_CLOSED),  # end_at itself is closed
        (CampaignStatus.RUNNING, NOW - HOUR, False, Reason.WINDOW_CLOSED),
        (CampaignStatus.PAUSED, NOW + HOUR, False, Reason.CAMPAIGN_NOT_RUNNING),
        (CampaignStatus.SCHEDULED, NOW + HOUR, False, Reason.CAMPAIGN_NOT_RUNNING),
    ],
)
def test_the_planner_cuts_no_new_batch_once_end_at_has_passed(
    status: CampaignStatus, end: datetime | None, passed: bool, reason: Reason | None
) -> None:
    verdict = gates.may_plan(status, end, NOW)
    assert (verdict.passed, verdict.reason) == (passed, reason)


@pytest.mark.parametrize(
    ("earlier", "closed"),
    [
        (None, True),  # never reached
        (OutcomeStatus.DEFERRED, True),  # waiting for its hours or a retry: it will not come
        (OutcomeStatus.SENT, False),
        (OutcomeStatus.SEND_FAILED, False),
        (OutcomeStatus.BLOCKED, False),  # its own reason stands
    ],
)
def test_at_the_runs_end_past_end_at_the_contacts_never_reached_are_window_closed(
    earlier: OutcomeStatus | None, closed: bool
) -> None:
    step = gates.after_window_closed(earlier)
    if closed:
        assert step is not None
        assert (step.step, step.reason) == (Step.BLOCK, Reason.WINDOW_CLOSED)
    else:
        assert step is None
