"""What a call event says beyond its status: the campaign it belongs to, its cost and the caller's mood.

Pure: reads one vendor call payload, returns the ``CallRecord`` fields it can fill (only
those it found, so a later event never blanks what an earlier one stored).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from gatehouse.webhooks.voice_events import CallPayload

_CAMPAIGN_ID: Final = re.compile(r"^cmp_[a-z2-7]{26}$")
SENTIMENTS: Final = frozenset({"positive", "neutral", "negative", "unknown"})


def facts_of(call: CallPayload) -> dict[str, Any]:
    found: dict[str, Any] = {}
    campaign = call.metadata.get("campaign_id")
    if isinstance(campaign, str) and _CAMPAIGN_ID.fullmatch(campaign):
        found["campaign_id"] = campaign
    if call.cost_cents is not None:
        found["cost_cents"] = call.cost_cents
    analysis = call.call_analysis
    if call.sentiment:
        mood = call.sentiment.strip().lower()
        found["sentiment"] = mood if mood in SENTIMENTS else "unknown"
    if analysis is not None and analysis.in_voicemail is not None:
        found["voicemail"] = analysis.in_voicemail
    return found
