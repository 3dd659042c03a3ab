"""What a DNC stamp lets through, and when it must be scrubbed again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.dnc.stamps import ScrubReason, ScrubSource, ScrubStamp, ScrubStatus, answered, error

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
        (answered(False, NOW, ScrubSource.REGISTRY), True, False),
        (answered(True, NOW, ScrubSource.HTTPS), False, False),
        (UNSCRUBBED, True, False),
        (error(ScrubReason.INVALID_NUMBER, NOW), False, False),
        (error(ScrubReason.NOT_COVERED, NOW), False, False),
        (error(ScrubReason.NO_PROVIDER, NOW), False, True),
        (error(ScrubReason.REGISTRY_STALE, NOW), False, True),
        (error(ScrubReason.PROVIDER_UNAVAILABLE, NOW), False, True),
        (error(ScrubReason.NOT_IN_REPLY, NOW), False, True),
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
    ],
)
def test_only_clear_and_unscrubbed_are_dialable(
    stamp: ScrubStamp, dialable: bool, source_failed: bool
) -> None:
    assert stamp.dialable is dialable
    assert stamp.source_failed is source_failed


def test_a_stamp_is_current_for_31_days_and_an_error_never() -> None:
    clear = answered(False, NOW, ScrubSource.REGISTRY)
    assert clear.current(NOW + timedelta(days=31))
    assert not clear.current(NOW + timedelta(days=31, seconds=1))
    assert not error(ScrubReason.PROVIDER_UNAVAILABLE, NOW).current(NOW)
