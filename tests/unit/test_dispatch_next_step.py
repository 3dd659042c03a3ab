"""``gates.next_step``, table by table: what a batch does with a contact the campaign met before.

Pure: the gates' verdict and the campaign's history with the contact are built here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.dispatch.gates import (
    PASSED,
    History,
    Next,
    Outcome,
    Reason,
    Step,
    Verdict,
    blocked,
    next_step,
)
from gatehouse.dispatch.outcomes import OutcomeStatus

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
AHEAD = NOW + timedelta(minutes=40)
LATER = NOW + timedelta(hours=15)
OUTSIDE_HOURS = Verdict(Outcome.DEFERRED, Reason.CAMPAIGN_WINDOW, LATER, gate="hours")


def step(verdict: Verdict, history: History, *, paused: bool = False, max_attempts: int = 3) -> Next:
    return next_step(verdict, history, paused=paused, max_attempts=max_attempts, now=NOW)


@pytest.mark.parametrize(
    "history",
    [
        History(attempts=1, status=OutcomeStatus.SENT),
        History(attempts=2, status=OutcomeStatus.SENT, reason=Reason.NO_ANSWER),  # a call's end, no retry
        History(attempts=1, status=OutcomeStatus.SEND_FAILED, reason=Reason.SEND_UNCONFIRMED),
    ],
)
def test_a_person_reached_is_settled_whatever_attempts_remain(history: History) -> None:
    """A resume or a later run never sends the campaign's message again to a person it reached."""
    assert step(PASSED, history, max_attempts=10) == Next(Step.SETTLED)
    assert step(PASSED, history, paused=True) == Next(Step.SETTLED)


@pytest.mark.parametrize(
    "history",
    [
        History(attempts=1, status=OutcomeStatus.SEND_FAILED, reason=Reason.SEND_FAILED),
        History(attempts=1, status=OutcomeStatus.SEND_FAILED),  # the provider's own code
        History(attempts=1, status=OutcomeStatus.BLOCKED, reason=Reason.CAMPAIGN_PAUSED),
        History(attempts=0, status=OutcomeStatus.BLOCKED, reason=Reason.PROVIDER_CREDENTIALS_UNAVAILABLE),
        History(attempts=1, status=OutcomeStatus.DEFERRED, reason=Reason.RETRY_UNANSWERED, until=NOW),
    ],
)
def test_a_person_not_reached_is_attempted_again_while_attempts_remain(history: History) -> None:
    assert step(PASSED, history, max_attempts=2) == Next(Step.CLAIM, attempt=history.attempts + 1)
    used_up = History(attempts=2, status=history.status, reason=history.reason, until=history.until)
    assert step(PASSED, used_up, max_attempts=2) == Next(Step.BLOCK, Reason.ATTEMPTS_EXHAUSTED)


@pytest.mark.parametrize(
    ("verdict", "paused"),
    [
        (PASSED, False),
        (PASSED, True),  # a paused campaign's resume keeps the spacing too
        (blocked("state", Reason.CAMPAIGN_NOT_RUNNING), False),
        (Verdict(Outcome.DEFERRED, Reason.SENDER_THROUGHPUT, NOW + timedelta(minutes=1)), False),
    ],
)
def test_a_deferral_still_ahead_holds_in_every_run(verdict: Verdict, paused: bool) -> None:
    """An unanswered call's retry is not dialled before its spacing by a resume or another run."""
    waiting = History(attempts=1, status=OutcomeStatus.DEFERRED, reason=Reason.RETRY_UNANSWERED, until=AHEAD)
    assert step(verdict, waiting, paused=paused) == Next(Step.DEFER, Reason.RETRY_UNANSWERED, AHEAD)


def test_a_deferral_still_ahead_gives_way_to_gates_that_defer_further() -> None:
    waiting = History(attempts=1, status=OutcomeStatus.DEFERRED, reason=Reason.RETRY_UNANSWERED, until=AHEAD)
    assert step(OUTSIDE_HOURS, waiting) == Next(Step.DEFER, Reason.CAMPAIGN_WINDOW, LATER)


@pytest.mark.parametrize(
    ("verdict", "history", "paused", "expected"),
    [
        (PASSED, History(), False, Next(Step.CLAIM, attempt=1)),
        (PASSED, History(next_claimed=True), False, Next(Step.SKIP)),
        (OUTSIDE_HOURS, History(), False, Next(Step.DEFER, Reason.CAMPAIGN_WINDOW, LATER)),
        (blocked("dnc", Reason.DNC_LISTED), History(), False, Next(Step.BLOCK, Reason.DNC_LISTED)),
        (
            Verdict(Outcome.RESCRUB, Reason.DNC_DATA_STALE),
            History(),
            False,
            Next(Step.BLOCK, Reason.DNC_DATA_STALE),
        ),
        (PASSED, History(), True, Next(Step.BLOCK, Reason.CAMPAIGN_PAUSED)),
    ],
)
def test_a_contact_never_reached_follows_the_gates(
    verdict: Verdict, history: History, paused: bool, expected: Next
) -> None:
    assert step(verdict, history, paused=paused) == expected
