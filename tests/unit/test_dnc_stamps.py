"""What a DNC stamp lets through, and when it must be scrubbed again.

The 31 days count from the version of the registry data the answer relied on, at the
instant of the attempt: 16 CFR 310.4(b)(3)(iv) ("a version of the do-not-call registry
obtained from the Commission no more than thirty-one (31) days prior to the date any call
is made") and 47 CFR 64.1200(c)(2)(i)(D).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.dnc.stamps import (
    ScrubReason,
    ScrubSource,
    ScrubStamp,
    ScrubStatus,
    StateListAnswer,
    answered,
    error,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
UNSCRUBBED = ScrubStamp(
    status=ScrubStatus.UNSCRUBBED,
    checked_at=NOW,
    source=ScrubSource.NONE,
    reason=ScrubReason.ACKNOWLEDGED_NO_PROVIDER,
)


@pytest.mark.parametrize(
    ("stamp", "dialable", "source_failed"),
    [
        (answered(False, NOW, ScrubSource.REGISTRY, as_of=NOW), True, False),
        (answered(True, NOW, ScrubSource.HTTPS, as_of=NOW), False, False),
        (UNSCRUBBED, True, False),
        (error(ScrubReason.INVALID_NUMBER, NOW), False, False),
        (error(ScrubReason.NOT_COVERED, NOW), False, False),
        (error(ScrubReason.NO_PROVIDER, NOW), False, True),
        (error(ScrubReason.REGISTRY_STALE, NOW), False, True),
        (error(ScrubReason.PROVIDER_UNAVAILABLE, NOW), False, True),
        (error(ScrubReason.NOT_IN_REPLY, NOW), False, True),
        (error(ScrubReason.PROVIDER_UNDATED, NOW), False, True),
        (error(ScrubReason.PROVIDER_DATED_AHEAD, NOW), False, True),
    ],
    ids=[
        "clear",
        "listed",
        "unscrubbed",
        "invalid",
        "not-covered",
        "no-provider",
        "stale",
        "down",
        "missing",
        "undated",
        "dated-ahead",
    ],
)
def test_only_clear_and_unscrubbed_are_dialable(
    stamp: ScrubStamp, dialable: bool, source_failed: bool
) -> None:
    assert stamp.dialable is dialable
    assert stamp.source_failed is source_failed


def test_a_stamp_is_current_while_its_data_is_at_most_31_days_old_and_an_error_never() -> None:
    clear = answered(False, NOW, ScrubSource.REGISTRY, as_of=NOW)
    assert clear.current(NOW + timedelta(days=31))
    assert not clear.current(NOW + timedelta(days=31, seconds=1))
    assert not error(ScrubReason.PROVIDER_UNAVAILABLE, NOW).current(NOW)


def test_the_31_days_count_from_the_data_version_not_from_the_scrub() -> None:
    """16 CFR 310.4(b)(3)(iv): a file 30 days old at the scrub is good for one more day only."""
    loaded = NOW - timedelta(days=30)
    scrubbed_today = answered(False, NOW, ScrubSource.REGISTRY, as_of=loaded)
    assert scrubbed_today.current(NOW + timedelta(days=1))
    assert not scrubbed_today.current(NOW + timedelta(days=1, seconds=1))
    assert not scrubbed_today.current(NOW + timedelta(days=2))  # 32 days old on the day of the call


def test_an_answer_stored_before_versions_were_recorded_is_stale_never_fresh() -> None:
    legacy = ScrubStamp.model_validate(
        {"status": "clear", "checked_at": NOW.isoformat(), "source": "https"}  # as stored before
    )
    assert legacy.data_as_of is None
    assert legacy.dated_from() is None
    assert not legacy.current(NOW)


def test_an_unscrubbed_stamp_counts_from_its_check_as_it_relied_on_no_data() -> None:
    assert UNSCRUBBED.current(NOW + timedelta(days=31))
    assert not UNSCRUBBED.current(NOW + timedelta(days=31, seconds=1))


def test_the_rescrub_date_is_the_oldest_data_relied_on_for_the_person_states() -> None:
    texas = StateListAnswer(listed=False, as_of=NOW - timedelta(days=20))
    stamp = answered(False, NOW, ScrubSource.HTTPS, as_of=NOW - timedelta(days=2), state_lists={"TX": texas})
    assert stamp.dated_from(["TX"]) == NOW - timedelta(days=20)
    assert stamp.dated_from(["CA"]) == NOW - timedelta(days=2)  # Texas's list is not this person's
