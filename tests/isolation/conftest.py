"""The API's clock pinned for every isolation case: a reply decides by the hour in the person's zone."""

from __future__ import annotations

import pytest

from tests.support.conversations import PINNED


@pytest.fixture(autouse=True)
def _api_at_a_pinned_moment(api_module, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A weekday afternoon in New York (the reply case's person), whatever hour the suite runs."""
    monkeypatch.setattr(api_module, "clock", lambda: PINNED)
